/**
 * The signing page's layout on a 390 px phone (issue 18 item 2), in Chromium:
 * - the document is the page images made at send (no pdf.js, no handwriting face until needed);
 * - every field box lies on its page, even one the sender placed across the page's edge;
 * - the body text (the layouts' BODY size) shows at ≥ 9 CSS px after one tap on the page, and the tap
 *   does not widen the page itself (the document scrolls sideways inside its card);
 * - nothing the signer needs is under the sticky guide bar: at the end of the page, and wherever the
 *   "next field" guide takes them.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderToBytes } from '../../src/documents/render.js';
import { BODY } from '../../src/documents/templates/flow.js';
import { starterLayout } from '../../src/documents/templates/starters/index.js';
import { handlersFrom } from '../../src/jobs/queue.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { SIGNING_JOBS } from '../../src/signing/jobs.js';
import { RUSSIAN } from '../fixtures/documents/render-values.js';
import { createTestServices } from '../helpers/services.js';
import { client, lastMessage, sessionFor, tokenFromBody } from '../helpers/signing.js';

const ORIGIN = 'https://b24sign.test';
mkdirSync('test-artifacts', { recursive: true });
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

describe('signing page layout at 390 px', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let browser: Browser;

  beforeAll(async () => {
    services = await createTestServices({ env: { PUBLIC_URL: ORIGIN } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await services.testDb.close();
  });

  async function open(context: BrowserContext, http: ReturnType<typeof client>, link: string): Promise<{ page: Page; requested: string[] }> {
    await context.route('**/*', async (route: Route) => {
      const req = route.request();
      if (!req.url().startsWith(ORIGIN)) return route.abort();
      const res = await http.app.fetch(new Request(req.url(), { method: req.method(), headers: req.headers(), body: (req.postDataBuffer() as Uint8Array<ArrayBuffer> | null) ?? undefined }));
      await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) });
    });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(link);
    await page.waitForSelector('html[data-sign-ready]', { state: 'attached' });
    await expect
      .poll(() => page.locator('#pages .page img').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0) && imgs.length), { timeout: 20_000 })
      .toBeGreaterThan(1);
    return { page, requested };
  }

  /** The elements matching `selector` (outside the bar itself) that the sticky guide bar covers, by id or text. */
  const hiddenUnderBar = (page: Page, selector: string) =>
    page.evaluate((sel) => {
      const bar = document.getElementById('guide')!.getBoundingClientRect();
      return [...document.querySelectorAll<HTMLElement>(sel)]
        .filter((el) => !el.closest('#guide') && el.checkVisibility() && el.getBoundingClientRect().height > 0)
        .filter((el) => {
          const r = el.getBoundingClientRect();
          return r.bottom > bar.top + 0.5 && r.top < bar.bottom;
        })
        .map((el) => el.id || el.textContent?.trim().slice(0, 40) || el.tagName);
    }, selector);

  it('keeps boxes on the page, zooms body text to 9 CSS px with one tap, and leaves nothing under the guide bar', async () => {
    const layout = starterLayout('sales-contract', 'ru')!;
    const terms = 'Поставка осуществляется партиями по заявкам Покупателя не позднее чем за пять рабочих дней до желаемой даты. ';
    const { bytes, result } = await renderToBytes({ layout, values: { ...RUSSIAN, special_terms: terms.repeat(14) }, lang: 'ru' });
    expect(result.pageCount).toBeGreaterThan(1);
    const signature = result.placements.find((p) => p.key === 'client_signature')!;
    expect(signature, result.placements.map((p) => p.key).join()).toBeDefined();
    const fields = [
      { key: 'client_ref', type: 'text', label: 'Ваш номер заказа', page: 0, box: { x: 60, y: 140, w: 200, h: 20 }, party: 'client', required: true },
      // Placed by a sender across the right and bottom edges of the page: drawn inside it.
      { key: 'client_note', type: 'text', label: 'Примечание', page: 0, box: { x: 520, y: -10, w: 150, h: 30 }, party: 'client', required: false },
      { key: 'client_sig', type: 'signature', label: 'Подпись', page: signature.page, box: signature.box, party: 'client', required: true },
    ];
    const http = client(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title: 'Договор купли-продажи № 17-Д', lang: 'ru', pdfBase64: Buffer.from(bytes).toString('base64'), fields, recipients: [{ party: 'client', name: 'Анна Медведева', email: 'anna@buyer.example' }], send: true },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    await createJobRunner({ db: services.db, handlers: handlersFrom(SIGNING_JOBS as never), services, logger: services.logger, clock: services.clock, concurrency: 1, pollMs: 20, leaseMs: 60_000, workerId: 'layout-e2e' }).runUntilIdle();
    const token = tokenFromBody((await lastMessage(services, created.data.recipients[0].id, 'invitation'))!.body)!;

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ru-RU' });
    const { page, requested } = await open(context, http, `${ORIGIN}/s/${token}`);
    await page.screenshot({ path: 'test-artifacts/signing-page-390-ru.png' });
    expect(await page.locator('#pages canvas').count()).toBe(0);
    expect(requested.filter((p) => /pdfjs|caveat|document\.pdf/.test(p))).toEqual([]);

    // Every box inside its page, the one placed across the edges included.
    const outside = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.fbox')].flatMap((b) => {
        const r = b.getBoundingClientRect();
        const p = b.closest('.page')!.getBoundingClientRect();
        return r.left >= p.left - 0.5 && r.right <= p.right + 0.5 && r.top >= p.top - 0.5 && r.bottom <= p.bottom + 0.5 ? [] : [b.dataset.key];
      }),
    );
    expect(outside).toEqual([]);
    expect(await page.locator('.fbox').count()).toBe(3);

    // Body text size in CSS px: the page image's width per point × the layouts' body size.
    const bodyPx = () =>
      page.locator('#pages .page').first().evaluate((el, body) => (el.querySelector('img')!.getBoundingClientRect().width / Number((el as HTMLElement).dataset.widthPt)) * body, BODY);
    const fitted = await bodyPx();
    expect(fitted).toBeLessThan(9); // a whole A4 page across a phone: too small to read, hence the zoom
    const first = page.locator('#pages .page').first();
    const box = (await first.boundingBox())!;
    await page.touchscreen.tap(box.x + box.width * 0.5, box.y + box.height * 0.2);
    await expect.poll(bodyPx).toBeGreaterThanOrEqual(9);
    expect(await page.getAttribute('#zoom', 'aria-pressed')).toBe('true');
    // The page itself does not get wider: the document scrolls sideways inside its card.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.getElementById('pages')!.scrollWidth > document.getElementById('pages')!.clientWidth)).toBe(true);
    // At 1 CSS px per point on a 2× screen the browser takes the larger image.
    await expect.poll(() => first.locator('img').evaluate((i) => (i as HTMLImageElement).currentSrc)).toMatch(/\/1240$/);
    await page.screenshot({ path: 'test-artifacts/signing-page-390-zoomed.png' });
    // The zoom button brings it back to the screen's width.
    await page.click('#zoom');
    await expect.poll(bodyPx).toBeCloseTo(fitted, 1);

    // Nothing under the sticky guide bar at the very end of the page.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    expect(await hiddenUnderBar(page, 'main button, main input, main label, main a, main h2, main p')).toEqual([]);

    // Nor where the guide takes the signer: the first field, then on after it is filled.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.click('#guide-next');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('f-client_ref');
    await page.waitForTimeout(600); // smooth scrolling
    expect(await hiddenUnderBar(page, '#f-client_ref, .fbox.current')).toEqual([]);
    await page.fill('#f-client_ref', 'PO-4411');
    await page.click('#guide-next');
    await page.waitForTimeout(600);
    const focused = await page.evaluate(() => document.activeElement?.id);
    expect(focused).toBeTruthy();
    expect(await hiddenUnderBar(page, `#${focused}`)).toEqual([]);
    await page.screenshot({ path: 'test-artifacts/signing-page-390.png', fullPage: true });

    // The same first screen in English: the page's texts follow ?lang=, the document is the sender's.
    await page.goto(`${ORIGIN}/s/${token}?lang=en`);
    await page.waitForSelector('html[data-sign-ready]', { state: 'attached' });
    await expect.poll(() => page.locator('#pages .page img').first().evaluate((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0)).toBe(true);
    expect(await page.textContent('#zoom')).toBe('Enlarge the text');
    await page.screenshot({ path: 'test-artifacts/signing-page-390-en.png' });
    await context.close();
  });
});
