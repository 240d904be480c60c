/**
 * Invitations in the sandbox, in Debian's Chromium (issue 18 item 6): the e-mail names the sending
 * company and the document and carries a short link; its "As the recipient sees it" view shows the
 * mail as a client shows it, and its button opens the signing page; the employee's messenger
 * notification shows its link as a link (no BB-code on screen) that opens in-portal signing.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvelopeField } from '../../src/db/schema/envelopes.js';
import { createEnvelope, sendEnvelope } from '../../src/signing/envelopes.js';
import { sandboxPortal } from '../../src/sandbox/data.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { FIELDS, samplePdf } from '../helpers/signing.js';
import { CHROMIUM_ARGS } from './helpers/frame-host.js';
import { startSandboxServer, type SandboxServer } from './helpers/sandbox-server.js';

mkdirSync('test-artifacts/sandbox', { recursive: true });

let db: TestDb;
let srv: SandboxServer;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  db = await createTestDb();
  srv = await startSandboxServer(db);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await db?.close();
});

describe('invitations in the sandbox mailbox', () => {
  it('the e-mail names company and document with a short link, its recipient view opens signing; the messenger shows a link, not code', async () => {
    const h = srv.services.sandbox!;
    await expect.poll(() => h.portalId, { timeout: 30_000 }).toBeTruthy();
    const employee = sandboxPortal(h).users[0]!;
    const env = await createEnvelope(srv.services, {
      portalId: h.portalId!,
      title: 'Supply agreement 7',
      lang: 'en',
      pdf: await samplePdf(),
      fields: [...FIELDS] as unknown as EnvelopeField[],
      recipients: [
        { party: 'company', name: 'Anna Rossi', email: 'anna@seller.example', b24UserId: Number(employee.ID) },
        { party: 'client', name: 'Ugo Riva', email: 'ugo@buyer.example' },
      ],
      who: { actor: 'user:1' },
      senderCompany: 'Rossi Trading S.r.l.',
    });
    await sendEnvelope(srv.services, { portalId: h.portalId!, envelopeId: env.id, who: { actor: 'user:1' } });

    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const mail = 'a[data-template="invitation"][data-to="anna@seller.example"]';
    await expect
      .poll(async () => {
        await page.goto(`${srv.origin}/sandbox/mail`);
        return page.locator(mail).count();
      }, { timeout: 60_000, interval: 500 })
      .toBeGreaterThan(0);
    await page.locator(mail).first().click();
    const body = (await page.locator('[data-mail-body]').textContent()) ?? '';
    expect(body).toContain('Rossi Trading S.r.l. sent you “Supply agreement 7”');
    const link = await page.locator('[data-mail-body] a[data-link]').first().getAttribute('href');
    expect(link).toMatch(new RegExp(`^${srv.origin}/s/[A-Za-z0-9_-]{22}$`));
    expect(await page.locator('article h2').textContent()).toContain('Rossi Trading S.r.l.');

    // "As the recipient sees it": the HTML mail shows, and its button opens the signing page.
    await page.getByText('As the recipient sees it').click();
    const frame = page.frameLocator('iframe[title="As the recipient sees it"]');
    await expect.poll(() => frame.locator('a', { hasText: 'Review and sign' }).isVisible(), { timeout: 5_000 }).toBe(true);
    // (A page screenshot leaves the sandboxed frame blank, another process; the frame's own shows it.)
    await page.locator('iframe').screenshot({ path: 'test-artifacts/sandbox/mail-recipient-view.png' });
    const [signer] = await Promise.all([context.waitForEvent('page'), frame.locator('a', { hasText: 'Review and sign' }).click()]);
    await signer.waitForLoadState('domcontentloaded');
    expect(signer.url()).toBe(link);
    await expect.poll(() => signer.locator('#code-send').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await signer.title()).toContain('Supply agreement 7');

    // The messenger notification: a named link, no [URL=…] on screen, leading into the portal.
    const im = `a[data-template="invitation"][data-to="b24user:${employee.ID}"]`;
    await expect
      .poll(async () => {
        await page.goto(`${srv.origin}/sandbox/mail`);
        return page.locator(im).count();
      }, { timeout: 60_000, interval: 500 })
      .toBeGreaterThan(0);
    await page.locator(im).first().click();
    const imBody = (await page.locator('[data-mail-body]').textContent()) ?? '';
    expect(imBody).not.toMatch(/\[\/?URL/i);
    const imLink = page.locator('[data-mail-body][data-im] a[data-link]');
    expect(await imLink.textContent()).toBe('Review and sign');
    expect(await imLink.getAttribute('href')).toMatch(/^\/sandbox\/go\?path=%2Fmarketplace%2Fview%2F/);
    expect(errors).toEqual([]);
  }, 180_000);
});
