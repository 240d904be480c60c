/**
 * One-time codes against someone holding a forwarded or stolen link: a code is checked even for a
 * recipient already verified, a new code never buys more guesses, and every attempt is audited.
 * The budget (src/signing/otp.ts): locks after the 5th, 10th and 15th wrong code (15 min, 1 h, 24 h);
 * at most 15 wrong codes in any 24 hours.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { verifyAuditChain } from '../../src/signing/audit.js';
import { createTestServices, ManualClock } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, tokenFromBody } from '../helpers/signing.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('one-time codes', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let clock: ManualClock;
  let http: ReturnType<typeof client>;
  let pdfBase64: string;

  beforeAll(async () => {
    clock = new ManualClock(new Date('2026-04-06T08:00:00Z'));
    services = await createTestServices({ clock });
    http = client(services);
    pdfBase64 = Buffer.from(await samplePdf()).toString('base64');
  });
  afterAll(() => services.testDb.close());

  /** One client signer; returns the link and the recipient id. */
  async function invite(): Promise<{ link: string; rid: string; envelopeId: string }> {
    const fields = FIELDS.filter((f) => f.party !== 'company');
    const res = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title: 'Supply contract', lang: 'en', pdfBase64, fields, recipients: [{ party: 'client', name: 'Mario Bianchi', email: 'mario@buyer.example' }], send: true },
    });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    const rid = res.data.recipients[0].id as string;
    const link = tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
    expect((await http.req('POST', `/api/sign/${link}/open`)).status).toBe(200);
    return { link, rid, envelopeId: res.data.envelope.id };
  }

  const askCode = (link: string) => http.req('POST', `/api/sign/${link}/code`);
  const tryCode = (link: string, code: string) => http.req('POST', `/api/sign/${link}/verify`, { body: { code } });
  const codeOf = async (rid: string) => codeFromBody((await lastMessage(services, rid, 'code'))!.body)!;
  /** A wrong 6-digit code: any code but the live one. */
  const wrongFor = (right: string) => (right === '123456' ? '654321' : '123456');
  const row = async (rid: string) => (await services.db.select().from(recipients).where(eq(recipients.id, rid)))[0]!;

  it('a verified recipient gets a new action token only with a right code', async () => {
    const { link, rid } = await invite();
    expect((await askCode(link)).status).toBe(200);
    const first = await codeOf(rid);
    expect((await tryCode(link, first)).data.actionToken).toBeTruthy();
    expect((await row(rid)).status).toBe('verified');

    // The used code is spent; a guess is refused and earns no token.
    const reused = await tryCode(link, first);
    expect(reused.status).toBe(400);
    expect(reused.data.actionToken).toBeUndefined();
    // A reloaded page asks for a new code (no longer refused for verified recipients)…
    clock.advance(MIN + 1000);
    expect((await askCode(link)).status).toBe(200);
    const second = await codeOf(rid);
    // …and a wrong one is counted, not waved through.
    const wrong = await tryCode(link, wrongFor(second));
    expect(wrong.status).toBe(400);
    expect(wrong.data.error.code).toBe('CODE_INVALID');
    expect(wrong.data.actionToken).toBeUndefined();
    expect((await tryCode(link, second)).data.actionToken).toBeTruthy();

    const events = await services.db.select().from(auditEvents).where(eq(auditEvents.recipientId, rid));
    const codeEvents = events.filter((e) => e.type.startsWith('code_') && e.type !== 'code_sent').map((e) => [e.type, (e.data as { reason?: string }).reason ?? null]);
    expect(codeEvents).toEqual([
      ['code_verified', null],
      ['code_failed', 'no_code'],
      ['code_failed', 'wrong'],
      ['code_verified', null],
    ]);
    expect(events.find((e) => e.type === 'code_failed')!.ip).toBe('203.0.113.7');
  });

  it('a new code does not reset the count: the 5th wrong code locks, whatever was re-sent in between', async () => {
    const { link, rid } = await invite();
    expect((await askCode(link)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await tryCode(link, wrongFor(await codeOf(rid)))).data.error.code).toBe('CODE_INVALID');
    clock.advance(MIN + 1000);
    expect((await askCode(link)).status).toBe(200);
    const fifth = await tryCode(link, wrongFor(await codeOf(rid)));
    expect(fifth.status).toBe(429);
    expect(fifth.data.error.code).toBe('CODE_LOCKED');
    expect(fifth.data.error.details.retryAfterSeconds).toBe(15 * 60);
    // No new code while locked.
    expect((await askCode(link)).data.error.code).toBe('CODE_LOCKED');

    // The next lock is longer: 1 hour after the 10th wrong code.
    clock.advance(15 * MIN);
    expect((await askCode(link)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await tryCode(link, wrongFor(await codeOf(rid)))).data.error.code).toBe('CODE_INVALID');
    const tenth = await tryCode(link, wrongFor(await codeOf(rid)));
    expect(tenth.data.error.details.retryAfterSeconds).toBe(60 * 60);

    // And a day after the 15th.
    clock.advance(HOUR);
    expect((await askCode(link)).status).toBe(200);
    for (let i = 0; i < 4; i++) await tryCode(link, wrongFor(await codeOf(rid)));
    const fifteenth = await tryCode(link, wrongFor(await codeOf(rid)));
    expect(fifteenth.data.error.details.retryAfterSeconds).toBe(24 * 60 * 60);
    clock.advance(23 * HOUR);
    expect((await askCode(link)).data.error.code).toBe('CODE_LOCKED');

    // A day without wrong codes forgets them; the right code then works.
    clock.advance(HOUR);
    expect((await askCode(link)).status).toBe(200);
    expect((await tryCode(link, wrongFor(await codeOf(rid)))).data.error.details.attemptsLeft).toBe(4);
    expect((await tryCode(link, await codeOf(rid))).data.actionToken).toBeTruthy();
    expect((await row(rid)).otpAttempts).toBe(0);
  });

  it('an attacker who re-sends as fast as allowed for two days gets at most 15 guesses in any 24 hours, all audited', async () => {
    const { link, rid, envelopeId } = await invite();
    const start = clock.now().getTime();
    const guesses: number[] = [];
    let calls = 0;
    while (clock.now().getTime() - start < 48 * HOUR) {
      const ask = await askCode(link);
      if (ask.status !== 200) {
        clock.advance(ask.data.error.details.retryAfterSeconds * 1000);
        continue;
      }
      const right = await codeOf(rid);
      // Guess until refused; every answer that judged the guess counts.
      for (;;) {
        const g = await tryCode(link, wrongFor(right));
        calls++;
        // Only judged guesses get here: the loop never asks while locked.
        if (g.data.error.code === 'CODE_INVALID' || g.data.error.code === 'CODE_LOCKED') guesses.push(clock.now().getTime());
        if (g.data.error.code !== 'CODE_INVALID') break;
      }
      clock.advance(MIN + 1000);
    }
    // A sliding 24-hour window over every judged guess.
    let most = 0;
    for (const t of guesses) most = Math.max(most, guesses.filter((u) => u >= t && u < t + 24 * HOUR).length);
    expect(most).toBe(15);
    expect(guesses.length).toBeLessThanOrEqual(30);
    // Every verify call left one audit row, and the chain still holds.
    const attempts = (await services.db.select().from(auditEvents).where(eq(auditEvents.recipientId, rid))).filter((e) => ['code_failed', 'code_locked', 'code_verified'].includes(e.type));
    expect(attempts).toHaveLength(calls);
    expect((await verifyAuditChain(services.db, { portalId: 'prt_test', envelopeId })).ok).toBe(true);
  });
});
