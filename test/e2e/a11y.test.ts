/**
 * Accessibility (issue 18 item 10): axe-core reports no violations on every state of the signing page
 * (before and after the code, typed/drawn/uploaded signature, errors, done, declined), the verify
 * door and its results, the card tab, the new-document form and the field editor. Chromium, through
 * the Bitrix24-like frame host (test/e2e/helpers/frame-host.ts) for the card; the signing page and
 * /v open as top-level pages of the same in-process app.
 */
import { envelopePdf } from '../helpers/blobs.js';
import { and, eq } from 'drizzle-orm';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { drainJobs } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, tokenFromBody, TINY_PNG_B64 } from '../helpers/signing.js';
import { axeViolations } from './helpers/axe.js';
import { seedEnvelope } from './helpers/card-seed.js';
import { APP_ORIGIN, startFrameHost, type FrameHost } from './helpers/frame-host.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });

let host: FrameHost;
const DEAL = 2;

beforeAll(async () => {
  host = await startFrameHost();
  await seedEnvelope(host.services.db, {
    portalId: host.portalId, entityTypeId: 2, entityId: DEAL, title: 'Supply contract No. 1041', status: 'completed', sealed: true, createdAt: new Date(Date.UTC(2026, 10, 20, 9)),
    recipients: [
      { name: 'Сергей Морозова', email: 'user12@example.com', party: 'company', order: 1, status: 'signed', at: new Date(Date.UTC(2026, 10, 20, 10)) },
      { name: 'Павел Зайцев', email: 'contact3@example.com', party: 'client', order: 2, status: 'declined', declineReason: 'Prices are not agreed yet' },
    ],
  });
}, 180_000);
afterAll(async () => {
  await host?.close();
});

const expectClean = async (target: Page | Frame, state: string) => expect(await axeViolations(target), state).toEqual([]);

/** An envelope for one client signer, sent; returns the signing link and the recipient id. */
async function sentEnvelope(lang: 'en' | 'ru', withStamp = false) {
  const http = client(host.services);
  const stamp = { key: 'client_stamp', type: 'stamp', label: 'Stamp', page: 1, box: { x: 320, y: 100, w: 100, h: 80 }, party: 'client', required: false };
  const created = await http.req('POST', '/api/envelopes', {
    bearer: await sessionFor(host.services, host.portalId),
    body: {
      title: lang === 'ru' ? 'Договор поставки' : 'Supply agreement', lang, pdfBase64: Buffer.from(await samplePdf()).toString('base64'),
      fields: [...FIELDS.filter((f) => f.party !== 'company'), ...(withStamp ? [stamp] : [])],
      recipients: [{ party: 'client', name: lang === 'ru' ? 'Иван Петров' : 'Jane Doe', email: `signer-${lang}-${Date.now()}@buyer.example` }],
      send: true,
    },
  });
  expect(created.status, JSON.stringify(created.data)).toBe(201);
  await drainJobs(host.services);
  const rid = created.data.recipients[0].id as string;
  return { rid, link: `${APP_ORIGIN}/s/${tokenFromBody((await lastMessage(host.services, rid, 'invitation'))!.body)!}` };
}

describe.each(['en', 'ru'] as const)('signing page (%s)', (lang) => {
  it('every state: opened, a field error, code sent, wrong code, confirmed, typed/drawn/uploaded, no terms, done', async () => {
    const { rid, link } = await sentEnvelope(lang, true);
    const page = await host.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(link);
    await page.waitForSelector('html[data-sign-ready]', { state: 'attached' });
    await expectClean(page, 'opened');
    await page.click('#guide-next');
    await expectClean(page, 'guided to the first field');
    await page.click('#code-send');
    await poll(async () => Boolean(await lastMessage(host.services, rid, 'code'))).toBe(true);
    await poll(() => page.textContent('#code-msg')).not.toBe('');
    await expectClean(page, 'code sent');
    await page.fill('#code-input', '000000');
    await page.click('#code-verify');
    await poll(() => page.locator('#code-msg').textContent()).toMatch(/\S/);
    await page.waitForTimeout(300);
    await expectClean(page, 'wrong code');
    await page.fill('#code-input', codeFromBody((await lastMessage(host.services, rid, 'code'))!.body)!);
    await Promise.all([page.waitForResponse((r) => /\/verify$/.test(new URL(r.url()).pathname) && r.status() === 200), page.click('#code-verify')]);
    await page.waitForTimeout(300);
    await expectClean(page, 'code confirmed, typed signature');
    await page.click('#tab-drawn');
    await expectClean(page, 'drawn signature');
    await page.click('#tab-uploaded');
    await expectClean(page, 'uploaded signature (empty)');
    await page.locator('#panel-uploaded input[type=file]').setInputFiles({ name: 'sig.png', mimeType: 'image/png', buffer: Buffer.from(TINY_PNG_B64, 'base64') });
    await page.waitForTimeout(300);
    expect(await page.locator('#panel-uploaded').isVisible()).toBe(true);
    await expectClean(page, 'uploaded signature (chosen)');
    await page.click('#tab-typed');
    // Submitting without the VAT field and without the terms: the page's own errors.
    await page.fill('#f-client_vat', '');
    await page.click('#submit');
    await poll(() => page.locator('#submit-msg').textContent()).toMatch(/\S/);
    await expectClean(page, 'errors on submit');
    await page.fill('#f-client_vat', 'RU7701');
    await page.check('#terms');
    await page.click('#submit');
    await poll(() => page.locator('section.state').count()).toBe(1);
    await expectClean(page, 'done');
    await page.reload();
    await expectClean(page, 'done, reloaded');
    await page.close();
  });

  it('decline: asking for the code, the reason form, its error, and the declined state', async () => {
    const { rid, link } = await sentEnvelope(lang);
    const page = await host.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(link);
    await page.waitForSelector('html[data-sign-ready]', { state: 'attached' });
    await page.click('#decline-open');
    await page.locator('#decline-get-code').waitFor();
    await expectClean(page, 'decline: the code first');
    await page.click('#decline-back');
    await page.click('#code-send');
    await poll(async () => Boolean(await lastMessage(host.services, rid, 'code'))).toBe(true);
    await page.fill('#code-input', codeFromBody((await lastMessage(host.services, rid, 'code'))!.body)!);
    await Promise.all([page.waitForResponse((r) => /\/verify$/.test(new URL(r.url()).pathname) && r.status() === 200), page.click('#code-verify')]);
    await page.waitForTimeout(300);
    await page.click('#decline-open');
    await page.locator('#decline-reason').waitFor();
    await expectClean(page, 'decline form');
    await page.click('#decline-confirm');
    await poll(() => page.locator('#decline-msg').textContent()).toMatch(/\S/);
    await expectClean(page, 'decline without a reason');
    await page.fill('#decline-reason', 'Wrong price');
    await page.click('#decline-confirm');
    await poll(() => page.locator('section.state').count()).toBe(1);
    await expectClean(page, 'declined');
    await page.close();
  });
});

describe.each(['en', 'ru'] as const)('verify door (%s)', (lang) => {
  it('upload page, a sealed result, its shareable link, the record page, an unsigned file and an unknown id', async () => {
    // A document signed through the API (code from the recorded message) and sealed by the queue.
    const { rid } = await sentEnvelope(lang);
    const [r] = await host.services.db.select().from(recipients).where(eq(recipients.id, rid));
    const http = client(host.services);
    const token = tokenFromBody((await lastMessage(host.services, rid, 'invitation'))!.body)!;
    await http.req('POST', `/api/sign/${token}/code`);
    const { actionToken } = (await http.req('POST', `/api/sign/${token}/verify`, { body: { code: codeFromBody((await lastMessage(host.services, rid, 'code'))!.body) } })).data;
    const signed = await http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: { client_vat: 'RU7701' }, signature: { method: 'typed', text: r!.name } }, headers: { 'x-sign-action': actionToken } });
    expect(signed.data.envelopeStatus, JSON.stringify(signed.data)).toBe('completed');
    const sealedEnvelope = async () => {
      await drainJobs(host.services);
      return (await host.services.db.select().from(envelopes).where(and(eq(envelopes.portalId, host.portalId), eq(envelopes.id, r!.envelopeId))))[0]!;
    };
    await poll(async () => Boolean((await sealedEnvelope()).sealedPdfKey)).toBe(true);
    const env = await sealedEnvelope();

    const page = await host.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${APP_ORIGIN}/v?lang=${lang}`);
    await expectClean(page, '/v');
    await page.setInputFiles('input[type=file]', { name: 'c.pdf', mimeType: 'application/pdf', buffer: Buffer.from((await envelopePdf(host.services, env, 'sealed'))!) });
    await Promise.all([page.waitForURL(`${APP_ORIGIN}/v?lang=${lang}`, { waitUntil: 'load' }), page.click('form[enctype] button[type=submit]')]);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('sealed_unchanged');
    expect(await page.locator('[data-identified-by]').count()).toBe(1);
    await page.click('details > summary');
    await expectClean(page, 'sealed result');
    await page.goto(`${APP_ORIGIN}/v/${env!.sealedSha256}?lang=${lang}`);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('sealed_unchanged');
    await expectClean(page, 'shared result link');
    await page.goto(`${APP_ORIGIN}/v/${env!.publicId}?lang=${lang}`);
    await expectClean(page, 'record page');
    const other = await PDFDocument.create();
    other.addPage().drawText('x', { x: 10, y: 10, font: await other.embedFont(StandardFonts.Helvetica) });
    await page.goto(`${APP_ORIGIN}/v?lang=${lang}`);
    await page.setInputFiles('input[type=file]', { name: 'plain.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await other.save()) });
    await Promise.all([page.waitForURL(`${APP_ORIGIN}/v?lang=${lang}`, { waitUntil: 'load' }), page.click('form[enctype] button[type=submit]')]);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('no_signature');
    await expectClean(page, 'unsigned result');
    await page.goto(`${APP_ORIGIN}/v/B24S-NONE-NONE-NONE?lang=${lang}`);
    await expectClean(page, 'unknown id');
    await page.close();
  });
});

async function ownPdf(): Promise<Buffer> {
  return Buffer.from(await samplePdf('Service agreement'));
}

describe.each(['en', 'ru'] as const)('card (%s)', (lang) => {
  it('the tab, the new-document form and the field editor', async () => {
    const { frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang });
    await frame.locator('article.env').first().waitFor();
    await expectClean(frame, 'card tab');
    await frame.locator('.bar button[data-action="new"]').click();
    await frame.locator('label.tpl').first().waitFor();
    await expectClean(frame, 'new document: choose a template');
    await frame.locator('label.tpl').first().click();
    await poll(() => frame.locator('.rrow').count()).toBeGreaterThan(0);
    await expectClean(frame, 'new document form');

    const again = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang });
    await again.frame.locator('.bar button[data-action="own"]').click();
    await again.frame.locator('input[type=file]').setInputFiles({ name: 'service-agreement.pdf', mimeType: 'application/pdf', buffer: await ownPdf() });
    await again.frame.locator('[data-editor-pages] .page canvas').first().waitFor();
    await again.frame.locator('.palette [data-ftype="signature"]').click();
    await poll(() => again.frame.locator('.fbox').count()).toBe(1);
    await expectClean(again.frame, 'field editor');
  });
});
