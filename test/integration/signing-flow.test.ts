import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { messages } from '../../src/db/schema/messages.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { verifyAuditChain } from '../../src/signing/audit.js';
import { runExpiry, runReminder } from '../../src/signing/timers.js';
import { issueSignerToken } from '../../src/signing/tokens.js';
import { createTestServices, ManualClock } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

const DAY = 86_400_000;

describe('signing flow through the HTTP routes', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let clock: ManualClock;
  let http: ReturnType<typeof client>;
  // Sessions last 2 hours and these tests move the clock by days: issue one per call.
  const fresh = () => sessionFor(services);
  let pdfBase64: string;

  beforeAll(async () => {
    clock = new ManualClock(new Date('2026-03-02T09:00:00Z'));
    services = await createTestServices({ clock });
    http = client(services);
    pdfBase64 = Buffer.from(await samplePdf()).toString('base64');
  });
  afterAll(() => services.testDb.close());

  const COMPANY = { party: 'company', name: 'Anna Rossi', email: 'anna@seller.example', b24UserId: 7 } as const;
  const CLIENT = { party: 'client', name: 'Иван Петров', email: 'ivan@buyer.example' } as const;

  async function createAndSend(recipientsIn: unknown[], extra: Record<string, unknown> = {}) {
    // Envelopes without a company signer carry no company fields.
    const hasCompany = (recipientsIn as { party: string }[]).some((r) => r.party === 'company');
    const fields = FIELDS.filter((f) => hasCompany || f.party !== 'company');
    const res = await http.req('POST', '/api/envelopes', { bearer: await fresh(), body: { title: 'Contract 42', lang: 'en', pdfBase64, fields, recipients: recipientsIn, send: true, ...extra } });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    return res.data as { envelope: { id: string; status: string }; recipients: { id: string; status: string; name: string; party: string }[] };
  }

  async function linkOf(recipientId: string) {
    const m = await lastMessage(services, recipientId, 'invitation');
    expect(m, 'invitation recorded').toBeTruthy();
    return tokenFromBody(m!.body)!;
  }

  async function verifyWithCode(token: string, recipientId: string) {
    expect((await http.req('POST', `/api/sign/${token}/open`)).status).toBe(200);
    const code = await http.req('POST', `/api/sign/${token}/code`);
    expect(code.status, JSON.stringify(code.data)).toBe(200);
    const m = await lastMessage(services, recipientId, 'code');
    const v = await http.req('POST', `/api/sign/${token}/verify`, { body: { code: codeFromBody(m!.body) } });
    expect(v.status, JSON.stringify(v.data)).toBe(200);
    return v.data.actionToken as string;
  }

  async function sign(token: string, recipientId: string, body: Record<string, unknown>) {
    const action = await verifyWithCode(token, recipientId);
    return http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: {}, ...body }, headers: { 'x-sign-action': action } });
  }

  it('sequential: company signer first, then the client; the envelope completes and a sealing job is queued', async () => {
    const { envelope, recipients: rs } = await createAndSend([COMPANY, CLIENT]);
    expect(envelope.status).toBe('sent');
    const [company, cli] = rs;
    expect(company!.party).toBe('company');
    expect(company!.status).toBe('invited');
    expect(cli!.status).toBe('waiting');
    // Only the company signer has been invited: by e-mail and, as a portal user, in the messenger.
    const sent = await services.db.select().from(messages).where(eq(messages.envelopeId, envelope.id));
    expect(sent.map((m) => [m.recipientId, m.channel, m.template]).sort()).toEqual([
      [company!.id, 'email', 'invitation'],
      [company!.id, 'im', 'invitation'],
    ]);

    const companyLink = await linkOf(company!.id);
    const page = await http.req('GET', `/s/${companyLink}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.data).toContain('Company signature');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.data).not.toContain('Client VAT number');

    const r1 = await sign(companyLink, company!.id, { signature: { method: 'typed', text: 'Anna Rossi' } });
    expect(r1.status, JSON.stringify(r1.data)).toBe(200);
    expect(r1.data.envelopeStatus).toBe('in_progress');

    const clientLink = await linkOf(cli!.id);
    // A required field left empty is refused, and nothing changes.
    const missing = await sign(clientLink, cli!.id, { signature: { method: 'drawn', image: `data:image/png;base64,${TINY_PNG_B64}` } });
    expect(missing.status).toBe(400);
    expect(missing.data.error.details.field).toBe('client_vat');
    // Already verified, yet a code is still checked: the used one is gone, and a made-up one earns nothing.
    const madeUp = await http.req('POST', `/api/sign/${clientLink}/verify`, { body: { code: '000000' } });
    expect(madeUp.data.error.code).toBe('CODE_EXPIRED');
    expect(madeUp.data.actionToken).toBeUndefined();
    clock.advance(61_000); // the resend cooldown
    expect((await http.req('POST', `/api/sign/${clientLink}/code`)).status).toBe(200);
    const again = codeFromBody((await lastMessage(services, cli!.id, 'code'))!.body)!;
    const action = (await http.req('POST', `/api/sign/${clientLink}/verify`, { body: { code: again } })).data;
    expect(action.actionToken).toBeTruthy();
    const r2 = await http.req('POST', `/api/sign/${clientLink}/sign`, {
      body: { acceptTerms: true, values: { client_vat: 'RU7701234567' }, signature: { method: 'drawn', image: `data:image/png;base64,${TINY_PNG_B64}` } },
      headers: { 'x-sign-action': action.actionToken },
    });
    expect(r2.status, JSON.stringify(r2.data)).toBe(200);
    expect(r2.data.envelopeStatus).toBe('completed');

    const got = await http.req('GET', `/api/envelopes/${envelope.id}`, { bearer: await fresh() });
    expect(got.data.envelope.status).toBe('completed');
    expect(got.data.recipients.map((r: { status: string }) => r.status)).toEqual(['signed', 'signed']);
    const queued = await services.db.select().from(jobs).where(eq(jobs.dedupeKey, `signing.complete:${envelope.id}`));
    expect(queued).toHaveLength(1);

    const audit = await http.req('GET', `/api/envelopes/${envelope.id}/audit`, { bearer: await fresh() });
    expect(audit.data.chain.ok).toBe(true);
    const types = audit.data.events.map((e: { type: string }) => e.type);
    for (const t of ['created', 'recipients_set', 'sent', 'delivered', 'opened', 'code_sent', 'code_verified', 'field_filled', 'signed', 'completed']) expect(types).toContain(t);
    const signed = audit.data.events.find((e: { type: string; recipientId: string }) => e.type === 'signed' && e.recipientId === cli!.id);
    expect(signed.ip).toBe('203.0.113.7');
    expect(signed.userAgent).toBe('vitest');

    // A stolen link used after completion: the page says it is finished and shows nothing of the document.
    const after = await http.req('GET', `/s/${clientLink}`, { headers: { accept: 'text/html' } });
    expect(after.status).toBe(200);
    expect(after.data).toContain('signed by every party');
    expect(after.data).not.toContain('sign-data');
    expect((await http.req('GET', `/api/sign/${clientLink}/document.pdf`)).status).toBe(410);
    expect((await http.req('POST', `/api/sign/${clientLink}/code`)).status).toBe(410);
    expect((await http.req('POST', `/api/sign/${clientLink}/sign`, { body: { acceptTerms: true, values: {} }, headers: { 'x-sign-action': action.actionToken } })).status).toBe(410);
  });

  it('parallel: equal order numbers are invited together and either may sign first', async () => {
    const { envelope, recipients: rs } = await createAndSend([
      { ...CLIENT, order: 1 },
      { party: 'client', name: 'Maria Bianchi', email: 'maria@buyer.example', order: 1 },
      { party: 'client', role: 'viewer', name: 'Archive', email: 'archive@buyer.example' },
    ]);
    const [a, b, viewer] = rs;
    expect([a!.status, b!.status, viewer!.status]).toEqual(['invited', 'invited', 'waiting']);
    const rb = await sign(await linkOf(b!.id), b!.id, { signature: { method: 'typed', text: 'Maria Bianchi' } });
    expect(rb.status, JSON.stringify(rb.data)).toBe(200);
    expect(rb.data.envelopeStatus).toBe('in_progress');
    // client_vat belongs to the party's first signer (a): b may not fill it.
    const ra = await sign(await linkOf(a!.id), a!.id, { values: { client_vat: 'X-1' }, signature: { method: 'uploaded', image: TINY_PNG_B64 } });
    expect(ra.status, JSON.stringify(ra.data)).toBe(200);
    expect(ra.data.envelopeStatus).toBe('completed');
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelope.id));
    expect(env!.status).toBe('completed');
  });

  it('an approver approves without a signature, then the signer signs', async () => {
    const { envelope, recipients: rs } = await createAndSend([
      { party: 'client', role: 'approver', name: 'Legal Dept', email: 'legal@buyer.example', order: 1 },
      { ...CLIENT, order: 2 },
    ]);
    const [approver, signer] = rs;
    expect([approver!.status, signer!.status]).toEqual(['invited', 'waiting']);
    const link = await linkOf(approver!.id);
    const page = await http.req('GET', `/s/${link}`, { headers: { accept: 'text/html' } });
    expect(page.data).toContain('Approve the document');
    expect(page.data).not.toContain('id="sig-pad"');
    // The approver owns no fields (client_vat belongs to the party's first signer) and signs nothing.
    const ok = await sign(link, approver!.id, {});
    expect(ok.status, JSON.stringify(ok.data)).toBe(200);
    const mid = await http.req('GET', `/api/envelopes/${envelope.id}`, { bearer: await fresh() });
    expect(mid.data.recipients.map((r: { status: string }) => r.status)).toEqual(['approved', 'invited']);
    const done = await sign(await linkOf(signer!.id), signer!.id, { values: { client_vat: 'V-9' }, signature: { method: 'typed', text: 'Ivan Petrov' } });
    expect(done.data.envelopeStatus).toBe('completed');
  });

  it('out of turn: a valid link for a later recipient is refused by the server', async () => {
    const { envelope, recipients: rs } = await createAndSend([COMPANY, CLIENT]);
    const cli = rs[1]!;
    // Mint what a leaked-but-genuine link would be (the server never sent one yet).
    const [row] = await services.db.select().from(recipients).where(eq(recipients.id, cli.id));
    const forged = await issueSignerToken(services.config.sessionSecret, { portalId: 'prt_test', envelopeId: envelope.id, recipientId: cli.id, version: row!.tokenVersion }, { now: clock.now(), expiresAt: new Date(clock.now().getTime() + DAY) });
    const state = await http.req('GET', `/api/sign/${forged}`);
    expect(state.data.state).toBe('not_your_turn');
    expect((await http.req('POST', `/api/sign/${forged}/open`)).data.error.code).toBe('NOT_YOUR_TURN');
    expect((await http.req('POST', `/api/sign/${forged}/code`)).status).toBe(409);
    expect((await http.req('POST', `/api/sign/${forged}/decline`, { body: { reason: 'not mine' } })).data.error.code).toBe('NOT_YOUR_TURN');
    const html = await http.req('GET', `/s/${forged}`, { headers: { accept: 'text/html' } });
    expect(html.data).toContain('not your turn');
    const [still] = await services.db.select().from(recipients).where(eq(recipients.id, cli.id));
    expect(still!.status).toBe('waiting');
  });

  it("a token for recipient A cannot act for B, and A's code session does not sign B's part", async () => {
    const { recipients: rs } = await createAndSend([
      { ...CLIENT, order: 1 },
      { party: 'client', name: 'Maria Bianchi', email: 'maria@buyer.example', order: 1 },
    ]);
    const [a, b] = rs;
    const linkA = await linkOf(a!.id);
    const linkB = await linkOf(b!.id);
    const actionA = await verifyWithCode(linkA, a!.id);
    await http.req('POST', `/api/sign/${linkB}/open`);
    const res = await http.req('POST', `/api/sign/${linkB}/sign`, { body: { acceptTerms: true, values: {}, signature: { method: 'typed', text: 'Mallory' } }, headers: { 'x-sign-action': actionA } });
    expect(res.status).toBe(401);
    // A's short link with one character changed opens nothing.
    const flipped = linkA.slice(0, -1) + (linkA.endsWith('A') ? 'B' : 'A');
    expect((await http.req('GET', `/api/sign/${flipped}`)).status).toBe(401);
    // A signed (long-form) link whose payload was edited to name B fails its signature.
    const [rowA] = await services.db.select().from(recipients).where(eq(recipients.id, a!.id));
    const tokenA = await issueSignerToken(services.config.sessionSecret, { portalId: rowA!.portalId, envelopeId: rowA!.envelopeId, recipientId: a!.id, version: rowA!.tokenVersion }, { now: clock.now(), expiresAt: new Date(clock.now().getTime() + DAY) });
    expect((await http.req('GET', `/api/sign/${tokenA}`)).status).toBe(200);
    const [h, p, s] = tokenA.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const edited = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: b!.id })).toString('base64url')}.${s}`;
    expect((await http.req('GET', `/api/sign/${edited}`)).status).toBe(401);
    const [rowB] = await services.db.select().from(recipients).where(eq(recipients.id, b!.id));
    expect(rowB!.status).toBe('opened');
  });

  it('decline needs a reason, ends the envelope, revokes links and tells the others', async () => {
    const { envelope, recipients: rs } = await createAndSend([COMPANY, CLIENT]);
    const company = rs[0]!;
    const link = await linkOf(company.id);
    // Declining is confirmed with the one-time code, like signing (test/integration/signing-decline-code.test.ts).
    const action = await verifyWithCode(link, company.id);
    const empty = await http.req('POST', `/api/sign/${link}/decline`, { body: { reason: ' ' }, headers: { 'x-sign-action': action } });
    expect(empty.status).toBe(400);
    const ok = await http.req('POST', `/api/sign/${link}/decline`, { body: { reason: 'Wrong price in clause 3' }, headers: { 'x-sign-action': action } });
    expect(ok.status).toBe(200);
    const got = await http.req('GET', `/api/envelopes/${envelope.id}`, { bearer: await fresh() });
    expect(got.data.envelope.status).toBe('declined');
    expect(got.data.envelope.endReason).toBe('Wrong price in clause 3');
    expect(got.data.recipients[0].declineReason).toBe('Wrong price in clause 3');
    const state = await http.req('GET', `/api/sign/${link}`);
    expect(state.data.state).toBe('ended');
    expect(state.data.envelopeStatus).toBe('declined');
    // Declining again, or any other move, is an illegal transition.
    const again = await http.req('POST', `/api/envelopes/${envelope.id}/void`, { bearer: await fresh(), body: { reason: 'too late' } });
    expect(again.data.error.code).toBe('ILLEGAL_TRANSITION');
  });

  it('void with a reason: links show a clear page, actions answer 410', async () => {
    const { envelope, recipients: rs } = await createAndSend([COMPANY, CLIENT]);
    const link = await linkOf(rs[0]!.id);
    expect((await http.req('POST', `/api/envelopes/${envelope.id}/void`, { bearer: await fresh(), body: { reason: '' } })).status).toBe(400);
    const v = await http.req('POST', `/api/envelopes/${envelope.id}/void`, { bearer: await fresh(), body: { reason: 'Sent by mistake' } });
    expect(v.status).toBe(200);
    expect(v.data.envelope.status).toBe('voided');
    const page = await http.req('GET', `/s/${link}?lang=it`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.data).toContain('Il mittente ha annullato il documento');
    expect((await http.req('POST', `/api/sign/${link}/code`)).status).toBe(410);
    const voidedMail = await lastMessage(services, rs[0]!.id, 'voided');
    expect(voidedMail?.body).toContain('Sent by mistake');
  });

  it('OTP: 5 minutes, 5 attempts then locked, resend cooldown, stored hashed', async () => {
    const { recipients: rs } = await createAndSend([CLIENT]);
    const r = rs[0]!;
    const link = await linkOf(r.id);
    await http.req('POST', `/api/sign/${link}/open`);
    expect((await http.req('POST', `/api/sign/${link}/code`)).status).toBe(200);
    const code = codeFromBody((await lastMessage(services, r.id, 'code'))!.body)!;
    const [row] = await services.db.select().from(recipients).where(eq(recipients.id, r.id));
    expect(row!.otpHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.otpHash).not.toContain(code);
    // Cooldown: another code right away is refused.
    const again = await http.req('POST', `/api/sign/${link}/code`);
    expect(again.status).toBe(429);
    expect(again.data.error.code).toBe('RATE_LIMITED');
    // Expiry after 5 minutes.
    clock.advance(5 * 60_000 + 1000);
    expect((await http.req('POST', `/api/sign/${link}/verify`, { body: { code } })).data.error.code).toBe('CODE_EXPIRED');
    expect((await http.req('POST', `/api/sign/${link}/code`)).status).toBe(200);
    const code2 = codeFromBody((await lastMessage(services, r.id, 'code'))!.body)!;
    const wrong = code2 === '111111' ? '222222' : '111111';
    for (let i = 1; i <= 4; i++) {
      const w = await http.req('POST', `/api/sign/${link}/verify`, { body: { code: wrong } });
      expect(w.data.error.code).toBe('CODE_INVALID');
      expect(w.data.error.details.attemptsLeft).toBe(5 - i);
    }
    const fifth = await http.req('POST', `/api/sign/${link}/verify`, { body: { code: wrong } });
    expect(fifth.status).toBe(429);
    expect(fifth.data.error.code).toBe('CODE_LOCKED');
    // Locked: even the right code is refused now, and no new code is sent.
    expect((await http.req('POST', `/api/sign/${link}/verify`, { body: { code: code2 } })).data.error.code).toBe('CODE_LOCKED');
    clock.advance(2 * 60_000);
    expect((await http.req('POST', `/api/sign/${link}/code`)).data.error.code).toBe('CODE_LOCKED');
    // After the lock-out a fresh code works.
    clock.advance(15 * 60_000);
    expect((await http.req('POST', `/api/sign/${link}/code`)).status).toBe(200);
    const code3 = codeFromBody((await lastMessage(services, r.id, 'code'))!.body)!;
    expect((await http.req('POST', `/api/sign/${link}/verify`, { body: { code: code3 } })).status).toBe(200);
    const types = (await services.db.select().from(auditEvents).where(eq(auditEvents.recipientId, r.id))).map((e) => e.type);
    // Every attempt is in the chain: 4 wrong codes, the 5th (code_locked), the expired one and the one made while locked.
    const failed = (await services.db.select().from(auditEvents).where(eq(auditEvents.recipientId, r.id))).filter((e) => e.type === 'code_failed').map((e) => (e.data as { reason: string }).reason);
    expect(failed.sort()).toEqual(['expired', 'locked', 'wrong', 'wrong', 'wrong', 'wrong']);
    expect(types).toContain('code_locked');
    expect(types).toContain('code_verified');
  });

  it('changes an e-mail before the recipient opens, not after; the old link is revoked', async () => {
    const { envelope, recipients: rs } = await createAndSend([CLIENT]);
    const r = rs[0]!;
    const oldLink = await linkOf(r.id);
    const ch = await http.req('POST', `/api/envelopes/${envelope.id}/recipients/${r.id}/email`, { bearer: await fresh(), body: { email: 'ivan.new@buyer.example' } });
    expect(ch.status, JSON.stringify(ch.data)).toBe(200);
    expect(ch.data.recipients[0].email).toBe('ivan.new@buyer.example');
    expect((await http.req('GET', `/api/sign/${oldLink}`)).data.state).toBe('revoked');
    const newMail = await lastMessage(services, r.id, 'invitation');
    expect(newMail!.to).toBe('ivan.new@buyer.example');
    const newLink = tokenFromBody(newMail!.body)!;
    await http.req('POST', `/api/sign/${newLink}/open`);
    const late = await http.req('POST', `/api/envelopes/${envelope.id}/recipients/${r.id}/email`, { bearer: await fresh(), body: { email: 'x@y.example' } });
    expect(late.data.error.code).toBe('ILLEGAL_TRANSITION');
    // Resend issues yet another link and revokes the previous one.
    expect((await http.req('POST', `/api/envelopes/${envelope.id}/recipients/${r.id}/resend`, { bearer: await fresh() })).status).toBe(200);
    expect((await http.req('GET', `/api/sign/${newLink}`)).data.state).toBe('revoked');
  });

  it('reminders after 3 days then every 2, at most 5; expiry after 30 days', async () => {
    const start = clock.now();
    const { envelope, recipients: rs } = await createAndSend([CLIENT]);
    const r = rs[0]!;
    const pending = await services.db.select().from(jobs).where(and(eq(jobs.portalId, 'prt_test'), sql`${jobs.payload}->>'envelopeId' = ${envelope.id}`));
    const remind1 = pending.find((j) => j.kind === 'signing.remind')!;
    const expire = pending.find((j) => j.kind === 'signing.expire')!;
    expect(remind1.runAt.getTime() - start.getTime()).toBe(3 * DAY);
    expect(expire.runAt.getTime() - start.getTime()).toBe(30 * DAY);
    clock.set(remind1.runAt);
    expect((await runReminder(services, { portalId: 'prt_test', envelopeId: envelope.id, n: 1 })).reminded).toBe(1);
    // The same reminder run twice sends nothing more.
    expect((await runReminder(services, { portalId: 'prt_test', envelopeId: envelope.id, n: 1 })).reminded).toBe(0);
    const remind2 = (await services.db.select().from(jobs).where(eq(jobs.dedupeKey, `signing.remind:${envelope.id}:2`)))[0]!;
    expect(remind2.runAt.getTime() - remind1.runAt.getTime()).toBe(2 * DAY);
    for (let n = 2; n <= 5; n++) {
      clock.set(new Date(start.getTime() + (3 + 2 * (n - 1)) * DAY));
      expect((await runReminder(services, { portalId: 'prt_test', envelopeId: envelope.id, n })).reminded).toBe(1);
    }
    expect(await services.db.select().from(jobs).where(eq(jobs.dedupeKey, `signing.remind:${envelope.id}:6`))).toHaveLength(0);
    const reminders = await services.db.select().from(messages).where(and(eq(messages.recipientId, r.id), eq(messages.template, 'reminder')));
    expect(reminders).toHaveLength(5);
    // Too early: nothing expires.
    expect((await runExpiry(services, { portalId: 'prt_test', envelopeId: envelope.id })).expired).toBe(false);
    clock.set(expire.runAt);
    expect((await runExpiry(services, { portalId: 'prt_test', envelopeId: envelope.id })).expired).toBe(true);
    const got = await http.req('GET', `/api/envelopes/${envelope.id}`, { bearer: await fresh() });
    expect(got.data.envelope.status).toBe('expired');
    expect(got.data.recipients[0].status).toBe('expired');
    const link = tokenFromBody((await lastMessage(services, r.id, 'invitation'))!.body)!;
    const page = await http.req('GET', `/s/${link}`, { headers: { accept: 'text/html' } });
    expect(page.data).toContain('This document has expired');
  });

  it('timers are configurable per envelope', async () => {
    const start = clock.now();
    const { envelope } = await createAndSend([CLIENT], { timers: { reminderFirstDays: 1, expiryDays: 7 } });
    const js = await services.db.select().from(jobs).where(sql`${jobs.payload}->>'envelopeId' = ${envelope.id}`);
    expect(js.find((j) => j.kind === 'signing.remind')!.runAt.getTime() - start.getTime()).toBe(DAY);
    expect(js.find((j) => j.kind === 'signing.expire')!.runAt.getTime() - start.getTime()).toBe(7 * DAY);
  });

  it('the audit verifier finds the first tampered row', async () => {
    const { envelope } = await createAndSend([CLIENT]);
    expect((await verifyAuditChain(services.db, { portalId: 'prt_test', envelopeId: envelope.id })).ok).toBe(true);
    await services.db.execute(sql`update audit_events set ip = '198.51.100.1' where envelope_id = ${envelope.id} and seq = 2`);
    const v = await verifyAuditChain(services.db, { portalId: 'prt_test', envelopeId: envelope.id });
    expect(v).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'hash_mismatch' });
    // Deleting the newest rows leaves an intact-looking chain; the head kept on the envelope catches it.
    const { envelope: other } = await createAndSend([CLIENT]);
    const before = await verifyAuditChain(services.db, { portalId: 'prt_test', envelopeId: other.id });
    expect(before.ok).toBe(true);
    await services.db.execute(sql`delete from audit_events where envelope_id = ${other.id} and seq = ${before.count}`);
    expect(await verifyAuditChain(services.db, { portalId: 'prt_test', envelopeId: other.id })).toMatchObject({ ok: false, firstBadSeq: before.count, reason: 'truncated' });
  });

  it('another portal cannot see or touch the envelope', async () => {
    const { envelope } = await createAndSend([CLIENT]);
    const other = await sessionFor(services, 'prt_other', 1);
    expect((await http.req('GET', `/api/envelopes/${envelope.id}`, { bearer: other })).status).toBe(404);
    expect((await http.req('POST', `/api/envelopes/${envelope.id}/void`, { bearer: other, body: { reason: 'nope nope' } })).status).toBe(404);
    expect((await http.req('GET', '/api/envelopes', { bearer: other })).data.envelopes).toHaveLength(0);
    expect((await http.req('GET', '/api/envelopes')).status).toBe(401);
  });
});
