import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../src/db/schema/messages.js';
import { createSmtpMailer } from '../../src/notify/mailer.js';
import { createTestServices } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, samplePdf, sessionFor, tokenFromBody } from '../helpers/signing.js';
import { startSmtpPeer, toAddress } from '../helpers/smtp-peer.js';

describe('invitations and codes over real SMTP', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let peer: Awaited<ReturnType<typeof startSmtpPeer>>;

  beforeAll(async () => {
    peer = await startSmtpPeer();
    services = await createTestServices({ env: { SMTP_URL: peer.url, MAIL_FROM: 'Sign <sign@b24sign.test>' } });
  });
  afterAll(async () => {
    services.mailer?.close?.();
    await peer.close();
    await services.testDb.close();
  });

  it('delivers an Italian invitation and a code that verifies; the stored copy of the code is masked', async () => {
    const http = client(services);
    const bearer = await sessionFor(services);
    const res = await http.req('POST', '/api/envelopes', {
      bearer,
      body: {
        title: 'Contratto di fornitura',
        lang: 'it',
        pdfBase64: Buffer.from(await samplePdf()).toString('base64'),
        fields: FIELDS.filter((f) => f.party !== 'company'),
        recipients: [{ party: 'client', name: 'Giulia Verdi', email: 'giulia@cliente.example' }],
        send: true,
      },
    });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    const invitation = await peer.waitFor((m) => toAddress(m) === 'giulia@cliente.example' && /Da firmare/.test(m.subject ?? ''));
    expect(invitation.subject).toBe('Da firmare: Contratto di fornitura');
    expect(invitation.from?.text).toContain('sign@b24sign.test');
    expect(invitation.text).toContain('Gentile Giulia Verdi');
    expect(invitation.html).toContain('Esamina e firma');
    const token = tokenFromBody(invitation.text ?? '')!;
    expect(invitation.text).toContain(`http://b24sign.test/s/${token}`);

    expect((await http.req('POST', `/api/sign/${token}/code`)).status).toBe(200);
    const codeMail = await peer.waitFor((m) => /codice di firma/.test(m.subject ?? ''));
    const code = codeFromBody(codeMail.text ?? '')!;
    expect(code).toMatch(/^\d{6}$/);
    const v = await http.req('POST', `/api/sign/${token}/verify`, { body: { code } });
    expect(v.status, JSON.stringify(v.data)).toBe(200);

    const rows = await services.db.select().from(messages).where(eq(messages.envelopeId, res.data.envelope.id));
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    const stored = rows.find((r) => r.template === 'code')!;
    expect(stored.body).not.toContain(code);
    expect(stored.subject).not.toContain(code);
  });

  it('records a failed delivery instead of losing it', async () => {
    const broken = await createTestServices();
    try {
      broken.mailer = createSmtpMailer('smtp://127.0.0.1:1', 'x@y.example');
      const http = client(broken);
      const res = await http.req('POST', '/api/envelopes', {
        bearer: await sessionFor(broken),
        body: { title: 'T', lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: [], recipients: [{ party: 'client', name: 'A B', email: 'a@b.example' }], send: true },
      });
      expect(res.status).toBe(201);
      const rows = await broken.db.select().from(messages).where(eq(messages.envelopeId, res.data.envelope.id));
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toBe('failed');
      const audit = await http.req('GET', `/api/envelopes/${res.data.envelope.id}/audit`, { bearer: await sessionFor(broken) });
      expect(audit.data.events.map((e: { type: string }) => e.type)).toContain('delivery_failed');
    } finally {
      await broken.testDb.close();
    }
  });
});
