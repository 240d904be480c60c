import { describe, expect, it } from 'vitest';
import { auditLabelKey, auditLabelVars } from '../../placements/app/audit-label.js';
import { CARD_MESSAGES } from '../../src/i18n/card.js';

describe('card history labels', () => {
  it('a refused code is labelled by its reason in en/it/ru; only a wrong guess is "wrong code"', () => {
    const labels = (reason: string) => CARD_MESSAGES[auditLabelKey('code_failed', { reason })];
    const wrong = labels('wrong');
    expect(wrong.en).toBe('Wrong code entered');
    for (const reason of ['expired', 'no_code', 'locked']) {
      const l = labels(reason);
      expect(l, reason).toBeDefined();
      for (const lang of ['en', 'it', 'ru'] as const) {
        expect(l[lang], `${reason}/${lang}`).toBeTruthy();
        expect(l[lang]).not.toBe(wrong[lang]);
      }
    }
    // Three reasons, three different labels in every language.
    for (const lang of ['en', 'it', 'ru'] as const) expect(new Set(['expired', 'no_code', 'locked'].map((r) => labels(r)[lang])).size).toBe(3);
  });

  it('other rows, and a code_failed without a known reason, keep their type label', () => {
    expect(auditLabelKey('code_failed', null)).toBe('audit.code_failed');
    expect(auditLabelKey('code_failed', { reason: 'something else' })).toBe('audit.code_failed');
    expect(auditLabelKey('signed', { reason: 'expired' })).toBe('audit.signed');
  });

  it('a signature given inside Bitrix24 names the user and portal, in en/it/ru', () => {
    const data = { method: 'typed', inPortal: { userId: 6, name: 'Olga Smirnova', memberId: 'm1', domain: 'acme.bitrix24.com', review: 'opened' } };
    const fill = (s: string) => s.replace(/\{(\w+)\}/g, (m, k: string) => auditLabelVars(data)[k] ?? m);
    expect(fill(CARD_MESSAGES[auditLabelKey('signed', data)].en)).toBe('Signed in Bitrix24 as user 6 (Olga Smirnova), portal acme.bitrix24.com');
    expect(fill(CARD_MESSAGES[auditLabelKey('signed', data)].ru)).toBe('Подписан в Битрикс24 пользователем 6 (Olga Smirnova), портал acme.bitrix24.com');
    expect(fill(CARD_MESSAGES[auditLabelKey('approved', data)].it)).toBe('Approvato in Bitrix24 come utente 6 (Olga Smirnova), portale acme.bitrix24.com');
    // Signed with the e-mail code: the plain label, nothing to fill.
    expect(auditLabelKey('signed', { method: 'typed' })).toBe('audit.signed');
    expect(auditLabelVars({ method: 'typed' })).toEqual({});
  });
});
