import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { recipients } from '../../src/db/schema/recipients.js';
import { handlersFrom } from '../../src/jobs/queue.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { SIGNING_JOBS } from '../../src/signing/jobs.js';
import { createTestServices } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, samplePdf, sessionFor, lastMessage, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';
import { startSmtpPeer, toAddress } from '../helpers/smtp-peer.js';

const ORIGIN = 'https://b24sign.test';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Mail goes out through the notify.deliver job (src/notify/deliver.ts): run what is queued, to the SMTP peer. */
async function deliverQueued(services: Awaited<ReturnType<typeof createTestServices>>) {
  await createJobRunner({ db: services.db, handlers: handlersFrom(SIGNING_JOBS as never), services, logger: services.logger, clock: services.clock, concurrency: 1, pollMs: 20, leaseMs: 60_000, workerId: 'signing-page-e2e' }).runUntilIdle();
}

/** Chromium's requests reach the app in-process; anything outside our origin is refused. */
async function serveInProcess(context: BrowserContext, http: ReturnType<typeof client>) {
  await context.route('**/*', async (route: Route) => {
    const req = route.request();
    if (!req.url().startsWith(ORIGIN)) return route.abort();
    const res = await http.app.fetch(new Request(req.url(), { method: req.method(), headers: req.headers(), body: (req.postDataBuffer() as Uint8Array<ArrayBuffer> | null) ?? undefined }));
    await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) });
  });
}

/**
 * A signer on a phone: opens the invitation link from the SMTP peer, reads the PDF (pdf.js, served
 * by us), fills a field through the "next field" guide, enters the e-mailed code, draws a signature
 * with signature_pad and signs. Chromium's requests reach the app in-process through route().
 */
describe('signing page in Chromium on a phone viewport', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let peer: Awaited<ReturnType<typeof startSmtpPeer>>;
  let browser: Browser;

  beforeAll(async () => {
    peer = await startSmtpPeer();
    services = await createTestServices({ env: { SMTP_URL: peer.url, PUBLIC_URL: ORIGIN } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    services.mailer?.close?.();
    await peer.close();
    await services.testDb.close();
  });

  it('opens the link, enters the code, draws a signature and signs', async () => {
    const http = client(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: {
        title: 'Договор поставки № 42',
        lang: 'ru',
        pdfBase64: Buffer.from(await samplePdf()).toString('base64'),
        fields: FIELDS.filter((f) => f.party !== 'company'),
        recipients: [{ party: 'client', name: 'Иван Петров', email: 'ivan@buyer.example' }],
        send: true,
      },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    await deliverQueued(services);
    const invitation = await peer.waitFor((m) => toAddress(m) === 'ivan@buyer.example');
    const token = tokenFromBody(invitation.text ?? '')!;
    const link = `${ORIGIN}/s/${token}`;
    expect(invitation.text).toContain(link);

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ru-RU',
      userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36' });
    const errors: string[] = [];
    await serveInProcess(context, http);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    // The page runs under a strict CSP: anything it refuses would show up here.
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) errors.push(m.text());
    });
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(link);
    // The document arrives as the page images made at send (signing.page-images ran with the queue above).
    await expect.poll(() => page.locator('#pages .page img').evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0).length), { timeout: 20_000 }).toBe(2);
    await expect.poll(() => page.locator('.fbox').count()).toBe(2);
    await page.waitForSelector('html[data-sign-ready]', { state: 'attached' });
    // pdf.js and the handwriting face stay unloaded until needed.
    expect(requested.filter((p) => /pdfjs|caveat|document\.pdf/.test(p))).toEqual([]);
    expect(await page.getAttribute('html', 'lang')).toBe('ru');

    // The guide takes us to the first empty field.
    await page.click('#guide-next');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-client_vat');
    await page.fill('#f-client_vat', 'RU7701234567');
    // The value typed fills its box; the signature box waits until the signer takes a signature (drawn below).
    await expect.poll(() => page.locator('.fbox.filled').count()).toBe(1);

    await page.click('#code-send');
    await expect.poll(async () => Boolean(await lastMessage(services, created.data.recipients[0].id, 'code'))).toBe(true);
    await deliverQueued(services);
    const codeMail = await peer.waitFor((m) => /Код для подписи/.test(m.subject ?? ''));
    await page.fill('#code-input', codeFromBody(codeMail.text ?? '')!);
    await page.click('#code-verify');
    await expect.poll(() => page.textContent('#code-msg')).toContain('Личность подтверждена');

    await page.click('#tab-drawn');
    // Centre the pad: the sticky guide bar covers the bottom of the screen.
    await page.evaluate(() => document.getElementById('sig-pad')!.scrollIntoView({ block: 'center' }));
    const pad = (await page.locator('#sig-pad').boundingBox())!;
    await page.mouse.move(pad.x + 30, pad.y + 90);
    await page.mouse.down();
    for (let i = 1; i <= 24; i++) await page.mouse.move(pad.x + 30 + i * 12, pad.y + 90 - Math.sin(i / 3) * 50, { steps: 2 });
    await page.mouse.up();
    await expect.poll(() => page.locator('.fbox.filled').count()).toBe(2);
    await page.check('#terms');
    await page.screenshot({ path: 'test-artifacts/signing-page-phone-before.png', fullPage: true });
    await page.click('#submit');
    // The only signer is the last one: the document is complete now.
    await expect.poll(() => page.locator('section.state h2').textContent().catch(() => ''), { timeout: 10_000 }).toBe('Спасибо — документ подписан всеми сторонами');
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/signing-page-phone-done.png' });
    expect(errors).toEqual([]);

    const [r] = await services.db.select().from(recipients).where(eq(recipients.envelopeId, created.data.envelope.id));
    expect(r!.status).toBe('signed');
    expect(r!.signatureMethod).toBe('drawn');
    expect(r!.signatureImage!.length).toBeGreaterThan(500);
    expect(r!.signedUserAgent).toContain('Mobile');
    await context.close();
  });

  it('switches to Italian and declines with a mandatory reason', async () => {
    const http = client(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: {
        title: 'NDA',
        lang: 'en',
        pdfBase64: Buffer.from(await samplePdf()).toString('base64'),
        fields: [],
        recipients: [{ party: 'client', name: 'Giulia Verdi', email: 'giulia@cliente.example' }],
        send: true,
      },
    });
    expect(created.status).toBe(201);
    await deliverQueued(services);
    const invitation = await peer.waitFor((m) => toAddress(m) === 'giulia@cliente.example');
    const link = `${ORIGIN}/s/${tokenFromBody(invitation.text ?? '')!}`;
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await serveInProcess(context, http);
    const page = await context.newPage();
    await page.goto(link);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.click('nav.lang a[lang=it]');
    await page.waitForURL(/lang=it/);
    expect(await page.getAttribute('html', 'lang')).toBe('it');
    // Declining is confirmed with the e-mailed code, like signing: the dialog leads there first.
    await page.click('#decline-open');
    expect(await page.locator('#decline-form').isHidden()).toBe(true);
    await page.click('#decline-get-code');
    await expect.poll(async () => Boolean(await lastMessage(services, created.data.recipients[0].id, 'code'))).toBe(true);
    await deliverQueued(services);
    const codeMail = await peer.waitFor((m) => toAddress(m) === 'giulia@cliente.example' && Boolean(codeFromBody(m.text ?? '')));
    await page.fill('#code-input', codeFromBody(codeMail.text ?? '')!);
    await page.click('#code-verify');
    await expect.poll(() => page.locator('#decline-form').isVisible()).toBe(true);
    await page.click('#decline-confirm');
    expect(await page.textContent('#decline-msg')).toContain('Indichi un motivo');
    await page.fill('#decline-reason', 'Il prezzo non è quello concordato.');
    await page.click('#decline-confirm');
    await expect.poll(() => page.locator('section.state h2').textContent().catch(() => '')).toBe('Ha rifiutato il documento');
    await page.screenshot({ path: 'test-artifacts/signing-page-phone-declined-it.png' });
    // Reloading the link now shows the outcome, not the document.
    await page.reload();
    expect(await page.locator('section.state h2').textContent()).toBe('Il documento è stato rifiutato');
    expect(await page.locator('#pages').count()).toBe(0);
    await context.close();
  });
  it('a client company chooses its stamp, removes it with the keyboard, and signs without it', async () => {
    const http = client(services);
    const stampField = { key: 'client_stamp', type: 'stamp', label: 'Stamp', page: 1, box: { x: 320, y: 100, w: 100, h: 80 }, party: 'client', required: false };
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: {
        title: 'Supply agreement',
        lang: 'en',
        pdfBase64: Buffer.from(await samplePdf()).toString('base64'),
        fields: [...FIELDS.filter((f) => f.party !== 'company'), stampField],
        recipients: [{ party: 'client', name: 'Buyer S.r.l.', email: 'office@buyer.example' }],
        send: true,
      },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    // The links and the code are read from the recorded messages: this test is about the stamp, not e-mail.
    const rid = created.data.recipients[0].id as string;
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await serveInProcess(context, http);
    const page = await context.newPage();
    await page.goto(`${ORIGIN}/s/${tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!}`);
    await page.fill('#f-client_vat', 'IT0123');
    await page.click('#code-send');
    // The code travels only in the mail (the stored copy is masked): deliver the queued job to the SMTP peer.
    await expect.poll(async () => Boolean(await lastMessage(services, rid, 'code'))).toBe(true);
    await deliverQueued(services);
    const codeMail = await peer.waitFor((m) => toAddress(m) === 'office@buyer.example' && Boolean(codeFromBody(m.text ?? '')));
    await page.fill('#code-input', codeFromBody(codeMail.text ?? '')!);
    await page.click('#code-verify');
    await expect.poll(() => page.textContent('#code-msg')).toContain('Identity confirmed');

    const remove = page.locator('#stamp-remove');
    expect(await remove.isHidden()).toBe(true);
    await page.setInputFiles('#stamp-file', { name: 'stamp.png', mimeType: 'image/png', buffer: Buffer.from(TINY_PNG_B64, 'base64') });
    await expect.poll(() => remove.isVisible()).toBe(true);
    expect(await remove.textContent()).toBe('Remove the stamp');
    await page.screenshot({ path: 'test-artifacts/signing-page-phone-stamp.png' });
    await remove.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => remove.isHidden()).toBe(true);
    expect(await page.evaluate(() => [document.activeElement?.id, (document.getElementById('stamp-file') as HTMLInputElement).files?.length])).toEqual(['stamp-file', 0]);

    await page.check('#terms');
    await page.click('#submit');
    await expect.poll(() => page.locator('section.state h2').count(), { timeout: 10_000 }).toBe(1);
    const [r] = await services.db.select().from(recipients).where(eq(recipients.envelopeId, created.data.envelope.id));
    expect(r!.status).toBe('signed');
    expect(r!.stampImage).toBeNull();
    await context.close();
  });
});
