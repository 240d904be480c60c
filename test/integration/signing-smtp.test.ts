import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCardEnvelope } from '../../src/card/card-data.js';
import { canResend } from '../../src/card/view.js';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { messages } from '../../src/db/schema/messages.js';
import { createJobHandlers } from '../../src/entry/jobs.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { createSmtpMailer } from '../../src/entry/smtp-mailer.js';
import { createTestServices, drainJobs, ManualClock } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, samplePdf, sessionFor, tokenFromBody } from '../helpers/signing.js';
import { startSmtpPeer, toAddress } from '../helpers/smtp-peer.js';

type TestServices = Awaited<ReturnType<typeof createTestServices>>;

/** Sends a one-recipient envelope through the API; its invitation is queued, not yet sent. */
async function sendTo(services: TestServices, email: string, title = 'Supply agreement') {
  const res = await client(services).req('POST', '/api/envelopes', {
    bearer: await sessionFor(services),
    body: { title, lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: [], recipients: [{ party: 'client', name: 'A B', email }], send: true },
  });
  expect(res.status, JSON.stringify(res.data)).toBe(201);
  return { envelopeId: res.data.envelope.id as string, recipientId: res.data.recipients[0].id as string };
}

const messagesOf = (s: TestServices, envelopeId: string) => s.db.select().from(messages).where(eq(messages.envelopeId, envelopeId));
const auditTypes = async (s: TestServices, envelopeId: string) =>
  (await s.db.select().from(auditEvents).where(eq(auditEvents.envelopeId, envelopeId))).map((e) => e.type);

describe('messages over real SMTP are durable jobs', () => {
  let services: TestServices;
  let peer: Awaited<ReturnType<typeof startSmtpPeer>>;
  const clock = new ManualClock(new Date());
  /** Runs due jobs, then moves time on past the queue's backoff `rounds - 1` times. */
  const drain = async (rounds = 1) => {
    await drainJobs(services);
    for (let i = 1; i < rounds; i++) {
      clock.advance(2 * 60 * 60_000);
      await drainJobs(services);
    }
  };

  beforeAll(async () => {
    peer = await startSmtpPeer();
    services = await createTestServices({ clock, env: { SMTP_URL: peer.url, MAIL_FROM: 'Sign <sign@b24sign.test>' } });
  });
  afterAll(async () => {
    services.mailer?.close?.();
    await peer.close();
    await services.testDb.close();
  });

  it('delivers an Italian invitation and a code that verifies; the stored copy of the code is masked, the job payload sealed', async () => {
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
    // Queued in the request, sent by the job.
    expect((await messagesOf(services, res.data.envelope.id)).map((m) => m.status)).toEqual(['queued']);
    await drain();
    const invitation = await peer.waitFor((m) => toAddress(m) === 'giulia@cliente.example' && /Da firmare/.test(m.subject ?? ''));
    expect(invitation.subject).toBe('Da firmare: Contratto di fornitura');
    expect(invitation.from?.text).toContain('sign@b24sign.test');
    expect(invitation.text).toContain('Gentile Giulia Verdi');
    expect(invitation.html).toContain('Esamina e firma');
    const [row] = await messagesOf(services, res.data.envelope.id);
    // One Message-ID per message row, so a repeated send is recognisably the same mail.
    expect(invitation.messageId).toBe(`<${row!.id}@b24sign.test>`);
    const token = tokenFromBody(invitation.text ?? '')!;
    expect(invitation.text).toContain(`http://b24sign.test/s/${token}`);

    expect((await http.req('POST', `/api/sign/${token}/code`)).status).toBe(200);
    await drain();
    const codeMail = await peer.waitFor((m) => /codice di firma/.test(m.subject ?? ''));
    const code = codeFromBody(codeMail.text ?? '')!;
    expect(code).toMatch(/^\d{6}$/);
    const v = await http.req('POST', `/api/sign/${token}/verify`, { body: { code } });
    expect(v.status, JSON.stringify(v.data)).toBe(200);

    const rows = await messagesOf(services, res.data.envelope.id);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    const stored = rows.find((r) => r.template === 'code')!;
    expect(stored.body).not.toContain(code);
    expect(stored.subject).not.toContain(code);
    const [job] = await services.db.select().from(jobs).where(eq(jobs.dedupeKey, `notify.deliver:${stored.id}`));
    expect(JSON.stringify(job!.payload)).not.toContain(code);
    expect(await auditTypes(services, res.data.envelope.id)).toEqual(expect.arrayContaining(['delivered']));
  });

  it('a recipient refused for now (450) is retried with backoff and delivered once the server takes it', async () => {
    peer.refuse = (a) => (a === 'later@busy.example' ? { code: 450, message: 'Mailbox busy, try again later' } : undefined);
    const { envelopeId, recipientId } = await sendTo(services, 'later@busy.example');
    await drain();
    let [m] = await messagesOf(services, envelopeId);
    expect(m).toMatchObject({ status: 'queued', error: expect.stringContaining('SMTP 450') });
    const [job] = await services.db.select().from(jobs).where(eq(jobs.dedupeKey, `notify.deliver:${m!.id}`));
    expect(job).toMatchObject({ status: 'queued', attempts: 1 });
    expect(job!.runAt.getTime()).toBeGreaterThan(clock.now().getTime());
    // The sender sees it is still on its way, with the reason.
    const card = await getCardEnvelope(services.db, services.config.publicUrl, { portalId: 'prt_test', envelopeId });
    expect(card!.recipients.find((r) => r.id === recipientId)!.delivery).toEqual([{ channel: 'email', status: 'queued', error: expect.stringContaining('450') }]);

    await drain(2); // still refused on the second attempt
    expect(peer.rcpts.filter((a) => a === 'later@busy.example')).toHaveLength(2);
    peer.refuse = undefined;
    await drain(2);
    [m] = await messagesOf(services, envelopeId);
    expect(m).toMatchObject({ status: 'sent', error: null });
    expect(peer.received.filter((x) => toAddress(x) === 'later@busy.example')).toHaveLength(1);
    await drain(3); // nothing left to send
    expect(peer.received.filter((x) => toAddress(x) === 'later@busy.example')).toHaveLength(1);
    expect(await auditTypes(services, envelopeId)).toContain('delivered');
    expect(await auditTypes(services, envelopeId)).not.toContain('delivery_failed');
  });

  it('a recipient refused for good (550) fails at once; the card shows it with "Resend", which delivers a new message', async () => {
    peer.refuse = (a) => (a === 'nobody@gone.example' ? { code: 550, message: 'No such user here' } : undefined);
    const { envelopeId, recipientId } = await sendTo(services, 'nobody@gone.example');
    await drain(3);
    expect(peer.rcpts.filter((a) => a === 'nobody@gone.example')).toHaveLength(1); // never repeated
    const [m] = await messagesOf(services, envelopeId);
    expect(m).toMatchObject({ status: 'failed', error: expect.stringContaining('SMTP 550') });
    expect(await auditTypes(services, envelopeId)).toContain('delivery_failed');
    let card = await getCardEnvelope(services.db, services.config.publicUrl, { portalId: 'prt_test', envelopeId });
    const r = card!.recipients.find((x) => x.id === recipientId)!;
    expect(r.delivery).toEqual([{ channel: 'email', status: 'failed', error: expect.stringContaining('No such user here') }]);
    expect(canResend(card!, r)).toBe(true);

    // The mailbox is fixed on their side; the sender resends from the card.
    peer.refuse = undefined;
    const res = await client(services).req('POST', `/api/envelopes/${envelopeId}/recipients/${recipientId}/resend`, { bearer: await sessionFor(services) });
    expect(res.status).toBe(200);
    await drain();
    expect(peer.received.filter((x) => toAddress(x) === 'nobody@gone.example')).toHaveLength(1);
    card = await getCardEnvelope(services.db, services.config.publicUrl, { portalId: 'prt_test', envelopeId });
    expect(card!.recipients.find((x) => x.id === recipientId)!.delivery).toEqual([{ channel: 'email', status: 'sent', error: null }]);
  });

  it('a queued message whose job went dead unsettled (its runner died on the last attempt) shows as failed in the card', async () => {
    peer.refuse = (a) => (a === 'stuck@busy.example' ? { code: 451, message: 'Local error in processing' } : undefined);
    const { envelopeId, recipientId } = await sendTo(services, 'stuck@busy.example');
    await drain();
    const [m] = await messagesOf(services, envelopeId);
    expect(m!.status).toBe('queued');
    // What the queue does to a job whose holder died on its final attempt: dead, without running the handler.
    await services.db.update(jobs).set({ status: 'dead' }).where(eq(jobs.dedupeKey, `notify.deliver:${m!.id}`));
    const card = await getCardEnvelope(services.db, services.config.publicUrl, { portalId: 'prt_test', envelopeId });
    expect(card!.recipients.find((r) => r.id === recipientId)!.delivery).toEqual([{ channel: 'email', status: 'failed', error: expect.stringContaining('SMTP 451') }]);
    peer.refuse = undefined;
  });

  it('a server that refuses connections delays the message; only the last attempt fails it', async () => {
    const real = services.mailer;
    services.mailer = createSmtpMailer('smtp://127.0.0.1:1', 'x@y.example');
    try {
      const { envelopeId } = await sendTo(services, 'a@b.example');
      await drain();
      let [m] = await messagesOf(services, envelopeId);
      expect(m).toMatchObject({ status: 'queued', error: expect.stringMatching(/^SMTP E[A-Z]+: .*ECONNREFUSED/) });
      await drain(12);
      [m] = await messagesOf(services, envelopeId);
      expect(m).toMatchObject({ status: 'failed', error: expect.stringMatching(/^gave up after 10 attempts: SMTP/) });
      const [job] = await services.db.select().from(jobs).where(and(eq(jobs.dedupeKey, `notify.deliver:${m!.id}`)));
      expect(job!.attempts).toBe(10);
      expect(await auditTypes(services, envelopeId)).toContain('delivery_failed');
    } finally {
      services.mailer?.close?.();
      services.mailer = real;
    }
  });
});

describe('a one-time code reaches the signer without waiting for a poll', () => {
  it('the request queues the code and wakes the runner; the mail is at the SMTP peer well within one poll', async () => {
    const peer = await startSmtpPeer();
    const services = await createTestServices({ env: { SMTP_URL: peer.url, MAIL_FROM: 'Sign <sign@b24sign.test>' } });
    // A runner that would otherwise sleep 30 s between polls.
    const runner = createJobRunner({ db: services.db, handlers: createJobHandlers(), services, logger: services.logger, concurrency: 2, pollMs: 30_000, leaseMs: 60_000, workerId: 'test-wake' });
    services.wakeJobs = () => runner.wake();
    runner.start();
    try {
      await sendTo(services, 'fast@signer.example');
      const invitation = await peer.waitFor((m) => toAddress(m) === 'fast@signer.example', 5_000);
      const token = tokenFromBody(invitation.text ?? '')!;
      const t0 = performance.now();
      const res = await client(services).req('POST', `/api/sign/${token}/code`);
      const answered = performance.now() - t0;
      expect(res.status).toBe(200);
      await peer.waitFor((m) => toAddress(m) === 'fast@signer.example' && /code/i.test(m.subject ?? ''), 5_000);
      const arrived = performance.now() - t0;
      expect(arrived).toBeLessThan(3_000);
      expect(answered).toBeLessThan(arrived);
    } finally {
      await runner.stop({ timeoutMs: 2_000 });
      services.mailer?.close?.();
      await peer.close();
      await services.testDb.close();
    }
  });
});
