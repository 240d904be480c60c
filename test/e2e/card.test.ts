import { readFile } from 'node:fs/promises';
/**
 * The CRM card in Debian's Chromium, framed the way Bitrix24 frames it (test/e2e/helpers/frame-host.ts):
 * the list with progress and frame fitting, void, your own PDF with fields placed by hand, a CRM
 * document that is not converted yet. Screenshots of every screen go to test-artifacts/card/.
 */
import { mkdirSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { templates } from '../../src/db/schema/templates.js';
import { issueSession } from '../../src/http/session.js';
import { seedEnvelope } from './helpers/card-seed.js';
import { startFrameHost, type FrameHost } from './helpers/frame-host.js';
import type { Frame, Page } from 'playwright-core';

const SHOTS = 'test-artifacts/card';

// Chromium shares the CI machine's two CPUs with the rest of the suite: wait generously, fail on wrong results.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });
mkdirSync(SHOTS, { recursive: true });

let host: FrameHost;
const DEAL = 2; // seeded: responsible user 12, contact 3 (both with e-mail), one generated document

beforeAll(async () => {
  host = await startFrameHost({ pdfDelayMs: 3000 });
  const base = Date.UTC(2026, 10, 20, 9, 0);
  await seedEnvelope(host.services.db, {
    portalId: host.portalId, entityTypeId: 2, entityId: DEAL, title: 'Supply contract No. 1041', status: 'completed', sealed: true, createdAt: new Date(base),
    recipients: [
      { name: 'Сергей Морозова', email: 'user12@example.com', party: 'company', order: 1, status: 'signed', at: new Date(base + 3600e3) },
      { name: 'Павел Зайцев', email: 'contact3@example.com', party: 'client', order: 2, status: 'signed', at: new Date(base + 7200e3) },
    ],
  });
  await seedEnvelope(host.services.db, {
    portalId: host.portalId, entityTypeId: 2, entityId: DEAL, title: 'Licence renewal — addendum 2', status: 'in_progress', createdAt: new Date(base + 86400e3),
    recipients: [
      { name: 'Сергей Морозова', email: 'user12@example.com', party: 'company', order: 1, status: 'signed', at: new Date(base + 90000e3) },
      { name: 'Павел Зайцев', email: 'contact3@example.com', party: 'client', order: 2, status: 'opened', at: new Date(base + 95000e3) },
    ],
  });
  await seedEnvelope(host.services.db, {
    portalId: host.portalId, entityTypeId: 2, entityId: DEAL, title: 'Price list acknowledgement', status: 'declined', createdAt: new Date(base + 2 * 86400e3),
    recipients: [
      { name: 'Сергей Морозова', email: 'user12@example.com', party: 'company', order: 1, status: 'signed' },
      { name: 'Павел Зайцев', email: 'contact3@example.com', party: 'client', order: 2, status: 'declined', declineReason: 'Prices for Q1 are not agreed yet' },
    ],
  });
}, 120_000);

afterAll(async () => {
  await host?.close();
});

async function shot(page: Page, name: string) {
  await page.waitForTimeout(150); // let the last fitWindow land
  // Chromium paints an iframe only inside the viewport: grow the viewport to the fitted frame first.
  const height = await page.evaluate(() => Math.ceil(document.documentElement.scrollHeight));
  await page.setViewportSize({ width: 1100, height: Math.min(Math.max(height, 400), 6000) });
  await page.waitForTimeout(100);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** The frame has grown to its content: no scrollbar inside the slider. */
async function expectFitted(page: Page, frame: Frame) {
  await expect
    .poll(async () => {
      const inner = await frame.evaluate(() => document.documentElement.scrollHeight);
      const outer = await page.evaluate(() => document.getElementById('b24frame')!.getBoundingClientRect().height);
      return Math.abs(inner - outer);
    })
    .toBeLessThanOrEqual(1);
  expect(await frame.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1)).toBe(true);
}

async function samplePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= 2; i++) {
    const p = doc.addPage([595.28, 841.89]);
    p.drawText(`Service agreement - page ${i}`, { x: 50, y: 780, size: 18, font });
    p.drawText('Signatures at the bottom of page 2.', { x: 50, y: 740, size: 12, font });
  }
  return Buffer.from(await doc.save());
}

describe.each(['en', 'ru'] as const)('card tab (%s)', (lang) => {
  it('lists the deal’s documents with per-recipient progress, fits the frame, and localises', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang });
    for (const title of ['Supply contract No. 1041', 'Licence renewal — addendum 2', 'Price list acknowledgement']) {
      await frame.locator('article.env', { hasText: title }).waitFor();
    }
    const heading = await frame.locator('h1').first().textContent();
    expect(heading).toBe(lang === 'ru' ? 'Документы на подпись' : 'Documents for signing');
    const declined = frame.locator('article.env', { hasText: 'Price list acknowledgement' });
    expect(await declined.locator('.badge').textContent()).toBe(lang === 'ru' ? 'Отклонён' : 'Declined');
    expect(await declined.textContent()).toContain('Prices for Q1 are not agreed yet');
    const done = frame.locator('article.env', { hasText: 'Supply contract No. 1041' });
    // One download for the sealed PDF, one for the evidence package (ZIP).
    expect(await done.locator('[data-action="download"]:not([data-ext])').count()).toBe(1);
    expect(await done.locator('[data-action="download"][data-ext="zip"]').count()).toBe(1);
    expect(await done.locator('[data-action="copy-verify"]').count()).toBe(1);
    const calls = await host.bx24Calls(page);
    // Bitrix24's SDK asked the portal for its init data and fitted the frame (fitWindow is resizeWindow
    // with width '100%' on the wire, packages/jssdk/src/frame/parent.ts).
    expect(calls.map((c) => c.cmd)).toContain('getInitData');
    expect(calls.filter((c) => c.cmd === 'resizeWindow' && c.params.width === '100%').length).toBeGreaterThan(0);
    await expectFitted(page, frame);
    await shot(page, `${lang}-1-list`);
  });

  it('walks the keyboard through the actions with visible labels', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang });
    await frame.locator('button[data-action="new"]').first().focus();
    expect(await frame.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('new');
    await page.keyboard.press('Tab');
    expect(await frame.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('own');
    // Every form control on the page has an accessible name.
    const unnamed = await frame.evaluate(() =>
      [...document.querySelectorAll('button, input, select')].filter((el) => !(el.textContent?.trim() || el.getAttribute('aria-label') || (el.id && document.querySelector(`label[for="${el.id}"]`)))).length,
    );
    expect(unnamed).toBe(0);
  });
});

describe('actions', () => {
  it('voids a document from the list after a confirmation with a reason', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang: 'en' });
    const row = frame.locator('article.env', { hasText: 'Licence renewal — addendum 2' });
    await row.locator('[data-action="void"]').click();
    const dialog = frame.locator('dialog[open]');
    await dialog.locator('input').fill('Wrong price in section 3');
    await shot(page, 'en-2-void-confirm');
    await dialog.locator('button[value="ok"]').click();
    await poll(async () => row.locator('.badge').textContent()).toBe('Voided');
    expect(await row.locator('[data-action="void"]').count()).toBe(0);
    const [env] = await host.services.db.select().from(envelopes).where(and(eq(envelopes.portalId, host.portalId), eq(envelopes.title, 'Licence renewal — addendum 2')));
    expect(env!.status).toBe('voided');
    expect(env!.endReason).toBe('Wrong price in section 3');
    await shot(page, 'en-3-voided');
  });
});

describe.each(['en', 'ru'] as const)('your own document (%s)', (lang) => {
  it('uploads a PDF, places fields on the rendered pages, takes recipients from the CRM and sends', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang });
    await frame.locator('.bar button[data-action="own"]').click();
    await frame.locator('input[type=file]').setInputFiles({ name: 'service-agreement.pdf', mimeType: 'application/pdf', buffer: await samplePdf() });
    await frame.locator('[data-editor-pages] .page canvas').first().waitFor();
    await poll(() => frame.locator('[data-editor-pages] .page').count()).toBe(2);

    // Drag a signature onto page 2 with the mouse…
    const page2 = frame.locator('[data-editor-pages] .page').nth(1);
    await frame.locator('.palette [data-ftype="signature"]').dragTo(page2, { targetPosition: { x: 120, y: 600 } });
    await poll(() => page2.locator('.fbox').count()).toBe(1);
    // …and another from the keyboard: it lands on the page in view; move it with the arrows.
    await frame.locator('.palette [data-ftype="signature"]').focus();
    await page.keyboard.press('Enter');
    await poll(() => frame.locator('.fbox').count()).toBe(2);
    const second = frame.locator('.fbox').nth(1);
    const before = await second.boundingBox();
    await second.focus();
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    const after = await second.boundingBox();
    expect(after!.x).toBeGreaterThan(before!.x);
    // Each new signature goes to the next party, in signing order, without one: the responsible
    // user (our company) signs first, so the first is the company's and the second the client's.
    expect(await frame.locator('.fbox').evaluateAll((els) => els.map((e) => /party-(\w+)/.exec(e.className)?.[1]))).toEqual(['company', 'client']);
    // A text box bound to the deal's title.
    await frame.locator('.palette [data-ftype="text"]').click();
    await frame.locator('select[data-k="binding"]').selectOption('item.TITLE');

    // Recipients come from the deal: the responsible user signs first, the contact second.
    await poll(() => frame.locator('.rrow').count()).toBe(2);
    const names = await frame.locator('.rrow input[data-k="name"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(names).toEqual(['Сергей Морозова', 'Павел Зайцев']);
    await shot(page, `${lang}-4-own-pdf-fields`);

    await frame.locator('input#' + (await frame.locator('label', { hasText: lang === 'ru' ? 'Название документа' : 'Document title' }).getAttribute('for'))).fill(`Service agreement (${lang})`);
    // Keep the layout for next time.
    await frame.locator('label', { hasText: lang === 'ru' ? 'Сохранить как шаблон' : 'Save as a template' }).click();
    await frame.locator(`input[placeholder="${lang === 'ru' ? 'Название шаблона' : 'Template name'}"]`).fill(`Service agreement template (${lang})`);
    const send = frame.locator('button[data-action="send"]');
    await poll(() => send.isEnabled()).toBe(true);
    await send.click();
    await frame.locator('article.env', { hasText: `Service agreement (${lang})` }).waitFor({ timeout: 45_000 });
    await shot(page, `${lang}-5-own-pdf-sent`);

    const [env] = await host.services.db.select().from(envelopes).where(and(eq(envelopes.portalId, host.portalId), eq(envelopes.title, `Service agreement (${lang})`)));
    expect(env!.status).toBe('sent');
    expect(env!.crmEntityTypeId).toBe(2);
    expect(env!.crmEntityId).toBe(DEAL);
    expect(env!.fields.filter((f) => f.type === 'signature').map((f) => f.party).sort()).toEqual(['client', 'company']);
    const bound = env!.fields.find((f) => f.type === 'text')!;
    expect(bound.party).toBe('sender');
    expect(bound.defaultValue).toBe('Продление лицензий — ООО «Гранит»');
    const rs = await host.services.db.select().from(recipients).where(eq(recipients.envelopeId, env!.id));
    expect(rs.map((r) => [r.party, r.signOrder, r.email]).sort()).toEqual([
      ['client', 2, 'contact3@example.com'],
      ['company', 1, 'user12@example.com'],
    ]);
    const [tpl] = await host.services.db.select().from(templates).where(and(eq(templates.portalId, host.portalId), eq(templates.name, `Service agreement template (${lang})`)));
    expect(tpl!.source.type).toBe('upload');
    expect(tpl!.fields.map((f) => f.type).sort()).toEqual(['signature', 'signature', 'text']);
    expect(tpl!.fields.find((f) => f.type === 'text')!.binding).toBe('item.TITLE');
  });
});

describe('missing data', () => {
  it('points out a recipient without e-mail and keeps Send disabled until it is fixed', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang: 'en' });
    await frame.locator('.bar button[data-action="own"]').click();
    await frame.locator('input[type=file]').setInputFiles({ name: 'nda.pdf', mimeType: 'application/pdf', buffer: await samplePdf() });
    await frame.locator('[data-editor-pages] .page canvas').first().waitFor();
    await frame.locator('.palette [data-ftype="signature"]').click();
    await poll(() => frame.locator('.rrow').count()).toBe(2);
    await frame.locator('.rrow input[data-k="email"]').nth(1).fill('');
    await frame.locator('#problems').waitFor();
    const problems = await frame.locator('#problems').textContent();
    expect(problems).toContain('Павел Зайцев has no e-mail');
    expect(problems).toContain('Place at least one signature field for every signer');
    expect(await frame.locator('button[data-action="send"]').isDisabled()).toBe(true);
    expect(await frame.locator('.rrow input[data-k="email"]').nth(1).getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'en-6-missing-data');
    // The fix is one click away: the contact's card opens in the portal's slider.
    await frame.locator('#problems li', { hasText: 'has no e-mail' }).locator('button').click();
    await poll(() => host.openedPaths(page)).toContain('/crm/contact/details/3/');
    await frame.locator('.rrow input[data-k="email"]').nth(1).fill('pavel@client.test');
    await poll(async () => (await frame.locator('#problems').textContent()) ?? '').not.toContain('no e-mail');
  });
});

describe('sign an existing CRM document', () => {
  it('lists the deal’s generated documents, waits for a PDF still being converted, then continues', async () => {
    // A fresh document: the emulator converts it to PDF 3 s after creation, as Bitrix24 does asynchronously.
    const created = await host.services.bitrix24.forPortal(host.portalId).call<{ document: { id: number } }>('crm.documentgenerator.document.add', { templateId: 1, entityTypeId: 2, entityId: DEAL });
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DOCUMENTGENERATOR_BUTTON', options: { ENTITY_ID: String(DEAL) }, lang: 'ru' });
    await frame.locator('.doclist li').first().waitFor();
    expect(await frame.locator('.doclist li').count()).toBe(2);
    await shot(page, 'ru-7-docgen-list');
    await frame.locator(`label[data-document="${created.document.id}"]`).click();
    await frame.locator('button[data-action="docgen-continue"]').click();
    await frame.locator('[data-waiting]').waitFor({ timeout: 45_000 });
    expect(await frame.locator('[data-waiting]').textContent()).toContain('Битрикс24 ещё преобразует документ в PDF');
    await shot(page, 'ru-8-docgen-waiting');
    await frame.locator('[data-editor-pages] .page canvas').first().waitFor({ timeout: 45_000 });
    await frame.locator('.palette [data-ftype="signature"]').click();
    await frame.locator('select[data-k="party"]').selectOption('company');
    await frame.locator('.palette [data-ftype="signature"]').click();
    await poll(() => frame.locator('.rrow').count()).toBe(2);
    await shot(page, 'ru-9-docgen-fields');
    const send = frame.locator('button[data-action="send"]');
    await poll(() => send.isEnabled()).toBe(true);
    await send.click();
    await frame.locator('[role="status"]', { hasText: 'Отправлено на подпись' }).first().waitFor({ timeout: 45_000 });
    const rows = await host.services.db.select().from(envelopes).where(and(eq(envelopes.portalId, host.portalId), eq(envelopes.crmEntityId, DEAL)));
    expect(rows.some((e) => e.title.includes(`№ ${1000 + created.document.id}`) && e.status === 'sent')).toBe(true);
    await shot(page, 'ru-10-docgen-sent');
  });
});

describe('deep link and per-recipient actions', () => {
  it('opens an envelope through REST_APP_URI, shows its history, resends and fixes an e-mail there', async () => {
    // An envelope of its own, sent through the envelopes API as the card would.
    const token = await issueSession(host.services.config.sessionSecret, { portalId: host.portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' });
    const created = await host.app.request('/api/envelopes', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Service agreement (deep link)', lang: 'en', crm: { entityTypeId: 2, entityId: DEAL }, pdfBase64: (await samplePdf()).toString('base64'), send: true,
        fields: [
          { key: 'company_sig', type: 'signature', page: 1, box: { x: 60, y: 100, w: 160, h: 44 }, party: 'company', required: true },
          { key: 'client_sig', type: 'signature', page: 1, box: { x: 320, y: 100, w: 160, h: 44 }, party: 'client', required: true },
        ],
        recipients: [
          { role: 'signer', party: 'company', order: 1, name: 'Сергей Морозова', email: 'user12@example.com', b24UserId: 12 },
          { role: 'signer', party: 'client', order: 2, name: 'Павел Зайцев', email: 'contact3@example.com', crmContactId: 3 },
        ],
      }),
    });
    expect(created.status).toBe(201);
    const env = ((await created.json()) as { envelope: { id: string } }).envelope;
    // "Open" in the card asks the portal to open the app's deep link in a slider.
    const card = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang: 'en' });
    await card.frame.locator(`article[data-envelope="${env.id}"] [data-action="open"]`).click();
    await expect
      .poll(async () => (await host.openedPaths(card.page))[0])
      .toBe(`/marketplace/view/local.b24sign.card/?params%5BenvelopeId%5D=${env.id}`);

    const { page, frame } = await host.open({ placement: 'REST_APP_URI', options: { envelopeId: env.id }, lang: 'en' });
    await frame.locator('[data-history] li').first().waitFor();
    const history = await frame.locator('[data-history]').textContent();
    expect(history).toContain('Created');
    expect(history).toContain('Sent for signing');
    expect(await frame.locator('#detail').textContent()).toContain('The audit log is intact');

    // The company signer was invited: resend to them.
    const company = frame.locator('li[data-status="invited"]');
    await company.locator('[data-action="resend"]').click();
    await frame.locator('[data-history]', { hasText: 'Invitation sent again' }).waitFor();
    // The client waits for their turn: their address can still be corrected.
    const client = frame.locator('li[data-status="waiting"]');
    await client.locator('[data-action="change-email"]').click();
    await frame.locator('dialog[open] input').fill('pavel.zaitsev@client.test');
    await frame.locator('dialog[open] button[value="ok"]').click();
    await frame.locator('li[data-status="waiting"]', { hasText: 'pavel.zaitsev@client.test' }).waitFor();
    await frame.locator('[data-history]', { hasText: 'E-mail changed' }).waitFor();
    await expectFitted(page, frame);
    await shot(page, 'en-15-deep-link');
  });

  it('downloads the sealed PDF and copies the verification link of a signed document', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang: 'en' });
    // The test reads the clipboard from the portal's page; the frame itself writes without the async API.
    await host.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `https://${host.domain}` });
    const done = frame.locator('article.env', { hasText: 'Supply contract No. 1041' });
    const [download] = await Promise.all([page.waitForEvent('download'), done.locator('[data-action="download"]:not([data-ext])').click()]);
    expect(download.suggestedFilename()).toBe('Supply contract No. 1041.pdf');
    const [evidence] = await Promise.all([page.waitForEvent('download'), done.locator('[data-action="download"][data-ext="zip"]').click()]);
    expect(evidence.suggestedFilename()).toBe('Supply contract No. 1041-evidence.zip');
    // A ZIP (local file header "PK\x03\x04") holding the sealed PDF.
    const zip = await readFile((await evidence.path())!);
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(zip.includes(Buffer.from('sealed.pdf'))).toBe(true);
    await done.locator('[data-action="copy-verify"]').click();
    await frame.locator('.toast', { hasText: 'Link copied' }).waitFor();
    await page.bringToFront();
    await poll(() => page.evaluate(() => navigator.clipboard.readText())).toMatch(/^https:\/\/b24sign\.test\/v\/B24S-/);
  });
});
