/**
 * Invitation links are short (issue 18 item 6): `/s/<22 characters>`, 128 random bits whose SHA-256
 * alone is stored, resolving server-side to the recipient's link. They die with it (resend, void,
 * decline, completion, expiry), expire with the envelope, and never reach the request log or a job row.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema/jobs.js';
import { messages } from '../../src/db/schema/messages.js';
import { portals } from '../../src/db/schema/portals.js';
import { signerLinks } from '../../src/db/schema/signer-links.js';
import { createLogger } from '../../src/lib/logger.js';
import { sha256HexOf } from '../../src/lib/digest.js';
import { runExpiry } from '../../src/signing/timers.js';
import { createTestServices, ManualClock } from '../helpers/services.js';
import { client, FIELDS, lastMessage, samplePdf, sessionFor, tokenFromBody } from '../helpers/signing.js';

const DAY = 86_400_000;

describe('short invitation links', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let clock: ManualClock;
  const lines: string[] = [];
  let http: ReturnType<typeof client>;

  beforeAll(async () => {
    clock = new ManualClock(new Date('2026-05-04T10:00:00Z'));
    const base = await createTestServices({ clock });
    services = { ...base, logger: createLogger({ level: 'debug' }, { write: (l) => void lines.push(l) }) };
    http = client(services);
  });
  afterAll(() => services.testDb.close());

  async function send(recipients: unknown[], title = 'Short links') {
    const pdfBase64 = Buffer.from(await samplePdf()).toString('base64');
    const hasCompany = (recipients as { party: string }[]).some((r) => r.party === 'company');
    const res = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title, lang: 'en', pdfBase64, fields: FIELDS.filter((f) => hasCompany || f.party !== 'company'), recipients, send: true },
    });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    return res.data as { envelope: { id: string }; recipients: { id: string }[] };
  }
  const linkOf = async (rid: string) => tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
  const state = async (id: string) => (await http.req('GET', `/api/sign/${id}`)).data.state as string;

  it('is a 22-character id, stored only hashed, that opens the recipient\'s signing page', async () => {
    const { envelope, recipients } = await send([{ party: 'client', name: 'Ugo Riva', email: 'ugo@buyer.example' }]);
    const msg = (await lastMessage(services, recipients[0]!.id, 'invitation'))!;
    const url = /https?:\/\/\S+\/s\/\S+/.exec(msg.body)![0];
    const id = await linkOf(recipients[0]!.id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(url.length).toBeLessThan(80);
    const rows = await services.db.select().from(signerLinks).where(eq(signerLinks.envelopeId, envelope.id));
    expect(rows.map((r) => r.idHash)).toEqual([await sha256HexOf(new TextEncoder().encode(id))]);
    expect(JSON.stringify(rows)).not.toContain(id);
    const page = await http.req('GET', `/s/${id}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.data).toContain('Short links');
    expect(await state(id)).toBe('active');
    // Someone guessing: a near miss and a made-up id open nothing.
    expect((await http.req('GET', `/api/sign/${id.slice(0, -1)}${id.endsWith('x') ? 'y' : 'x'}`)).status).toBe(401);
    expect((await http.req('GET', `/s/${'A'.repeat(22)}`, { headers: { accept: 'text/html' } })).status).toBe(404);
  });

  it('the invitation names the sending company and the document', async () => {
    await services.db.insert(portals).values({ id: 'prt_test', memberId: 'member_test', domain: 'test.bitrix24.com', clientEndpoint: 'https://test.bitrix24.com/rest/', settings: { branding: { name: 'Rossi Trading S.r.l.' } } });
    const { recipients } = await send([{ party: 'client', name: 'Ugo Riva', email: 'ugo2@buyer.example' }], 'Supply agreement 9');
    const msg = (await lastMessage(services, recipients[0]!.id, 'invitation'))!;
    expect(msg.subject).toBe('Rossi Trading S.r.l.: please sign Supply agreement 9');
    expect(msg.body).toContain('Rossi Trading S.r.l. sent you “Supply agreement 9” to review and sign.');
    await services.db.delete(portals).where(eq(portals.id, 'prt_test'));
  });

  it('a resend revokes the old id; a void ends every id (the page tells the outcome, actions answer 410)', async () => {
    const { envelope, recipients } = await send([{ party: 'client', name: 'Ugo Riva', email: 'ugo3@buyer.example' }]);
    const rid = recipients[0]!.id;
    const first = await linkOf(rid);
    const bearer = await sessionFor(services);
    expect((await http.req('POST', `/api/envelopes/${envelope.id}/recipients/${rid}/resend`, { bearer })).status).toBeLessThan(300);
    const second = await linkOf(rid);
    expect(second).not.toBe(first);
    expect(await state(first)).toBe('revoked');
    expect((await http.req('POST', `/api/sign/${first}/code`)).status).toBe(410);
    expect(await state(second)).toBe('active');
    expect((await http.req('POST', `/api/envelopes/${envelope.id}/void`, { bearer, body: { reason: 'Wrong buyer' } })).status).toBeLessThan(300);
    expect(await state(second)).toBe('ended');
    expect((await http.req('POST', `/api/sign/${second}/code`)).status).toBe(410);
    const page = await http.req('GET', `/s/${second}`, { headers: { accept: 'text/html' } });
    expect(page.data).not.toContain(`/api/sign/${second}`);
  });

  it('expires with the envelope', async () => {
    const { envelope, recipients } = await send([{ party: 'client', name: 'Ugo Riva', email: 'ugo4@buyer.example' }]);
    const id = await linkOf(recipients[0]!.id);
    const [row] = await services.db.select().from(signerLinks).where(eq(signerLinks.envelopeId, envelope.id));
    expect(row!.expiresAt.getTime()).toBe(clock.now().getTime() + 30 * DAY);
    clock.advance(30 * DAY + 1000);
    // Past its expiry the id opens nothing even before the expiry job has run.
    expect(await state(id)).toBe('link_expired');
    expect((await http.req('POST', `/api/sign/${id}/code`)).status).toBe(410);
    await runExpiry(services, { portalId: 'prt_test', envelopeId: envelope.id });
    expect(await state(id)).toBe('ended');
  });

  it('never reaches the request log, a message row once delivered, or a job row', async () => {
    const ids = (await services.db.select({ body: messages.body }).from(messages)).map((m) => tokenFromBody(m.body)).filter((x): x is string => Boolean(x && !x.includes('[')));
    expect(ids.length).toBeGreaterThan(3);
    const log = lines.join('');
    expect(log).toContain('/s/[token]');
    expect(log).toContain('/api/sign/[token]');
    const jobRows = JSON.stringify(await services.db.select({ payload: jobs.payload, lastError: jobs.lastError }).from(jobs));
    for (const id of ids) {
      expect(log, 'log').not.toContain(id);
      expect(jobRows, 'jobs').not.toContain(id);
    }
  });
});
