import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { createTestServices, ManualClock } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, tokenFromBody } from '../helpers/signing.js';

/**
 * Issue 18 item 3 on the server: declining through a signing link needs the action token the one-time
 * code gives, like signing (a leaked link alone cannot end the envelope for everyone); a later signer's
 * page names who signed before (name, side, time; no address).
 */
describe('signing link: decline needs the code; earlier signatures on the page', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let http: ReturnType<typeof client>;
  let pdfBase64: string;

  beforeAll(async () => {
    services = await createTestServices({ clock: new ManualClock(new Date('2026-03-02T09:00:00Z')) });
    http = client(services);
    pdfBase64 = Buffer.from(await samplePdf()).toString('base64');
  });
  afterAll(() => services.testDb.close());

  const COMPANY = { party: 'company', name: 'Anna Rossi', email: 'anna@seller.example', b24UserId: 7 } as const;
  const CLIENT = { party: 'client', name: 'Maria Bianchi', email: 'maria@buyer.example' } as const;

  async function send(rs: unknown[]) {
    const res = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title: 'Supply agreement', lang: 'en', pdfBase64, fields: FIELDS, recipients: rs, send: true },
    });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    return res.data as { envelope: { id: string }; recipients: { id: string }[] };
  }
  const linkOf = async (id: string) => tokenFromBody((await lastMessage(services, id, 'invitation'))!.body)!;
  async function actionFor(link: string, id: string) {
    await http.req('POST', `/api/sign/${link}/code`);
    const v = await http.req('POST', `/api/sign/${link}/verify`, { body: { code: codeFromBody((await lastMessage(services, id, 'code'))!.body) } });
    expect(v.status, JSON.stringify(v.data)).toBe(200);
    return v.data.actionToken as string;
  }
  const declinedEvents = async (envelopeId: string) => (await services.db.select().from(auditEvents).where(and(eq(auditEvents.envelopeId, envelopeId), eq(auditEvents.type, 'declined')))).length;

  it('refuses a decline without the action token, or with another recipient’s, and accepts it with the code', async () => {
    // Both parties at order 1: both links are active at once, so A's token could be tried on B's link.
    const sent = await send([
      { ...COMPANY, order: 1 },
      { ...CLIENT, order: 1 },
    ]);
    const [a, b] = sent.recipients;
    const linkA = await linkOf(a!.id);
    const linkB = await linkOf(b!.id);
    expect((await http.req('POST', `/api/sign/${linkB}/open`)).status).toBe(200);

    const bare = await http.req('POST', `/api/sign/${linkB}/decline`, { body: { reason: 'Wrong price in clause 3' } });
    expect(bare.status).toBe(401);
    expect(bare.data.error.code).toBe('UNAUTHORIZED');
    const forged = await http.req('POST', `/api/sign/${linkB}/decline`, { body: { reason: 'Wrong price in clause 3' }, headers: { 'x-sign-action': 'not-a-token' } });
    expect(forged.status).toBe(401);
    const actionA = await actionFor(linkA, a!.id);
    const crossed = await http.req('POST', `/api/sign/${linkB}/decline`, { body: { reason: 'Wrong price in clause 3' }, headers: { 'x-sign-action': actionA } });
    expect(crossed.status).toBe(401);
    // Nothing moved: the envelope is still out for signing, no decline in the audit chain.
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, sent.envelope.id));
    expect(env!.status).toBe('sent');
    expect(await declinedEvents(sent.envelope.id)).toBe(0);

    const actionB = await actionFor(linkB, b!.id);
    const ok = await http.req('POST', `/api/sign/${linkB}/decline`, { body: { reason: 'Wrong price in clause 3' }, headers: { 'x-sign-action': actionB } });
    expect(ok.status, JSON.stringify(ok.data)).toBe(200);
    const [after] = await services.db.select().from(envelopes).where(eq(envelopes.id, sent.envelope.id));
    expect(after!.status).toBe('declined');
    const [rb] = await services.db.select().from(recipients).where(eq(recipients.id, b!.id));
    expect(rb!.status).toBe('declined');
    expect(await declinedEvents(sent.envelope.id)).toBe(1);
  });

  it('a later signer’s page names who signed before (name, side, time; no e-mail); the last signer learns the document is complete', async () => {
    const sent = await send([COMPANY, CLIENT]);
    const [a, b] = sent.recipients;
    const linkA = await linkOf(a!.id);
    // The first signer sees no such note.
    const first = await http.req('GET', `/s/${linkA}`, { headers: { accept: 'text/html' } });
    expect(first.data).not.toContain('id="prior"');
    const signedA = await http.req('POST', `/api/sign/${linkA}/sign`, {
      body: { acceptTerms: true, values: {}, signature: { method: 'typed', text: 'Anna Rossi' } },
      headers: { 'x-sign-action': await actionFor(linkA, a!.id) },
    });
    expect(signedA.data.envelopeStatus).toBe('in_progress');

    const linkB = await linkOf(b!.id);
    const en = await http.req('GET', `/s/${linkB}`, { headers: { accept: 'text/html' } });
    expect(en.data).toContain('Already signed');
    expect(en.data).toMatch(/Anna Rossi \(company\) — signed 2 March 2026 at 09:00 UTC/);
    const ru = await http.req('GET', `/s/${linkB}?lang=ru`, { headers: { accept: 'text/html' } });
    expect(ru.data).toMatch(/Уже подписали[\s\S]*Anna Rossi \(компания\) — подписано 2 марта 2026 г\. в 09:00 UTC/);
    for (const page of [en.data, ru.data]) expect(page).not.toContain('anna@seller.example');

    const signedB = await http.req('POST', `/api/sign/${linkB}/sign`, {
      body: { acceptTerms: true, values: { client_vat: 'IT0123' }, signature: { method: 'typed', text: 'Maria Bianchi' } },
      headers: { 'x-sign-action': await actionFor(linkB, b!.id) },
    });
    expect(signedB.data.envelopeStatus).toBe('completed');
  });
});
