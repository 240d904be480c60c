/**
 * Signing guidance on the public signing page (issue 18 item 3), in Chromium on a phone, in English and Russian:
 * - the progress count starts at 0 of the signer's required fields (the pre-filled typed name is not a filled field);
 * - "Next field" takes the required fields first (an optional field and an optional stamp placed above them wait),
 *   then each empty optional field once, then the code step;
 * - a filled signature, initials or stamp box shows the mark in place over the page image;
 * - the second signer sees a short note that the first party signed (name, side, time; no e-mail address);
 * - the resend countdown stops once the code is confirmed;
 * - the last signer is told the document is complete;
 * - declining asks for the code first, like signing.
 * Codes are read from the recorded messages (no SMTP here). Screenshots go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { handlersFrom } from '../../src/jobs/queue.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { SIGNING_JOBS } from '../../src/signing/jobs.js';
import { pageTexts } from '../../src/signing/page-texts.js';
import { createTestServices } from '../helpers/services.js';
import { client, codeFromBody, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

const ORIGIN = 'https://b24sign.test';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
mkdirSync('test-artifacts', { recursive: true });

/** The client's fields: an optional note and an optional stamp come first on the page, above the required ones. */
const FIELDS = [
  { key: 'client_note', type: 'text', label: 'Note', page: 0, box: { x: 50, y: 760, w: 200, h: 20 }, party: 'client', required: false },
  { key: 'client_stamp', type: 'stamp', label: 'Stamp', page: 0, box: { x: 320, y: 700, w: 100, h: 80 }, party: 'client', required: false },
  { key: 'client_vat', type: 'text', label: 'VAT number', page: 0, box: { x: 50, y: 600, w: 200, h: 20 }, party: 'client', required: true },
  { key: 'client_init', type: 'initials', label: 'Initials', page: 0, box: { x: 450, y: 60, w: 60, h: 30 }, party: 'client', required: true },
  { key: 'company_sig', type: 'signature', label: 'Company signature', page: 1, box: { x: 50, y: 200, w: 180, h: 50 }, party: 'company', required: true },
  { key: 'client_sig', type: 'signature', label: 'Client signature', page: 1, box: { x: 320, y: 200, w: 180, h: 50 }, party: 'client', required: true },
];

const CASES = [
  { lang: 'en', company: 'Anna Rossi', clientName: 'Maria Bianchi', initials: 'MB', side: 'company' },
  { lang: 'ru', company: 'Анна Смирнова', clientName: 'Мария Белова', initials: 'МБ', side: 'компания' },
] as const;

describe('signing guidance in Chromium (en, ru)', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let http: ReturnType<typeof client>;
  let browser: Browser;

  beforeAll(async () => {
    services = await createTestServices({ env: { PUBLIC_URL: ORIGIN } });
    http = client(services);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await services.testDb.close();
  });

  /** The send's jobs: page images for the page (and the deliveries, recorded without SMTP). */
  const runJobs = () =>
    createJobRunner({ db: services.db, handlers: handlersFrom(SIGNING_JOBS as never), services, logger: services.logger, clock: services.clock, concurrency: 1, pollMs: 20, leaseMs: 60_000, workerId: 'signing-guidance-e2e' }).runUntilIdle();

  async function send(lang: string, title: string, fields: unknown[], recipients: unknown[]) {
    const res = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title, lang, pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields, recipients, send: true },
    });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    await runJobs();
    return res.data as { envelope: { id: string }; recipients: { id: string }[] };
  }
  const linkOf = async (id: string) => tokenFromBody((await lastMessage(services, id, 'invitation'))!.body)!;
  const codeOf = async (id: string) => codeFromBody((await lastMessage(services, id, 'code'))!.body)!;

  async function open(context: BrowserContext, link: string): Promise<{ page: Page; errors: string[] }> {
    await context.route('**/*', async (route: Route) => {
      const req = route.request();
      if (!req.url().startsWith(ORIGIN)) return route.abort();
      const res = await http.app.fetch(new Request(req.url(), { method: req.method(), headers: req.headers(), body: (req.postDataBuffer() as Uint8Array<ArrayBuffer> | null) ?? undefined }));
      await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) });
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${ORIGIN}/s/${link}`);
    await page.waitForSelector('html[data-sign-ready]', { state: 'attached' });
    return { page, errors };
  }
  const phone = () => browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const activeId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
  const progress = (page: Page) => page.locator('#guide-progress').textContent();

  for (const c of CASES) {
    it(`${c.lang}: counts from 0, required fields first, marks in their boxes, earlier signer named, countdown stops, document complete`, async () => {
      const t = pageTexts(c.lang);
      const sent = await send(c.lang, `Guidance ${c.lang}`, FIELDS, [
        { party: 'company', name: c.company, email: `company-${c.lang}@seller.example`, b24UserId: 7 },
        { party: 'client', name: c.clientName, email: `client-${c.lang}@buyer.example` },
      ]);
      const [company, cli] = sent.recipients;
      // The first party signs through the API.
      const linkA = await linkOf(company!.id);
      await http.req('POST', `/api/sign/${linkA}/code`);
      const va = await http.req('POST', `/api/sign/${linkA}/verify`, { body: { code: await codeOf(company!.id) } });
      const sa = await http.req('POST', `/api/sign/${linkA}/sign`, { body: { acceptTerms: true, values: {}, signature: { method: 'typed', text: c.company } }, headers: { 'x-sign-action': va.data.actionToken } });
      expect(sa.status, JSON.stringify(sa.data)).toBe(200);

      const context = await phone();
      const { page, errors } = await open(context, await linkOf(cli!.id));

      // Who signed before: name, side and time, no address.
      const prior = page.locator('#prior');
      expect(await prior.locator('h2').textContent()).toBe(t['prior.heading']);
      const line = (await prior.locator('li').textContent())!;
      expect(line).toContain(`${c.company} (${c.side})`);
      expect(line).toMatch(/\d{2}:\d{2} UTC$/);
      expect(await prior.textContent()).not.toContain('@');

      // 0 of the 3 required fields (VAT, initials, signature), although the typed name is pre-filled.
      expect(await page.inputValue('#sig-text')).toBe(c.clientName);
      expect(await progress(page)).toBe(t['guide.progress'].replace('{done}', '0').replace('{total}', '3'));
      expect(await page.locator('.fbox.filled').count()).toBe(0);

      // Next field: the required VAT number, not the optional note or stamp above it.
      await page.click('#guide-next');
      expect(await activeId(page)).toBe('f-client_vat');
      await page.fill('#f-client_vat', 'IT0123');
      expect(await progress(page)).toBe(t['guide.progress'].replace('{done}', '1').replace('{total}', '3'));
      // Then the initials (first signature mark in page order): the guide offers to take the pre-filled name.
      await page.click('#guide-next');
      expect(await activeId(page)).toBe('sig-apply');
      expect(await page.getAttribute('.fbox[data-key="client_init"]', 'class')).toContain('current');
      await page.click('#sig-apply');
      expect(await progress(page)).toBe(t['guide.allDone']);
      // The marks show in place: initials and the typed name.
      expect(await page.locator('.fbox[data-key="client_init"] .mark-text').textContent()).toBe(c.initials);
      expect(await page.locator('.fbox[data-key="client_sig"] .mark-text').textContent()).toBe(c.clientName);
      expect(await page.locator('.fbox.filled').count()).toBe(3);

      // Then each optional field once, then the code step.
      await page.click('#guide-next');
      expect(await activeId(page)).toBe('f-client_note');
      await page.click('#guide-next');
      expect(await activeId(page)).toBe('stamp-file');
      await page.click('#guide-next');
      expect(await activeId(page)).toBe('code-send');

      // A drawn signature replaces the typed one in its box; the stamp shows in its own.
      await page.click('#tab-drawn');
      await page.evaluate(() => document.getElementById('sig-pad')!.scrollIntoView({ block: 'center' }));
      const pad = (await page.locator('#sig-pad').boundingBox())!;
      await page.mouse.move(pad.x + 30, pad.y + 90);
      await page.mouse.down();
      for (let i = 1; i <= 16; i++) await page.mouse.move(pad.x + 30 + i * 15, pad.y + 90 - Math.sin(i / 3) * 40, { steps: 2 });
      await page.mouse.up();
      await expect.poll(() => page.locator('.fbox[data-key="client_sig"] img.mark').getAttribute('src').catch(() => '')).toMatch(/^data:image\/png;base64,/);
      await page.setInputFiles('#stamp-file', { name: 'stamp.png', mimeType: 'image/png', buffer: Buffer.from(TINY_PNG_B64, 'base64') });
      await expect.poll(() => page.locator('.fbox[data-key="client_stamp"] img.mark').count()).toBe(1);
      await page.locator('.fbox[data-key="client_sig"]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-artifacts/signing-guidance-marks-${c.lang}.png` });

      // The resend countdown runs until the code is confirmed, then stops for good.
      await page.click('#code-send');
      await expect.poll(() => page.textContent('#code-send'), { timeout: 4000 }).toMatch(/\(\d+\)/);
      await expect.poll(async () => Boolean(await lastMessage(services, cli!.id, 'code'))).toBe(true);
      await page.fill('#code-input', await codeOf(cli!.id));
      await page.click('#code-verify');
      await expect.poll(() => page.textContent('#code-msg')).toBe(t['code.ok']);
      await page.waitForTimeout(2200);
      expect(await page.textContent('#code-send')).toBe(t['code.send']);
      expect(await page.isDisabled('#code-send')).toBe(true);

      await page.check('#terms');
      await page.click('#submit');
      // The last signer: the document is complete, not "when everyone has signed".
      await expect.poll(() => page.locator('section.state h2').textContent().catch(() => ''), { timeout: 10_000 }).toBe(t['done.completeHeading']);
      expect(await page.locator('section.state p').textContent()).toBe(t['done.complete']);
      await page.screenshot({ path: `test-artifacts/signing-guidance-complete-${c.lang}.png` });
      const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, sent.envelope.id));
      expect(env!.status).toBe('completed');
      expect(errors).toEqual([]);
      await context.close();
    });

    it(`${c.lang}: a signer who is not the last is told the others still sign; declining asks for the code first`, async () => {
      const t = pageTexts(c.lang);
      const fields = FIELDS.filter((f) => f.key === 'company_sig' || f.key === 'client_sig');
      // The client signs first here (order 1), the company after: the client is not the last.
      const first = await send(c.lang, `Order ${c.lang}`, fields, [
        { party: 'client', name: c.clientName, email: `first-${c.lang}@buyer.example`, order: 1 },
        { party: 'company', name: c.company, email: `second-${c.lang}@seller.example`, b24UserId: 7, order: 2 },
      ]);
      const context = await phone();
      const { page } = await open(context, await linkOf(first.recipients[0]!.id));
      expect(await page.locator('#prior').count()).toBe(0);
      await page.click('#sig-apply');
      await page.click('#code-send');
      await expect.poll(async () => Boolean(await lastMessage(services, first.recipients[0]!.id, 'code'))).toBe(true);
      await page.fill('#code-input', await codeOf(first.recipients[0]!.id));
      await page.click('#code-verify');
      await expect.poll(() => page.textContent('#code-msg')).toBe(t['code.ok']);
      await page.check('#terms');
      await page.click('#submit');
      await expect.poll(() => page.locator('section.state p').textContent().catch(() => ''), { timeout: 10_000 }).toBe(t['done.next']);
      await context.close();

      // Declining: the dialog first leads to the code, then asks for the reason.
      const other = await send(c.lang, `Decline ${c.lang}`, [], [{ party: 'client', name: c.clientName, email: `decline-${c.lang}@buyer.example` }]);
      const rid = other.recipients[0]!.id;
      const ctx2 = await phone();
      const { page: p2, errors } = await open(ctx2, await linkOf(rid));
      await p2.click('#decline-open');
      expect(await p2.isVisible('#decline-code')).toBe(true);
      expect(await p2.isHidden('#decline-form')).toBe(true);
      expect(await p2.textContent('#decline-code p')).toContain('de••••');
      await p2.screenshot({ path: `test-artifacts/signing-guidance-decline-code-${c.lang}.png` });
      await p2.click('#decline-get-code');
      await expect.poll(async () => Boolean(await lastMessage(services, rid, 'code'))).toBe(true);
      expect(await activeId(p2)).toBe('code-input');
      await p2.fill('#code-input', await codeOf(rid));
      await p2.click('#code-verify');
      // Once confirmed, the dialog comes back with the reason.
      await expect.poll(() => p2.isVisible('#decline-form')).toBe(true);
      expect(await p2.isHidden('#decline-code')).toBe(true);
      expect(await activeId(p2)).toBe('decline-reason');
      await p2.fill('#decline-reason', c.lang === 'ru' ? 'Неверная цена' : 'Wrong price');
      await p2.click('#decline-confirm');
      await expect.poll(() => p2.locator('section.state h2').textContent().catch(() => '')).toBe(t['declined.heading']);
      const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, other.envelope.id));
      expect(env!.status).toBe('declined');
      expect(errors).toEqual([]);
      await ctx2.close();
    });
  }
});
