/**
 * The guided tour of the sandbox portal in Debian's Chromium, from a fresh start to a verified PDF:
 * home → deal → the app's Sign tab (framed as Bitrix24 frames it) → a document from a built-in
 * template → send → mailbox → invitation → code from the mailbox → sign, for our company's signer
 * and then the client → the deal's timeline shows the signed activity and the sealed-PDF comment →
 * download that PDF → /v says it is sealed by b24-sign and unchanged. Screenshots of every step go to
 * test-artifacts/sandbox/.
 */
import { mkdirSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { messages } from '../../src/db/schema/messages.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { CHROMIUM_ARGS } from './helpers/frame-host.js';
import { startSandboxServer, type SandboxServer } from './helpers/sandbox-server.js';

const SHOTS = 'test-artifacts/sandbox';
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
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'en-GB', acceptDownloads: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await db?.close();
});

async function shot(page: Page, name: string, fullPage = true) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage });
}

function watch(page: Page) {
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e}`));
  return page;
}

async function placementFrame(page: Page): Promise<Frame> {
  // The iframe is named DOMAIN|PROTOCOL|APP_SID, as Bitrix24 names it for its SDK (src/sandbox/bx24.ts).
  const inPortal = (f: Frame) => f.parentFrame() === page.mainFrame() && /\/b24\/(placements|app)/.test(f.url());
  await expect.poll(() => page.frames().some(inPortal), { timeout: 15_000 }).toBe(true);
  const frame = page.frames().find(inPortal)!;
  await frame.waitForSelector('html[data-ready="framed"]', { state: 'attached', timeout: 15_000 });
  return frame;
}

/** Opens the newest message matching `filter` in the mailbox and returns its link (if any) and body. */
async function readMail(page: Page, filter: { template: string; to?: string }): Promise<{ body: string; link?: string }> {
  const sel = `a[data-template="${filter.template}"]${filter.to ? `[data-to="${filter.to}"]` : ''}`;
  await expect
    .poll(async () => {
      await page.goto(`${srv.origin}/sandbox/mail`);
      return page.locator(sel).count();
    // Mail goes out through the job queue; on a loaded CI machine a delivery has once taken over 30 s.
    }, { timeout: 60_000, interval: 500 })
    .toBeGreaterThan(0)
    .catch(async (e: unknown) => {
      // Say where the message is: its row, and the queue's view of every job (kind, state, attempts, error).
      const rows = await db.db.select({ template: messages.template, to: messages.to, status: messages.status, error: messages.error }).from(messages);
      const queue = await db.db.select({ kind: jobs.kind, status: jobs.status, attempts: jobs.attempts, runAt: jobs.runAt, lastError: jobs.lastError }).from(jobs);
      throw new Error(`${String(e)}\nmessages: ${JSON.stringify(rows)}\njobs: ${JSON.stringify(queue)}`);
    });
  await page.locator(sel).first().click();
  const body = (await page.locator('[data-mail-body]').textContent()) ?? '';
  const links = page.locator('[data-mail-body] a[data-link]');
  const href = (await links.count()) ? await links.first().getAttribute('href') : null;
  return { body, ...(href ? { link: href } : {}) };
}

/** One signer: invitation → signing page → code from the mailbox → sign. */
async function sign(mailbox: Page, to: string, step: string) {
  const invitation = await readMail(mailbox, { template: 'invitation', to });
  expect(invitation.link).toMatch(new RegExp(`^${srv.origin}/s/`));
  await shot(mailbox, `${step}a-mail-invitation`);
  const signer = watch(await context.newPage());
  await signer.goto(invitation.link!);
  await expect.poll(() => signer.locator('#pages .page').count(), { timeout: 20_000 }).toBeGreaterThan(0);
  await signer.click('#code-send');
  const code = await readMail(mailbox, { template: 'code', to });
  const digits = /\b(\d{6})\b/.exec(code.body)?.[1];
  expect(digits, code.body).toBeTruthy();
  // The mailbox shows what its mailer took; the delivered rows themselves keep neither link nor code.
  const rows = await db.db.select().from(messages).where(eq(messages.to, to));
  expect(rows.filter((r) => r.template === 'invitation' || r.template === 'code').every((r) => r.status === 'sent')).toBe(true);
  const kept = rows.map((r) => [r.subject, r.body, r.html].join('\n')).join('\n');
  expect(kept).not.toContain(digits!);
  expect(kept).not.toContain(invitation.link!.slice(invitation.link!.lastIndexOf('/') + 1));
  await shot(mailbox, `${step}b-mail-code`);
  await signer.bringToFront();
  await signer.fill('#code-input', digits!);
  await signer.click('#code-verify');
  await expect.poll(() => signer.textContent('#code-msg')).toMatch(/confirm/i);
  // The built-in sales contract asks signers for nothing but the signature: the typed one is pre-filled.
  await signer.check('#terms');
  await shot(signer, `${step}c-signing-page`);
  await signer.click('#submit');
  await expect.poll(() => signer.locator('section.state h2').textContent().catch(() => ''), { timeout: 15_000 }).toMatch(/Thank you/i);
  await shot(signer, `${step}d-signed`, false);
  await signer.close();
}

describe('sandbox guided tour in Chromium', () => {
  it('goes from a fresh start to a sealed, verified PDF', async () => {
    const page = watch(await context.newPage());

    // Home: the tour, deals, leads and contacts of the seeded portal.
    await page.goto(`${srv.origin}/sandbox`);
    expect(await page.locator('[data-tour]').count()).toBe(6);
    expect(await page.locator('#deals tbody tr').count()).toBe(60);
    expect(await page.locator('#leads tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#contacts tbody tr').count()).toBeGreaterThan(0);
    await shot(page, '01-home', false);

    // 1. Open the deal.
    await page.click('[data-tour="1"]');
    await page.waitForURL(/\/sandbox\/deal\/15$/);
    await shot(page, '02-deal', false);

    // 2. Sign: the app's tab, framed like Bitrix24 frames it; a document from a built-in template.
    await page.click('.tabs a[data-placement="CRM_DEAL_DETAIL_TAB"]');
    const frame = await placementFrame(page);
    const calls = await page.evaluate(() => (window as unknown as { __bx24: { cmd: string }[] }).__bx24.map((c) => c.cmd));
    expect(calls).toContain('getInitData');
    // The page fits the sandbox's slider through the SDK (fitWindow travels as resizeWindow).
    await expect.poll(async () => (await page.evaluate(() => (window as unknown as { __bx24: { cmd: string }[] }).__bx24.map((c) => c.cmd))).includes('resizeWindow')).toBe(true);
    await expect.poll(() => page.evaluate(() => document.getElementById('b24frame')!.getBoundingClientRect().height)).toBeGreaterThan(120);
    await frame.locator('.bar button[data-action="new"]').click();
    const starter = frame.locator('label.tpl', { hasText: 'Sales contract' });
    await starter.waitFor();
    await starter.click();
    await expect.poll(() => frame.locator('.rrow').count(), { timeout: 15_000 }).toBe(2);
    // Our company's signer is chosen in the portal's own user picker: the sandbox answers selectUser
    // with one of its employees, and the app reads that employee's e-mail from the portal.
    await frame.locator('.rrow').first().locator('[data-action="pick-user"]').click();
    await page.locator('dialog[data-b24-picker="selectUser"] [data-pick="user:1"]').click();
    await expect.poll(() => frame.locator('.rrow').first().locator('input[data-k="email"]').inputValue()).toBe('user1@example.com');
    const emails = await frame.locator('.rrow input[data-k="email"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    const send = frame.locator('button[data-action="send"]');
    await expect.poll(() => send.isEnabled(), { timeout: 15_000 }).toBe(true);
    // "Signs for us" follows the signer just picked; the price reads as English writes it, not "301000.00 RUB".
    const signer = await frame.locator('.rrow').first().locator('input[data-k="name"]').inputValue();
    await expect.poll(() => frame.locator('[data-field="seller_signatory"]').inputValue()).toBe(signer);
    expect(await frame.locator('[data-field="seller_signatory"]').evaluate((el) => (el as HTMLInputElement).readOnly)).toBe(true);
    expect((await frame.locator('[data-display="amount"]').textContent())?.replace(/\u00a0/g, ' ')).toBe('RUB 301,000.00');
    // Deal 15 closed before today's contract date: a warning the sender confirms before sending.
    await frame.locator('[data-action="confirm-warnings"]').check();
    await shot(page, '03-sign-compose');
    await send.click();
    await frame.locator('article.env').first().waitFor({ timeout: 20_000 });
    await shot(page, '04-sign-sent');
    const [env] = await srv.services.db.select().from(envelopes).where(and(eq(envelopes.portalId, srv.services.sandbox!.portalId!), eq(envelopes.crmEntityId, 15)));
    expect(env!.status).toBe('sent');

    // 3–4. The mailbox, then each signer in turn (our company first, then the client).
    const mailbox = watch(await context.newPage());
    await mailbox.goto(`${srv.origin}/sandbox`);
    await mailbox.click('[data-tour="3"]');
    await mailbox.waitForURL(/\/sandbox\/mail/);
    expect(emails.length).toBe(2);
    await sign(mailbox, emails[0]!, '05');
    await sign(mailbox, emails[1]!, '06');

    // The last signature completes the envelope; a job seals it.
    await expect
      .poll(async () => {
        const [e] = await srv.services.db.select({ status: envelopes.status, sealed: envelopes.sealedSha256 }).from(envelopes).where(eq(envelopes.id, env!.id));
        if (e?.status === 'completed' && e.sealed) return 'sealed';
        const failing = await srv.services.db.select({ kind: jobs.kind, error: jobs.lastError, status: jobs.status }).from(jobs);
        return JSON.stringify({ e, jobs: failing.filter((j) => j.error) });
      }, { timeout: 30_000, interval: 500 })
      .toBe('sealed');

    // The final copies reach the mailbox.
    await readMail(mailbox, { template: 'completed' });
    await shot(mailbox, '07-mail-completed', false);

    // 5. The timeline, as the app wrote it: the activity says signed, the comment carries the PDF.
    await page.goto(`${srv.origin}/sandbox`);
    await page.click('[data-tour="5"]');
    await expect
      .poll(async () => {
        await page.reload();
        return page.locator('#timeline li[data-kind="comment"] a[data-file]').count();
      }, { timeout: 30_000, interval: 1000 })
      .toBe(1);
    expect(await page.locator('#timeline li[data-kind="activity"] .tag.success').count()).toBe(1);
    expect(await page.locator('#timeline li[data-kind="logmessage"]').count()).toBeGreaterThan(1);
    await page.locator('#timeline').screenshot({ path: `${SHOTS}/08-timeline.png` });

    // 6. Download the sealed PDF from the timeline and verify it.
    const href = (await page.locator('#timeline li[data-kind="comment"] a[data-file]').getAttribute('href'))!;
    const pdf = await context.request.get(href);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    const bytes = await pdf.body();
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    await page.goto(`${srv.origin}/sandbox`);
    await page.click('[data-tour="6"]');
    await page.waitForURL(/\/v$/);
    await page.setInputFiles('input[type=file][name=file]', { name: `${env!.publicId}.pdf`, mimeType: 'application/pdf', buffer: bytes });
    await page.click('form[enctype="multipart/form-data"] button[type=submit]');
    await expect.poll(() => page.textContent('body'), { timeout: 20_000 }).toContain('Sealed by b24-sign and unchanged');
    await shot(page, '09-verified', false);

    // The home page ticks the steps done.
    await page.goto(`${srv.origin}/sandbox`);
    expect(await page.locator('.tour li.done').count()).toBe(5);
    expect(errors).toEqual([]);
  }, 300_000);

  it('fires the robot from the stage bar and opens the toolbar button in a slider', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${srv.origin}/sandbox/deal/17`);
    await page.click('button[data-stage="PREPARATION"]');
    await page.waitForURL(/moved=PREPARATION&robot=accepted/);
    expect(await page.locator('.flash').count()).toBe(2);
    // What Bitrix24's call did, in words: no HTTP status in the page's text.
    for (const text of await page.locator('.flash').allTextContents()) expect(text).not.toMatch(/\b[1-5]\d\d\b|HTTP/);
    expect(await page.locator('[data-workflow="running"]').count()).toBe(1);
    // From here on no reload: the page follows the robot by itself (the marker would vanish with a reload).
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    const liveCalls: number[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/sandbox/deal/17/live')) liveCalls.push(Date.now());
    });
    await page.locator('#timeline li[data-kind="activity"]').waitFor({ timeout: 30_000 });
    // The badge under the robot's stage is the robot's state: sent and waiting for signatures, once the app logged the send.
    await expect.poll(() => page.locator('.stages [data-robot-state]').getAttribute('data-robot-state'), { timeout: 30_000 }).toBe('waiting');
    expect(await page.locator('.stages [data-robot-state] .tag').textContent()).toBe('sent, waiting for signatures');
    expect(await page.locator('#automation [data-robot-state]').getAttribute('data-robot-state')).toBe('waiting');
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await shot(page, '10-robot-fired', false);
    // A hidden tab asks nothing; shown again, it asks at once.
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await page.waitForTimeout(300);
    const atHide = liveCalls.length;
    await page.waitForTimeout(4_000);
    expect(liveCalls.length).toBe(atHide);
    await setHidden(false);
    await expect.poll(() => liveCalls.length, { timeout: 5_000 }).toBeGreaterThan(atHide);

    // The activity's Open button is a REST_APP_URI deep link: the sandbox opens the app framed on that envelope.
    await page.locator('#timeline li[data-kind="activity"] a.btn.primary').click();
    await page.waitForURL(/\/sandbox\/app\?placement=REST_APP_URI&envelopeId=env_/);
    const app = await placementFrame(page);
    await app.locator('article.env').first().waitFor({ timeout: 15_000 });
    await shot(page, '10b-deep-link', false);
    await page.goto(`${srv.origin}/sandbox/deal/17`);

    await page.click('a[data-placement="CRM_DEAL_DETAIL_TOOLBAR"]');
    const frame = await placementFrame(page);
    await frame.locator('#compose label.tpl').first().waitFor();
    expect(await page.locator('.slider[role=dialog]').count()).toBe(1);
    await shot(page, '11-toolbar-slider', false);
    await page.click('[data-close-slider]');
    await page.waitForURL(/\/sandbox\/deal\/17$/);
    expect(errors).toEqual([]);
  }, 120_000);
});
