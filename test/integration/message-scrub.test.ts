import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, type Message } from '../../src/db/schema/messages.js';
import { scrubMessageText } from '../../src/lib/redact.js';
import { deliver } from '../../src/notify/deliver.js';
import { renderIm, renderMail } from '../../src/notify/texts.js';
import { cardEnvelopes } from '../helpers/card-envelope.js';
import { robotWorld, type RobotWorld } from '../helpers/robot.js';
import { createTestServices, drainJobs } from '../helpers/services.js';
import { client, codeFromBody, samplePdf, sessionFor, tokenFromBody } from '../helpers/signing.js';
import { startSmtpPeer, toAddress } from '../helpers/smtp-peer.js';

/**
 * Issue 14 item 3: a recorded message keeps no live link or code once it is delivered or has failed
 * for good. The peer (SMTP server, Bitrix24 messenger) gets the live text; the row keeps a redacted
 * copy; a resend renders a fresh message from the recipient's current link.
 */
type TestServices = Awaited<ReturnType<typeof createTestServices>>;

const LINK = 'http://b24sign.test/s/eyJhbGciOiJIUzI1NiJ9.eyJyIjoicmNwXzEiLCJ2IjoxfQ.c2lnbmF0dXJlLXBhcnQtaGVyZQ';
const TOKEN = LINK.slice(LINK.lastIndexOf('/') + 1);
const stored = (m: Message) => [m.subject, m.body, m.html ?? ''].join('\n');

describe('scrubMessageText', () => {
  it('takes the token out of every rendered link and the code out of code messages in en/it/ru', () => {
    for (const lang of ['en', 'it', 'ru'] as const) {
      const inv = renderMail(lang, 'invitation', { recipientName: 'A B', title: 'Contract 123456', link: LINK });
      for (const text of [inv.subject, inv.text, inv.html, renderIm(lang, 'invitation', { recipientName: 'A B', title: 'T', link: LINK })]) {
        const s = scrubMessageText('invitation', text);
        expect(s).not.toContain(TOKEN);
        expect(s).not.toMatch(/eyJ/);
        if (text.includes(LINK)) expect(s).toContain('http://b24sign.test/s/[token]');
      }
      // Numbers in other templates are left alone (a contract number is not a code).
      expect(scrubMessageText('invitation', inv.subject)).toContain('123456');
      const code = renderMail(lang, 'code', { recipientName: 'A B', title: 'T', code: '048213', minutes: 5 });
      for (const text of [code.subject, code.text, code.html]) {
        expect(text).toContain('048213');
        const s = scrubMessageText('code', text);
        expect(s).not.toContain('048213');
        expect(s).toContain('••••••');
      }
    }
  });

  it('keeps the messenger BB-code readable around the redacted link', () => {
    expect(scrubMessageText('invitation', `Sign [URL=${LINK}]Review[/URL]`)).toBe('Sign [URL=http://b24sign.test/s/[token]]Review[/URL]');
  });
});

describe('messages over SMTP are scrubbed once settled', () => {
  let services: TestServices;
  let peer: Awaited<ReturnType<typeof startSmtpPeer>>;
  const rowsOf = (envelopeId: string) => services.db.select().from(messages).where(eq(messages.envelopeId, envelopeId));

  beforeAll(async () => {
    peer = await startSmtpPeer();
    services = await createTestServices({ env: { SMTP_URL: peer.url, MAIL_FROM: 'Sign <sign@b24sign.test>' } });
  });
  afterAll(async () => {
    services.mailer?.close?.();
    await peer.close();
    await services.testDb.close();
  });

  async function sendTo(email: string) {
    const res = await client(services).req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title: 'Scrub test', lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: [], recipients: [{ party: 'client', name: 'A B', email }], send: true },
    });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    return { envelopeId: res.data.envelope.id as string, recipientId: res.data.recipients[0].id as string };
  }

  it('the peer gets the live link and code; the sent rows hold neither', async () => {
    const { envelopeId } = await sendTo('scrub@signer.example');
    // Queued: the job still needs the link.
    const [queued] = await rowsOf(envelopeId);
    expect(queued!.status).toBe('queued');
    expect(tokenFromBody(queued!.body)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await drainJobs(services);
    const invitation = await peer.waitFor((m) => toAddress(m) === 'scrub@signer.example');
    const token = tokenFromBody(invitation.text ?? '')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(invitation.html).toContain(token);

    const http = client(services);
    expect((await http.req('POST', `/api/sign/${token}/code`)).status).toBe(200);
    await drainJobs(services);
    const codeMail = await peer.waitFor((m) => toAddress(m) === 'scrub@signer.example' && /code/i.test(m.subject ?? ''));
    const code = codeFromBody(codeMail.text ?? '')!;
    expect(code).toMatch(/^\d{6}$/);

    const rows = await rowsOf(envelopeId);
    expect(rows.map((r) => [r.template, r.status]).sort()).toEqual([['code', 'sent'], ['invitation', 'sent']]);
    for (const r of rows) {
      expect(stored(r)).not.toContain(token);
      expect(stored(r)).not.toMatch(/eyJ[A-Za-z0-9_-]+\./);
    }
    const inv = rows.find((r) => r.template === 'invitation')!;
    expect(inv.body).toContain('http://b24sign.test/s/[token]');
    expect(inv.html).toContain('http://b24sign.test/s/[token]');
    expect(stored(rows.find((r) => r.template === 'code')!)).not.toContain(code);
    // The live link still works: only the record was scrubbed.
    expect((await http.req('POST', `/api/sign/${token}/verify`, { body: { code } })).status).toBe(200);
  });

  it('a message refused for good is scrubbed too; the resend delivers a fresh working link, scrubbed in turn', async () => {
    peer.refuse = (a) => (a === 'bounce@gone.example' ? { code: 550, message: 'No such user here' } : undefined);
    const { envelopeId, recipientId } = await sendTo('bounce@gone.example');
    const [queued] = await rowsOf(envelopeId);
    const firstToken = tokenFromBody(queued!.body)!;
    await drainJobs(services);
    const [failed] = await rowsOf(envelopeId);
    expect(failed!.status).toBe('failed');
    expect(stored(failed!)).not.toContain(firstToken);
    expect(failed!.body).toContain('/s/[token]');

    peer.refuse = undefined;
    const res = await client(services).req('POST', `/api/envelopes/${envelopeId}/recipients/${recipientId}/resend`, { bearer: await sessionFor(services) });
    expect(res.status).toBe(200);
    await drainJobs(services);
    const mail = await peer.waitFor((m) => toAddress(m) === 'bounce@gone.example');
    const token = tokenFromBody(mail.text ?? '')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(token).not.toBe(firstToken);
    const http = client(services);
    expect((await http.req('POST', `/api/sign/${token}/open`)).status).toBe(200);
    expect((await http.req('POST', `/api/sign/${firstToken}/open`)).status).not.toBe(200);
    const rows = await services.db.select().from(messages).where(and(eq(messages.envelopeId, envelopeId), eq(messages.status, 'sent')));
    expect(rows).toHaveLength(1);
    expect(stored(rows[0]!)).not.toContain(token);
  });

  it('in production a message only recorded (no transport) is stored scrubbed; elsewhere the sandbox mailbox needs it', async () => {
    const real = services.mailer;
    services.mailer = undefined;
    const vars = { recipientName: 'A B', title: 'T', code: '731904', link: LINK };
    try {
      const [dev] = await deliver(services, { portalId: 'prt_test', lang: 'en', template: 'code', vars, email: 'dev@x.example' });
      expect(dev!.status).toBe('recorded');
      expect(dev!.body).toContain('731904');
      (services.config as { NODE_ENV: string }).NODE_ENV = 'production';
      const [prod] = await deliver(services, { portalId: 'prt_test', lang: 'en', template: 'code', vars, email: 'prod@x.example' });
      expect(prod!.status).toBe('recorded');
      expect(stored(prod!)).not.toContain('731904');
      expect(stored(prod!)).not.toContain(TOKEN);
    } finally {
      (services.config as { NODE_ENV: string }).NODE_ENV = 'test';
      services.mailer = real;
    }
  });
});

describe('messenger notifications are scrubbed once sent', () => {
  let w: RobotWorld;
  let card: Awaited<ReturnType<typeof cardEnvelopes>>;
  beforeAll(async () => {
    w = await robotWorld({ env: { BITRIX24_RATE_PER_SECOND: '1000', BITRIX24_RATE_BURST: '1000' } });
    card = await cardEnvelopes(w);
  });
  afterAll(() => w?.close());

  it('Bitrix24 gets the live link; the sent row keeps only the redacted one', async () => {
    const { env, rs } = await card.send(70, 'Messenger scrub contract');
    await w.drain();
    // The employee's invitation opens in-portal signing (REST_APP_URI deep link): no signer token in the messenger at all.
    const [invite] = await w.services.db.select().from(messages).where(and(eq(messages.recipientId, rs[0]!.id), eq(messages.channel, 'im')));
    expect(invite!.status).toBe('sent');
    expect(invite!.body).toContain(`params%5Bsign%5D=${env.id}`);
    expect(tokenFromBody(invite!.body)).toBeUndefined();
    // A messenger message that does carry a signer link (here a reminder sent with the public link) is scrubbed once sent.
    const mail = (await w.services.db.select().from(messages).where(and(eq(messages.recipientId, rs[0]!.id), eq(messages.channel, 'email'))))[0]!;
    const link = /(http:\/\/\S+\/s\/[A-Za-z0-9._-]+)/.exec(mail.body)![1]!;
    const [, m] = await deliver(w.services, { portalId: card.portalId, envelopeId: env.id, recipientId: rs[0]!.id, lang: 'en', template: 'reminder', vars: { recipientName: 'Anna Rossi', title: env.title, link }, email: 'anna@seller.example', b24UserId: 1 });
    expect(m!.channel).toBe('im');
    await w.drain();
    const [sent] = await w.services.db.select().from(messages).where(eq(messages.id, m!.id));
    expect(sent!.status).toBe('sent');
    const [n] = w.emu.control.notifications(w.memberId).filter((x) => String(x.params.TAG) === `b24sign|${m!.id}`);
    const token = tokenFromBody(String(n!.params.MESSAGE))!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(stored(sent!)).not.toContain(token);
    expect(sent!.body).toMatch(/\[URL=http:\/\/[^\s]+\/s\/\[token\]\]/);
  });
});
