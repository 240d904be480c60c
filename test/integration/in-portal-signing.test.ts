import { execFileSync } from 'node:child_process';
import { envelopePdf } from '../helpers/blobs.js';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { messages } from '../../src/db/schema/messages.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { createEnvelope, sendEnvelope } from '../../src/signing/envelopes.js';
import { linkFor } from '../../src/signing/internal.js';
import { robotWorld, type RobotWorld } from '../helpers/robot.js';
import { FIELDS, samplePdf, TINY_PNG_B64 } from '../helpers/signing.js';

/**
 * In-portal signing (issue 17 item 1), through the real doors: the emulated portal posts the
 * REST_APP_URI frame as a given user, our door verifies it, and the page's JSON routes run with the
 * session it earned. The employee signs two documents in one pass without e-mail or code; anyone else
 * is refused with 403; the audit and the certificate name the Bitrix24 user and portal.
 */
const EMPLOYEE = '6';
const OTHER = '1'; // the portal's admin: still not the recipient

let w: RobotWorld;
let pdf: Uint8Array;

beforeAll(async () => {
  w = await robotWorld();
  pdf = await samplePdf();
}, 60_000);
afterAll(() => w?.close());

async function send(title: string, opts: { companyUser?: number; lang?: 'en' | 'ru'; companyEmail?: string | null } = {}) {
  const env = await createEnvelope(w.services, {
    portalId: w.portalId,
    userId: 1,
    title,
    lang: opts.lang ?? 'en',
    pdf,
    fields: FIELDS.filter((f) => f.key !== 'client_vat').map((f) => ({ ...f })) as never,
    recipients: [
      { party: 'company', name: 'Olga Smirnova', ...(opts.companyEmail === null ? {} : { email: opts.companyEmail ?? 'olga@seller.example' }), b24UserId: opts.companyUser ?? Number(EMPLOYEE) },
      { party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' },
    ],
    who: { actor: 'user:1' },
  });
  await sendEnvelope(w.services, { portalId: w.portalId, envelopeId: env.id, who: { actor: 'user:1' } });
  return { env, rs: await w.recipientsOf(env.id) };
}

/** The deep link as Bitrix24 opens it for `userId`: the frame POST, the page, and the session the page carries. */
async function openDeepLink(userId: string, sign: string, memberId = w.memberId) {
  const res = await w.emu.control.openPlacement({ memberId, placement: 'REST_APP_URI', options: { sign }, userId });
  const token = /"token":"([^"]+)"/.exec(res.body)?.[1];
  return { status: res.status, html: res.body, token: token! };
}

const call = async (token: string, method: 'GET' | 'POST', path: string, body?: unknown) => {
  const res = await w.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'user-agent': 'vitest-portal', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, data: (type.includes('json') ? await res.json() : await res.arrayBuffer()) as any };
};

const employeeName = () => {
  const u = w.emu.control.portal(w.memberId).users.find((x) => String(x.ID) === EMPLOYEE)!;
  return [u.NAME, u.LAST_NAME].filter(Boolean).join(' ');
};

describe('in-portal signing', () => {
  let a: Awaited<ReturnType<typeof send>>;
  let b: Awaited<ReturnType<typeof send>>;
  let token: string;

  it('the employee’s messenger invitation opens the app through REST_APP_URI; the e-mail keeps the public link', async () => {
    a = await send('Supply contract A');
    b = await send('Supply contract B');
    await w.drain();
    const rows = await w.services.db.select().from(messages).where(and(eq(messages.recipientId, a.rs[0]!.id), eq(messages.template, 'invitation')));
    const im = rows.find((m) => m.channel === 'im')!;
    const mail = rows.find((m) => m.channel === 'email')!;
    const domain = w.emu.control.portal(w.memberId).domain;
    // b24restdocs api-reference/widgets/universal/app-url.md: /marketplace/view/<APP_CODE>/?params[key]=value
    expect(im.body).toContain(`[URL=https://${domain}/marketplace/view/local.b24sign.test/?params%5Bsign%5D=${a.env.id}]`);
    expect(im.body).not.toMatch(/\/s\//);
    expect(mail.body).toMatch(/\/s\/[A-Za-z0-9._-]+/);
    // What Bitrix24 was asked to show the user carries the same link.
    const sent = w.emu.control.calls({ memberId: w.memberId, method: 'im.notify.personal.add' }).find((c) => String(c.params.TAG) === `b24sign|${im.id}`);
    expect(String(sent?.params.MESSAGE)).toContain(`params%5Bsign%5D=${a.env.id}`);
  });

  it('the framed page lists both documents for the employee, the linked one first, with who they are', async () => {
    const page = await openDeepLink(EMPLOYEE, b.env.id);
    expect(page.status, page.html.slice(0, 300)).toBe(200);
    token = page.token;
    expect(token).toBeTruthy();
    const order = [...page.html.matchAll(/<article class="card doc" data-envelope="([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([b.env.id, a.env.id]);
    expect(page.html).toContain(`${employeeName()} (user ${EMPLOYEE})`);
    // The same capture as the signing page: type, draw, upload; no code step anywhere.
    for (const id of ['tab-typed', 'tab-drawn', 'tab-uploaded', 'sig-pad', 'sig-file', 'terms', 'submit']) expect(page.html).toContain(`id="${id}"`);
    expect(page.html).not.toContain('id="code-send"');
    const list = await call(token, 'GET', '/api/in-portal/documents');
    expect(list.status).toBe(200);
    expect(list.data.documents.map((d: { envelopeId: string }) => d.envelopeId).sort()).toEqual([a.env.id, b.env.id].sort());
  });

  it('any other user gets a clear 403 for the document, its PDF and signing it; another portal’s session a 404', async () => {
    const other = await openDeepLink(OTHER, a.env.id);
    expect(other.status).toBe(200);
    expect(other.html).toContain('id="ip-none"');
    for (const [method, path, body] of [
      ['GET', `/api/in-portal/documents/${a.env.id}/document.pdf`, undefined],
      ['POST', `/api/in-portal/documents/${a.env.id}/open`, {}],
      ['POST', '/api/in-portal/sign', { items: [{ envelopeId: a.env.id, values: {}, review: 'acknowledged', acknowledged: true }], acceptTerms: true, signature: { method: 'typed', text: 'Not Olga' } }],
    ] as const) {
      const res = await call(other.token, method, path, body);
      expect(res.status, path).toBe(403);
      expect(res.data.error.code).toBe('FORBIDDEN');
      expect(res.data.error.message).toMatch(/another Bitrix24 user/);
    }
    // The same user id on another portal is someone else: that portal has no such document.
    const second = await w.addPortal();
    const elsewhere = await openDeepLink(EMPLOYEE, a.env.id, second.memberId);
    expect(elsewhere.status).toBe(200);
    expect((await call(elsewhere.token, 'GET', `/api/in-portal/documents/${a.env.id}/document.pdf`)).status).toBe(404);
    // Nothing moved.
    const [r] = await w.services.db.select().from(recipients).where(eq(recipients.id, a.rs[0]!.id));
    expect(r!.status).toBe('invited');
  });

  it('one confirmation needs each document opened or acknowledged, then signs both: one signed event each, no code', async () => {
    const items = (reviewA: 'opened' | 'acknowledged', ackB: boolean) => [
      { envelopeId: a.env.id, values: {}, review: reviewA, ...(reviewA === 'acknowledged' ? { acknowledged: true } : {}) },
      { envelopeId: b.env.id, values: {}, review: 'acknowledged', acknowledged: ackB },
    ];
    const signature = { method: 'drawn', image: `data:image/png;base64,${TINY_PNG_B64}` };
    // A claimed "opened" that never happened, and a missing acknowledgement: refused, nothing signed.
    let res = await call(token, 'POST', '/api/in-portal/sign', { items: items('opened', true), signature, acceptTerms: true });
    expect(res.status).toBe(400);
    expect(res.data.error.details).toMatchObject({ field: 'review', envelopeId: a.env.id });
    res = await call(token, 'POST', '/api/in-portal/sign', { items: items('acknowledged', false), signature, acceptTerms: true });
    expect(res.status).toBe(400);
    res = await call(token, 'POST', '/api/in-portal/sign', { items: items('acknowledged', true), acceptTerms: true });
    expect(res.data.error.details).toMatchObject({ field: 'signature' });
    expect((await w.recipientsOf(a.env.id))[0]!.status).toBe('invited');

    // Open A in full: the PDF as sent, and the first view recorded with the Bitrix24 user.
    const file = await call(token, 'GET', `/api/in-portal/documents/${a.env.id}/document.pdf`);
    expect(file.status).toBe(200);
    expect(Buffer.from(file.data as ArrayBuffer).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await call(token, 'POST', `/api/in-portal/documents/${a.env.id}/open`, {})).data.status).toBe('opened');

    res = await call(token, 'POST', '/api/in-portal/sign', { items: items('opened', true), signature, acceptTerms: true });
    expect(res.status, JSON.stringify(res.data)).toBe(200);
    expect(res.data.results).toEqual([
      { envelopeId: a.env.id, ok: true, envelopeStatus: 'in_progress' },
      { envelopeId: b.env.id, ok: true, envelopeStatus: 'in_progress' },
    ]);
    const domain = w.emu.control.portal(w.memberId).domain;
    for (const [env, review] of [[a.env, 'opened'], [b.env, 'acknowledged']] as const) {
      const [r] = await w.recipientsOf(env.id);
      expect(r!.status).toBe('signed');
      expect(r!.signatureMethod).toBe('drawn');
      const events = await w.services.db.select().from(auditEvents).where(eq(auditEvents.envelopeId, env.id)).orderBy(asc(auditEvents.seq));
      const signed = events.filter((e) => e.type === 'signed');
      expect(signed).toHaveLength(1);
      expect(signed[0]!.data).toMatchObject({ method: 'drawn', termsAccepted: true, inPortal: { userId: Number(EMPLOYEE), name: employeeName(), memberId: w.memberId, domain, review } });
      expect(signed[0]!.userAgent).toBe('vitest-portal');
      expect(events.some((e) => e.type === 'code_sent' || e.type === 'code_verified')).toBe(false);
      expect(events.filter((e) => e.type === 'opened')).toHaveLength(1);
    }
    // No code was ever sent to the employee.
    const codes = await w.services.db.select().from(messages).where(and(eq(messages.recipientId, a.rs[0]!.id), eq(messages.template, 'code')));
    expect(codes).toHaveLength(0);
    // Signed: the page has nothing left for them, and signing again is refused.
    expect((await call(token, 'GET', '/api/in-portal/documents')).data.documents).toEqual([]);
    res = await call(token, 'POST', '/api/in-portal/sign', { items: items('opened', true), signature, acceptTerms: true });
    expect(res.status).toBe(409);
  });

  it('the certificate of completion says the employee signed in Bitrix24 as user N (name), portal P', async () => {
    // The client signs through the public page with the e-mail code, which completes and seals A.
    await w.act(a.rs[1]!.id, { sign: true });
    await w.drain(3);
    const [env] = await w.services.db.select().from(envelopes).where(eq(envelopes.id, a.env.id));
    expect(env!.status).toBe('completed');
    expect(env!.sealedPdfKey).toBeTruthy();
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: await envelopePdf(w.services, env!, 'sealed') }).toString('utf8').replace(/\s+/g, ' ');
    const domain = w.emu.control.portal(w.memberId).domain;
    expect(text).toContain(`signed in Bitrix24 as user ${EMPLOYEE} (${employeeName()}), portal ${domain}`);
    // The client, who used the code, has no such line.
    expect(text.match(/in Bitrix24 as user/g)).toHaveLength(1);
  });

  it('outside the portal the employee can still take the e-mail path (link and code)', async () => {
    const d = await send('Supply contract D');
    await w.act(d.rs[0]!.id, { sign: true });
    const events = await w.services.db.select().from(auditEvents).where(eq(auditEvents.envelopeId, d.env.id));
    const signed = events.find((e) => e.type === 'signed')!;
    expect(signed.recipientId).toBe(d.rs[0]!.id);
    expect(signed.data).not.toHaveProperty('inPortal');
    expect(events.some((e) => e.type === 'code_verified')).toBe(true);
  });

  it('the employee can decline a document from the portal; anyone else cannot', async () => {
    const e = await send('Supply contract E');
    const other = await openDeepLink(OTHER, e.env.id);
    expect((await call(other.token, 'POST', `/api/in-portal/documents/${e.env.id}/decline`, { reason: 'Not for me' })).status).toBe(403);
    const mine = await openDeepLink(EMPLOYEE, e.env.id);
    expect((await call(mine.token, 'POST', `/api/in-portal/documents/${e.env.id}/decline`, { reason: 'no' })).data.error.details).toMatchObject({ field: 'reason' });
    const res = await call(mine.token, 'POST', `/api/in-portal/documents/${e.env.id}/decline`, { reason: 'Wrong delivery terms' });
    expect(res.status, JSON.stringify(res.data)).toBe(200);
    const [env] = await w.services.db.select().from(envelopes).where(eq(envelopes.id, e.env.id));
    expect(env!.status).toBe('declined');
    const [declined] = await w.services.db.select().from(auditEvents).where(and(eq(auditEvents.envelopeId, e.env.id), eq(auditEvents.type, 'declined')));
    expect(declined!.data).toMatchObject({ reason: 'Wrong delivery terms', inPortal: { userId: Number(EMPLOYEE), name: employeeName(), memberId: w.memberId } });
    expect((await call(mine.token, 'GET', '/api/in-portal/documents')).data.documents.some((d: { envelopeId: string }) => d.envelopeId === e.env.id)).toBe(false);
  });

  it('in Russian: the page and the certificate line', async () => {
    const c = await send('Договор поставки', { lang: 'ru' });
    const page = await w.emu.control.openPlacement({ memberId: w.memberId, placement: 'REST_APP_URI', options: { sign: c.env.id }, userId: EMPLOYEE, lang: 'ru' });
    expect(page.body).toContain('Документы на подпись');
    expect(page.body).toContain(`(пользователь ${EMPLOYEE})`);
    const t = /"token":"([^"]+)"/.exec(page.body)![1]!;
    const res = await call(t, 'POST', '/api/in-portal/sign', { items: [{ envelopeId: c.env.id, values: {}, review: 'acknowledged', acknowledged: true }], signature: { method: 'typed', text: 'Ольга Смирнова' }, acceptTerms: true });
    expect(res.status, JSON.stringify(res.data)).toBe(200);
    await w.act(c.rs[1]!.id, { sign: true });
    await w.drain(3);
    const [env] = await w.services.db.select().from(envelopes).where(eq(envelopes.id, c.env.id));
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: await envelopePdf(w.services, env!, 'sealed') }).toString('utf8').replace(/\s+/g, ' ');
    expect(text).toContain(`подписано в Битрикс24 пользователем ${EMPLOYEE} (${employeeName()}), портал ${w.emu.control.portal(w.memberId).domain}`);
  });
});

describe('an employee without an e-mail', () => {
  it('is invited through the messenger alone, signs in Bitrix24, and the public link sends them there instead of asking for a code', async () => {
    const d = await send('No-mail contract', { companyEmail: null });
    const [company] = d.rs;
    expect(company).toMatchObject({ party: 'company', email: null, b24UserId: Number(EMPLOYEE) });
    await w.drain();
    const invitations = await w.services.db.select().from(messages).where(and(eq(messages.recipientId, company!.id), eq(messages.template, 'invitation')));
    expect(invitations.map((m) => m.channel)).toEqual(['im']);
    const deepLink = `https://${w.emu.control.portal(w.memberId).domain}/marketplace/view/local.b24sign.test/?params%5Bsign%5D=${d.env.id}`;
    expect(invitations[0]!.body).toContain(deepLink);

    // The public link (the card's "copy link"): no code step, a way into Bitrix24, and /code refuses with that link.
    const link = await linkFor(w.services, d.env, company!);
    const path = new URL(link).pathname;
    const page = await (await w.app.request(path)).text();
    expect(page).toContain('Sign inside Bitrix24');
    expect(page).toContain(`href="${deepLink.replaceAll('&', '&amp;')}"`);
    expect(page).not.toContain('id="code-send"');
    const token = path.split('/').pop()!;
    const code = await w.app.request(`/api/sign/${token}/code`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(code.status).toBe(409);
    expect(((await code.json()) as any).error).toMatchObject({ code: 'SIGN_IN_BITRIX24', details: { inPortalUrl: deepLink } });
    expect(await w.services.db.select().from(messages).where(and(eq(messages.recipientId, company!.id), eq(messages.template, 'code')))).toEqual([]);

    // In the portal it signs like any other employee's document.
    const portal = await openDeepLink(EMPLOYEE, d.env.id);
    expect((await call(portal.token, 'POST', `/api/in-portal/documents/${d.env.id}/open`, {})).status).toBe(200);
    const signed = await call(portal.token, 'POST', '/api/in-portal/sign', {
      items: [{ envelopeId: d.env.id, values: {}, review: 'opened' }],
      signature: { method: 'typed', text: 'Olga Smirnova' },
      acceptTerms: true,
    });
    expect(signed.status, JSON.stringify(signed.data)).toBe(200);
    expect((await w.recipientsOf(d.env.id))[0]!.status).toBe('signed');
  });

  it('anyone but a company-side employee still needs an e-mail address', async () => {
    // A client-side recipient is never invited in the messenger, so a user id does not replace the address.
    for (const client of [{ party: 'client' as const, name: 'Ivan Petrov' }, { party: 'client' as const, name: 'Ivan Petrov', b24UserId: Number(EMPLOYEE) }]) {
      await expect(
        createEnvelope(w.services, { portalId: w.portalId, title: 'x', lang: 'en', pdf, fields: [], recipients: [client], who: { actor: 'user:1' } }),
      ).rejects.toThrow(/e-mail address is needed, unless the recipient is a Bitrix24 employee/);
    }
  });
});
