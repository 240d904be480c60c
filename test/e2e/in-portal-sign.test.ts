/**
 * In-portal signing in Debian's Chromium, in the sandbox portal (issue 17 item 1): our company's
 * signer is portal user 1, who is also the sandbox's logged-in user. Two documents wait for them;
 * they reach the app framed by the portal (English: from the messenger invitation's REST_APP_URI
 * link in the mailbox; Russian: from "Documents to sign" on the app's page), see a preview of each,
 * open one in full and acknowledge the other, sign once (drawn in English, uploaded in Russian) and
 * confirm once; in Russian a third document is declined from the page first. No e-mail, no code. Screenshots go to test-artifacts/in-portal/.
 */
import { mkdirSync } from 'node:fs';
import { and, eq, inArray } from 'drizzle-orm';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { messages } from '../../src/db/schema/messages.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { createEnvelope, sendEnvelope } from '../../src/signing/envelopes.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { FIELDS, samplePdf, TINY_PNG_B64 } from '../helpers/signing.js';
import { CHROMIUM_ARGS } from './helpers/frame-host.js';
import { startSandboxServer, type SandboxServer } from './helpers/sandbox-server.js';

const SHOTS = 'test-artifacts/in-portal';
mkdirSync(SHOTS, { recursive: true });

let db: TestDb;
let srv: SandboxServer;
let browser: Browser;
let context: BrowserContext;
const errors: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  srv = await startSandboxServer(db);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'en-GB' });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await db?.close();
});

function watch(page: Page) {
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e}`));
  return page;
}

/** Documents for our company's signer, portal user 1, and a client after them. */
async function sendDocuments(lang: 'en' | 'ru', titles: string[], companyOnly = false) {
  const portalId = srv.services.sandbox!.portalId!;
  const pdf = await samplePdf();
  const ids: string[] = [];
  for (const title of titles) {
    const env = await createEnvelope(srv.services, {
      portalId,
      userId: 1,
      title,
      lang,
      pdf,
      fields: FIELDS.filter((f) => f.key !== 'client_vat' && !(companyOnly && f.party === 'client')).map((f) => ({ ...f })) as never,
      recipients: [
        { party: 'company', name: 'Company Signer', email: 'user1@example.com', b24UserId: 1 },
        ...(companyOnly ? [] : [{ party: 'client' as const, name: 'Ivan Petrov', email: 'ivan@buyer.example' }]),
      ],
      who: { actor: 'user:1' },
    });
    await sendEnvelope(srv.services, { portalId, envelopeId: env.id, who: { actor: 'user:1' } });
    ids.push(env.id);
  }
  return ids;
}

/** The app's frame inside the sandbox page, once our page in it has booted. */
async function appFrame(page: Page, ready: string): Promise<Frame> {
  const inPortal = (f: Frame) => f.parentFrame() === page.mainFrame() && /\/b24\/(placements|app)/.test(f.url());
  await expect.poll(() => page.frames().some(inPortal), { timeout: 15_000 }).toBe(true);
  const frame = page.frames().find(inPortal)!;
  await frame.waitForSelector(ready, { state: 'attached', timeout: 20_000 });
  return frame;
}

async function signBoth(page: Page, frame: Frame, ids: string[], how: 'drawn' | 'uploaded', step: string) {
  // The document the link named comes first; each has a rendered first page.
  expect(await frame.locator('article.doc').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.envelope))).toEqual(ids);
  for (const id of ids) await frame.locator(`[data-preview="${id}"][data-ready="true"] canvas`).waitFor({ timeout: 20_000 });
  // No code step: the page says who Bitrix24 says this is.
  expect(await frame.locator('#code-send').count()).toBe(0);
  expect(await frame.locator('#ip-as').textContent()).toMatch(/\b1\b/);
  await page.screenshot({ path: `${SHOTS}/${step}a-list.png`, fullPage: true });

  // Signing before reviewing is refused on the page, in the page's language.
  await frame.check('#terms');
  await frame.click('#submit');
  await expect.poll(() => frame.locator('#submit-msg.err').count()).toBe(1);

  // The first opened in full (every page drawn, marked opened), the second acknowledged.
  await frame.click(`[data-open="${ids[0]}"]`);
  await frame.locator(`[data-pages="${ids[0]}"][data-ready="true"]`).waitFor({ timeout: 20_000 });
  expect(await frame.locator(`[data-pages="${ids[0]}"] canvas`).count()).toBe(2);
  await frame.locator(`[data-opened="${ids[0]}"]`).waitFor({ state: 'visible' });
  await frame.check(`[data-ack="${ids[1]}"]`);

  if (how === 'drawn') {
    await frame.click('#tab-drawn');
    const box = (await frame.locator('#sig-pad').boundingBox())!;
    await page.mouse.move(box.x + 30, box.y + 100);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + 30 + i * 18, box.y + 100 + (i % 2 ? -30 : 30), { steps: 3 });
    await page.mouse.up();
  } else {
    await frame.click('#tab-uploaded');
    await frame.setInputFiles('#sig-file', { name: 'signature.png', mimeType: 'image/png', buffer: Buffer.from(TINY_PNG_B64, 'base64') });
  }
  await page.screenshot({ path: `${SHOTS}/${step}b-ready.png`, fullPage: true });
  await frame.click('#submit');
  await frame.locator('#ip-done').waitFor({ timeout: 20_000 });
  await page.screenshot({ path: `${SHOTS}/${step}c-signed.png`, fullPage: true });
  return (await frame.locator('#ip-done h2').textContent()) ?? '';
}

async function expectSignedInPortal(ids: string[], method: 'drawn' | 'uploaded') {
  const company = await srv.services.db.select().from(recipients).where(and(inArray(recipients.envelopeId, ids), eq(recipients.party, 'company')));
  expect(company.map((r) => r.status)).toEqual(['signed', 'signed']);
  expect(company.every((r) => r.signatureMethod === method)).toBe(true);
  const events = await srv.services.db.select().from(auditEvents).where(inArray(auditEvents.envelopeId, ids));
  const signed = events.filter((e) => e.type === 'signed');
  expect(signed).toHaveLength(2);
  for (const e of signed) expect((e.data as { inPortal?: { userId: number } }).inPortal?.userId).toBe(1);
  expect(events.some((e) => e.type === 'code_sent' || e.type === 'code_verified')).toBe(false);
  // Nothing went to the employee's e-mail but the invitation they did not need.
  const mail = await srv.services.db.select().from(messages).where(inArray(messages.recipientId, company.map((r) => r.id)));
  expect(mail.filter((m) => m.template === 'code')).toHaveLength(0);
}

describe('an employee signs inside the sandbox portal, without e-mail', () => {
  it('en: from the messenger invitation, two documents, a drawn signature, one confirmation', async () => {
    const ids = await sendDocuments('en', ['Supply contract', 'NDA']);
    const page = watch(await context.newPage());
    // The messenger copy in the mailbox: its button is the REST_APP_URI deep link to the first document.
    await expect
      .poll(async () => {
        await page.goto(`${srv.origin}/sandbox/mail`);
        return page.locator('a[data-template="invitation"][data-to="b24user:1"]').count();
      }, { timeout: 60_000, interval: 500 })
      .toBeGreaterThan(1);
    await page.locator('a[data-template="invitation"][data-to="b24user:1"]').last().click();
    const href = (await page.locator('[data-mail-body] a[data-link]').first().getAttribute('href'))!;
    // /sandbox/go?path=<the portal path, encoded>, whose own query is the encoded params[sign].
    const portalPath = decodeURIComponent(new URL(href, srv.origin).searchParams.get('path')!);
    expect(portalPath).toMatch(/^\/marketplace\/view\/[^/]+\/\?params\[sign\]=/);
    expect(portalPath).toContain(`params[sign]=${ids[0]}`);
    await page.goto(new URL(href, srv.origin).toString());
    const frame = await appFrame(page, 'html[data-in-portal="ready"][data-ready="framed"]');
    expect(await frame.locator('h1').textContent()).toBe('Documents to sign');
    const done = await signBoth(page, frame, ids, 'drawn', '01');
    expect(done).toBe('Signed: 2');
    await expectSignedInPortal(ids, 'drawn');
    expect(errors).toEqual([]);
  }, 180_000);

  it('ru: from “Documents to sign” on the app’s page, one declined, the rest with an uploaded signature', async () => {
    const all = await sendDocuments('ru', ['Договор поставки', 'Соглашение о неразглашении', 'Акт сверки']);
    const ids = all.slice(0, 2);
    const page = watch(await context.newPage());
    await page.goto(`${srv.origin}/sandbox/lang?lang=ru&back=${encodeURIComponent('/sandbox')}`);
    await page.goto(`${srv.origin}/sandbox/app`);
    const status = await appFrame(page, '#to-sign');
    expect(await status.locator('#to-sign').getAttribute('data-count')).toBe('3');
    expect(await status.locator('#to-sign h2').textContent()).toBe('Документы на подпись');
    await status.locator('#to-sign a[data-open-path]').click();
    await page.waitForURL(/\/sandbox\/app\?.*placement=REST_APP_URI/);
    const frame = await appFrame(page, 'html[data-in-portal="ready"][data-ready="framed"]');
    expect(await frame.locator('html').getAttribute('lang')).toBe('ru');
    // The third is declined from the page, with a reason: it leaves the list, the rest stay.
    await frame.click(`[data-decline="${all[2]}"]`);
    await frame.fill(`[data-decline-reason="${all[2]}"]`, 'Неверные реквизиты');
    await frame.click(`[data-decline-confirm="${all[2]}"]`);
    await frame.locator(`article.doc[data-envelope="${all[2]}"]`).waitFor({ state: 'detached' });
    expect(await frame.locator('#ip-count').textContent()).toBe('Ожидают вашей подписи: 2');
    const [declined] = await srv.services.db.select().from(envelopes).where(eq(envelopes.id, all[2]!));
    expect(declined!.status).toBe('declined');
    const done = await signBoth(page, frame, ids, 'uploaded', '02');
    expect(done).toBe('Подписано: 2');
    expect(await frame.locator('#ip-done').textContent()).toContain('Битрикс24');
    // A client still has to sign: the page says what happens when every party has.
    expect(await frame.locator('#ip-done').getAttribute('data-complete')).toBe('0');
    expect(await frame.locator('#ip-done').textContent()).toContain('Когда все стороны подпишут');
    await expectSignedInPortal(ids, 'uploaded');
    expect(errors).toEqual([]);
  }, 180_000);

  it('ru: the last signer is told the documents are complete, not “when every party has signed”', async () => {
    const ids = await sendDocuments('ru', ['Приказ об отпуске', 'Служебная записка'], true);
    const page = watch(await context.newPage());
    await page.goto(`${srv.origin}/sandbox/lang?lang=ru&back=${encodeURIComponent('/sandbox')}`);
    await page.goto(`${srv.origin}/sandbox/app`);
    const status = await appFrame(page, '#to-sign');
    await status.locator('#to-sign a[data-open-path]').click();
    await page.waitForURL(/\/sandbox\/app\?.*placement=REST_APP_URI/);
    const frame = await appFrame(page, 'html[data-in-portal="ready"][data-ready="framed"]');
    expect(await signBoth(page, frame, ids, 'uploaded', '03')).toBe('Подписано: 2');
    expect(await frame.locator('#ip-done').getAttribute('data-complete')).toBe('2');
    const text = (await frame.locator('#ip-done').textContent()) ?? '';
    expect(text).toContain('Все стороны подписали. Через несколько минут заверенный PDF появится в CRM');
    expect(text).not.toContain('Когда все стороны');
    const done = await srv.services.db.select().from(envelopes).where(inArray(envelopes.id, ids));
    expect(done.map((e) => e.status)).toEqual(['completed', 'completed']);
    expect(errors).toEqual([]);
  }, 180_000);
});
