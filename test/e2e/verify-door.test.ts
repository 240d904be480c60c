import { mkdirSync } from 'node:fs';
import { PDFDocument } from 'pdf-lib';
import { chromium, type Browser, type BrowserContext, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { sealPdf } from '../../src/documents/seal/sealer.js';
import { stampAndAppendCertificate } from '../../src/documents/stamp.js';
import { recordSealedDocument, retentionUntil } from '../../src/documents/verify/sealed-documents.js';
import { flipByte } from '../helpers/seal-pki.js';
import { createTestServices } from '../helpers/services.js';

const ORIGIN = 'https://b24sign.test';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const PUBLIC_ID = 'B24S-E2E0-VRFY-0001';

/**
 * An anonymous visitor in Chromium: opens /v, checks a sealed PDF with the file picker, drops a
 * tampered copy on the drop zone, and looks a document up by the id printed on its pages.
 * Chromium's requests reach the app in-process through route().
 */
describe('verify door in Chromium', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let browser: Browser;
  let context: BrowserContext;
  let sealed: Uint8Array;
  const errors: string[] = [];

  beforeAll(async () => {
    services = await createTestServices({ env: { PUBLIC_URL: ORIGIN } });
    const doc = await PDFDocument.create();
    doc.addPage().drawText('Contract', { x: 50, y: 700 });
    const at = new Date('2026-02-01T09:30:00Z');
    await stampAndAppendCertificate(doc, {
      publicId: PUBLIC_ID, verifyUrl: `${ORIGIN}/v/${PUBLIC_ID}`, lang: 'ru', title: 'Договор поставки № 42',
      parties: [{ name: 'Иван Петров', role: 'signer', party: 'client', method: 'drawn', signedAt: at, timeZone: 'Europe/Moscow', ip: '203.0.113.5', email: 'ivan@buyer.example' }],
      originalSha256: 'a'.repeat(64), auditHead: 'b'.repeat(64), development: true,
    });
    const r = await sealPdf(doc, services.sealer);
    sealed = r.bytes;
    await recordSealedDocument(services.db, {
      id: 'doc_e2e', portalId: 'prt_e2e', envelopeId: 'env_e2e', publicId: PUBLIC_ID, sha256: r.sha256, title: 'Договор поставки № 42', lang: 'ru',
      parties: [{ name: 'Иван Петров', role: 'signer', party: 'client', signedAt: at.toISOString() }],
      development: true, timestamped: false, sealedAt: at, retentionUntil: retentionUntil(at, 5), sizeBytes: sealed.length,
    });
    const app = createApp(services);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'ru-RU' });
    await context.route('**/*', async (route: Route) => {
      const req = route.request();
      if (!req.url().startsWith(ORIGIN)) return route.abort();
      let res = await app.fetch(new Request(req.url(), { method: req.method(), headers: req.headers(), body: (req.postDataBuffer() as Uint8Array<ArrayBuffer> | null) ?? undefined }));
      // Chromium does not route the follow-up of a fulfilled redirect: follow it here.
      for (let hop = 0; hop < 3 && res.status >= 300 && res.status < 400 && res.headers.get('location'); hop++) {
        res = await app.fetch(new Request(new URL(res.headers.get('location')!, req.url()), { headers: req.headers() }));
      }
      await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) });
    });
    mkdirSync('test-artifacts', { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await services?.testDb.close();
  });

  it('checks a sealed PDF chosen with the file picker', async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${ORIGIN}/v`);
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    await page.setInputFiles('input[type=file]', { name: 'contract.pdf', mimeType: 'application/pdf', buffer: Buffer.from(sealed) });
    await Promise.all([page.waitForURL(`${ORIGIN}/v?lang=ru`), page.click('form[enctype] button[type=submit]')]);
    const verdict = page.locator('[data-verdict]');
    expect(await verdict.getAttribute('data-verdict')).toBe('sealed_unchanged');
    expect(await verdict.textContent()).toContain('Заверено b24-sign и не изменено');
    expect(await page.textContent('main')).toContain('Иван Петров');
    expect(await page.textContent('main')).not.toContain('ivan@buyer.example');
    await page.screenshot({ path: 'test-artifacts/verify-sealed.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('checks a tampered copy dropped on the drop zone', async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${ORIGIN}/v?lang=en`);
    const bytes = Array.from(flipByte(sealed));
    const dataTransfer = await page.evaluateHandle((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'tampered.pdf', { type: 'application/pdf' }));
      return dt;
    }, bytes);
    await Promise.all([page.waitForURL(`${ORIGIN}/v?lang=en`, { waitUntil: 'load' }), page.dispatchEvent('.drop', 'drop', { dataTransfer })]);
    await expect.poll(() => page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('signature_broken');
    expect(await page.textContent('[data-verdict]')).toContain('Signature broken');
    await page.screenshot({ path: 'test-artifacts/verify-broken.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('finds a document by the id printed on its pages', async () => {
    const page = await context.newPage();
    await page.goto(`${ORIGIN}/v?lang=it`);
    await page.fill('input[name=id]', PUBLIC_ID.toLowerCase());
    await Promise.all([page.waitForNavigation(), page.click('form[method=get] button[type=submit]')]);
    expect(await page.textContent('main')).toContain('Договор поставки № 42');
    expect(await page.textContent('main')).toContain('sigillato da b24-sign');
  });
});
