import { describe, expect, it } from 'vitest';
import { renderEnvelopeListFragment } from '../../src/doors/placement-pages.js';
import { deliveryReason, type CardEnvelope } from '../../src/card/view.js';

/** Issue 18 item 7: the card says why a message is not delivered in words, never with SMTP or HTTP codes. */
describe('delivery reasons in the card', () => {
  it('classifies the stored errors of notify/jobs.ts', () => {
    expect(deliveryReason('SMTP 550: 5.1.1 mailbox unavailable')).toBe('refused');
    expect(deliveryReason('gave up after 5 attempts: SMTP 421: try later')).toBe('mailServer');
    expect(deliveryReason('SMTP ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:25')).toBe('mailServer');
    expect(deliveryReason('no SMTP transport is configured')).toBe('noMail');
    expect(deliveryReason('Bitrix24 QUERY_LIMIT_EXCEEDED (HTTP 503): Too many requests')).toBe('bitrix24');
    expect(deliveryReason('socket hang up')).toBe('other');
    expect(deliveryReason(null)).toBe('other');
  });

  it('renders no status code in any language', () => {
    const env: CardEnvelope = {
      id: 'env_1', title: 'Contract', status: 'sent', kind: null, templateId: null, createdAt: '2026-01-01T00:00:00.000Z', createdByName: null,
      completedAt: null, verifyUrl: null, sealedPdfPath: null, evidencePath: null,
      recipients: [
        { id: 'r1', name: 'A', email: 'a@example.com', phone: null, role: 'signer', party: 'client', order: 1, status: 'invited', at: null, declineReason: null,
          delivery: [{ channel: 'email', status: 'failed', error: 'SMTP 550: 5.1.1 mailbox unavailable' }, { channel: 'im', status: 'queued', error: 'Bitrix24 INTERNAL (HTTP 502): Bad Gateway' }] },
      ],
    };
    const expected = { en: 'refused it; check the address', it: 'controlla l’indirizzo', ru: 'проверьте адрес' } as const;
    for (const lang of ['en', 'it', 'ru'] as const) {
      const text = renderEnvelopeListFragment(lang, [env]).replace(/<[^>]+>/g, ' ');
      expect(text).toContain(expected[lang]);
      expect(text).not.toMatch(/HTTP|SMTP|\b5\d\d\b/);
    }
  });
});
