import { mkdirSync } from 'node:fs';
import { envelopePdf } from '../helpers/blobs.js';
import { eq } from 'drizzle-orm';
import { chromium, type Browser, type BrowserContext, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { fromPeer } from '../helpers/peer.js';
import { createTestServices, drainJobs } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

const ORIGIN = 'https://b24sign.test';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/**
 * /v for a non-expert (issue 18 item 8), on a 390 px phone in en and ru: a document signed with an
 * e-mailed code and sealed by the development certificate (the test services' sealer) is uploaded.
 * (Italian too, for the reflow.) The result names how the signer was identified (masked address, time, IP), names both
 * fingerprints, keeps the development seal in a warning box of its own (never "trusted"), reflows
 * the technical table without sideways scrolling, and gives a link that re-shows the result.
 */
describe('verify result for a non-expert', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let browser: Browser;
  let context: BrowserContext;
  let sealed: Uint8Array;
  let sealedSha: string;
  let originalSha: string;

  beforeAll(async () => {
    services = await createTestServices({ env: { PUBLIC_URL: ORIGIN } });
    expect(services.sealer.development).toBe(true);
    const http = client(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title: 'Договор поставки № 7', lang: 'ru', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: FIELDS.filter((f) => f.party !== 'company'), recipients: [{ party: 'client', name: 'Иван Петров', email: 'ivan.petrov@buyer.example' }], send: true },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const rid = created.data.recipients[0].id as string;
    const token = tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
    await http.req('POST', `/api/sign/${token}/code`);
    const code = codeFromBody((await lastMessage(services, rid, 'code'))!.body);
    const { actionToken } = (await http.req('POST', `/api/sign/${token}/verify`, { body: { code } })).data;
    const signed = await http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: { client_vat: 'RU7701' }, signature: { method: 'drawn', image: TINY_PNG_B64 } }, headers: { 'x-sign-action': actionToken } });
    expect(signed.data.envelopeStatus, JSON.stringify(signed.data)).toBe('completed');
    await drainJobs(services);
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, created.data.envelope.id));
    sealed = (await envelopePdf(services, env!, 'sealed'))!;
    sealedSha = env!.sealedSha256!;
    originalSha = env!.sourceSha256!;

    const app = createApp(services);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await context.route('**/*', async (route: Route) => {
      const req = route.request();
      if (!req.url().startsWith(ORIGIN)) return route.abort();
      const res = await app.fetch(new Request(req.url(), { method: req.method(), headers: req.headers(), body: (req.postDataBuffer() as Uint8Array<ArrayBuffer> | null) ?? undefined }), undefined);
      await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) });
    });
    mkdirSync('test-artifacts', { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await services?.testDb.close();
  });

  const words = {
    en: { verdict: 'Sealed by b24-sign and unchanged', dev: 'Test seal', code: 'one-time code sent by e-mail', trusted: /\btrusted/i, fp: 'Original document' },
    ru: { verdict: 'Заверено b24-sign и не изменено', dev: 'Тестовая печать', code: 'одноразовым кодом', trusted: /доверен/i, fp: 'Исходный документ' },
    it: { verdict: 'Sigillato da b24-sign e non modificato', dev: 'Sigillo di prova', code: 'codice monouso inviato per e-mail', trusted: /riconosciut/i, fp: 'Documento originale' },
  } as const;

  for (const lang of ['en', 'ru', 'it'] as const) {
    it(`${lang}: upload, identification, fingerprints, development warning, 390 px reflow, shareable link`, async () => {
      const w = words[lang];
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${ORIGIN}/v?lang=${lang}`);
      await page.setInputFiles('input[type=file]', { name: 'contract.pdf', mimeType: 'application/pdf', buffer: Buffer.from(sealed) });
      await Promise.all([page.waitForURL(`${ORIGIN}/v?lang=${lang}`, { waitUntil: 'load' }), page.click('form[enctype] button[type=submit]')]);

      const checkResult = async () => {
        expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('sealed_unchanged');
        expect(await page.textContent('[data-verdict]')).toContain(w.verdict);
        // The development seal: its own warning box, outside the green one.
        const dev = page.locator('section[data-development]');
        expect(await dev.count()).toBe(1);
        expect(await dev.getAttribute('class')).toContain('warn');
        expect(await dev.textContent()).toContain(w.dev);
        expect(await page.locator('.verdict.good [data-development], .verdict.good .dev').count()).toBe(0);
        expect(await page.textContent('.verdict.good')).not.toContain(w.dev);
        // How the signer was identified: the masked address, the time and the IP of the signing.
        const id = page.locator('[data-identified-by=email_code]');
        expect(await id.count()).toBe(1);
        const idText = (await id.textContent())!;
        expect(idText).toContain(w.code);
        expect(idText).toContain(`iv${'•'.repeat(9)}@buyer.example`);
        expect(idText).toContain('203.0.113.7');
        expect(await page.content()).not.toContain('ivan.petrov@');
        // The two fingerprints, named.
        expect(await page.textContent('[data-hash=file]')).toBe(sealedSha);
        expect(await page.textContent('[data-hash=original]')).toBe(originalSha);
        expect(await page.textContent('[data-fingerprints]')).toContain(w.fp);
        // The technical table: no "trusted" next to the development root; explanations present.
        await page.click('details > summary');
        const tech = (await page.textContent('details'))!;
        expect(tech).not.toMatch(w.trusted);
        expect(await page.locator('details [data-development-certificate]').count()).toBeGreaterThan(0);
        expect(await page.locator('details dt .explain').count()).toBeGreaterThanOrEqual(5);
        // 390 px: nothing wider than the screen, every value box inside it.
        const overflow = await page.evaluate(() => {
          const vw = document.documentElement.clientWidth;
          const wide = [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > vw + 0.5).map((e) => e.tagName + '.' + e.className);
          return { scroll: document.documentElement.scrollWidth, vw, wide };
        });
        expect(overflow.wide).toEqual([]);
        expect(overflow.scroll).toBeLessThanOrEqual(overflow.vw);
      };

      await checkResult();
      await page.screenshot({ path: `test-artifacts/verify-result-${lang}.png`, fullPage: true });

      // The shareable link re-shows the same result, without uploading anything.
      const url = await page.inputValue('#share-url');
      expect(url).toBe(`${ORIGIN}/v/${sealedSha}?lang=${lang}`);
      const shared = await context.newPage();
      shared.on('pageerror', (e) => errors.push(String(e)));
      const posts: string[] = [];
      shared.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
      await shared.goto(url);
      expect(await shared.getAttribute('html', 'lang')).toBe(lang);
      expect(await shared.locator('[data-verdict]').getAttribute('data-verdict')).toBe('sealed_unchanged');
      expect(await shared.locator('section[data-development].warn').count()).toBe(1);
      expect(await shared.textContent('[data-identified-by=email_code]')).toContain(`iv${'•'.repeat(9)}@buyer.example`);
      expect(await shared.textContent('[data-hash=file]')).toBe(sealedSha);
      expect(await shared.content()).not.toContain('ivan.petrov@');
      expect(await shared.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      expect(posts).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
      await shared.close();
    });
  }

  it('the shareable link: an unknown hash is a 404, the record page names both fingerprints, and the link is rate-limited', async () => {
    const app = createApp(services);
    const unknown = await app.request(`/v/${'0'.repeat(64)}?lang=en`, {}, fromPeer('198.51.100.1'));
    expect(unknown.status).toBe(404);
    const byId = await app.request(`/v/${sealedSha.toUpperCase()}?lang=en`, {}, fromPeer('198.51.100.1'));
    expect(byId.status).toBe(200);
    const record = await app.request(`/v?id=${encodeURIComponent((await services.db.select().from(envelopes))[0]!.publicId)}&lang=ru`, {}, fromPeer('198.51.100.1'));
    expect(record.status).toBe(303);
    const summary = await (await app.request(record.headers.get('location')!, {}, fromPeer('198.51.100.1'))).text();
    expect(summary).toContain(`data-hash="sealed">${sealedSha}`);
    expect(summary).toContain(`data-hash="original">${originalSha}`);
    expect(summary).toContain('data-development');
    expect(summary).not.toContain('ivan.petrov@');
    // Every GET of the link checks the stored file again: the per-IP limit applies.
    let limited = 0;
    for (let i = 0; i < services.config.VERIFY_RATE_PER_MINUTE + 2; i++) {
      const r = await app.request(`/v/${sealedSha}`, {}, fromPeer('198.51.100.2'));
      if (r.status === 429) limited++;
    }
    expect(limited).toBeGreaterThan(0);
  }, 120_000);
});
