/**
 * Issue 18 items 4, 5 and 7 in the CRM card, in Chromium through the Bitrix24-like frame host:
 * "same as last time" after a send (offer follows the document just sent, gone where it was sent),
 * starters that create nothing until sent, titles that follow the template and the language; the
 * field editor (free spots, default party, overlaps refused, labels whole); the list following
 * changes made elsewhere without a reload (and not while hidden), errors in words, never HTTP codes.
 */
import { mkdirSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Frame, Page } from 'playwright-core';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { templates } from '../../src/db/schema/templates.js';
import { issueSession } from '../../src/http/session.js';
import { startFrameHost, type FrameHost } from './helpers/frame-host.js';

const SHOTS = 'test-artifacts/card';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
const poll = <T>(fn: () => T | Promise<T>, timeout = 30_000) => expect.poll(fn, { timeout, interval: 100 });
mkdirSync(SHOTS, { recursive: true });

let host: FrameHost;
beforeAll(async () => {
  host = await startFrameHost();
}, 120_000);
afterAll(async () => {
  await host?.close();
});

async function shot(page: Page, name: string) {
  await page.waitForTimeout(150);
  const height = await page.evaluate(() => Math.ceil(document.documentElement.scrollHeight));
  await page.setViewportSize({ width: 1100, height: Math.min(Math.max(height, 400), 6000) });
  await page.waitForTimeout(100);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function api(method: string, path: string, body?: unknown, lang: 'en' | 'ru' = 'en') {
  const token = await issueSession(host.services.config.sessionSecret, { portalId: host.portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang });
  return host.app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

const portalTemplates = () => host.services.db.select().from(templates).where(eq(templates.portalId, host.portalId));

async function samplePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const p = doc.addPage([595.28, 841.89]);
  p.drawText('Service agreement', { x: 50, y: 780, size: 18, font });
  return Buffer.from(await doc.save());
}

/** Makes the frame's document report hidden or visible, as a background browser tab does. */
async function setHidden(frame: Frame, hidden: boolean) {
  await frame.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

describe('starters, titles and "same as last time" (item 4)', () => {
  it('choosing starters and cancelling creates no template; the title follows the template and the language', async () => {
    const before = (await portalTemplates()).length;
    for (const [lang, names] of [
      ['en', ['Sales contract', 'Non-disclosure agreement']],
      ['ru', ['Договор купли-продажи', 'Соглашение о неразглашении']],
    ] as const) {
      const { frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '4' }, lang });
      await frame.locator('.bar button[data-action="new"]').click();
      const titleFor = await frame.locator('#compose label', { hasText: lang === 'ru' ? 'Название документа' : 'Document title' }).getAttribute('for');
      const title = frame.locator(`#${titleFor}`);
      await frame.locator('label.tpl', { hasText: names[0] }).click();
      await frame.locator('[data-field="subject"]').waitFor();
      await poll(() => title.inputValue()).toBe(names[0]);
      // Another template: the title follows it, in the sender's language.
      await frame.locator('label.tpl', { hasText: names[1] }).click();
      await poll(() => title.inputValue()).toBe(names[1]);
      // A title typed by hand stays when the template changes again.
      await title.fill(`Custom ${lang}`);
      await frame.locator('label.tpl', { hasText: names[0] }).click();
      await frame.locator('.rrow').first().waitFor();
      expect(await title.inputValue()).toBe(`Custom ${lang}`);
      await frame.locator('#compose .bar .btn').click();
      await frame.locator('#list').waitFor();
    }
    // Nothing was sent: the starters are still starters.
    expect((await portalTemplates()).length).toBe(before);
  });

  it('after a send the offer names the document just sent, and is not made on the item where it was sent', async () => {
    // An earlier send elsewhere: a portal template and its recipients.
    const { template } = (await (await api('POST', '/api/templates', { name: 'Old supply contract', language: 'en', source: { type: 'builtin', layout: 'nda' } })).json()) as { template: { id: string } };
    expect((await api('PUT', '/api/card/last-used', {
      kind: 'nda', templateId: template.id, templateName: 'Old supply contract', entityTypeId: 2,
      slots: [{ role: 'signer', party: 'company', order: 1, source: 'responsible' }, { role: 'signer', party: 'client', order: 2, source: 'contact' }],
      recipientNames: ['Previous Person', 'Earlier Client'],
    })).status).toBe(204);

    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '6' }, lang: 'en' });
    const same = frame.locator('#same');
    await same.waitFor();
    const offer = (await same.textContent()) ?? '';
    expect(offer).toContain('Old supply contract');
    expect(offer).toContain('Previous Person');
    expect(offer.toLowerCase()).not.toContain('anyway');

    // A new document from a starter, sent: the starter becomes a portal template only now.
    const before = (await portalTemplates()).length;
    await frame.locator('.bar button[data-action="new"]').click();
    await frame.locator('label.tpl', { hasText: 'Sales contract' }).click();
    const send = frame.locator('button[data-action="send"]');
    await poll(() => send.isEnabled()).toBe(true);
    const names = await frame.locator('.rrow input[data-k="name"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    if (await frame.locator('[data-action="confirm-warnings"]').count()) await frame.locator('[data-action="confirm-warnings"]').check();
    await send.click();
    await frame.locator('article.env').first().waitFor({ timeout: 45_000 });
    const after = await portalTemplates();
    expect(after.length).toBe(before + 1);
    const adopted = after.find((t) => t.source.type === 'builtin' && t.source.layout === 'sales-contract' && t.language === 'en')!;
    const [env] = await host.services.db.select().from(envelopes).where(and(eq(envelopes.portalId, host.portalId), eq(envelopes.crmEntityId, 6)));
    expect(env!.templateId).toBe(adopted.id);
    // On this deal the same document was just sent: no offer to send it again (no reload).
    await poll(() => frame.locator('#same').count()).toBe(0);
    await shot(page, 'en-17-sent-no-offer');

    // On another deal the offer is the document just sent, with its recipients.
    const other = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '8' }, lang: 'en' });
    const next = (await other.frame.locator('#same').textContent()) ?? '';
    expect(next).toContain('Sales contract');
    expect(next).not.toContain('Previous Person');
    for (const n of names) expect(next).toContain(n);
    expect(await other.frame.locator('#same button').textContent()).toBe('Use the same template');
    await shot(other.page, 'en-18-same-after-send');
  });
});

describe('titles in the sender’s language (item 4)', () => {
  it('a portal copy of a starter made in English is titled in Russian for a Russian sender', async () => {
    const en = (await portalTemplates()).find((t) => t.source.type === 'builtin' && t.source.layout === 'sales-contract' && t.language === 'en');
    expect(en?.name).toBe('Sales contract');
    const { frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '4' }, lang: 'ru' });
    await frame.locator('.bar button[data-action="new"]').click();
    await frame.locator(`label.tpl[data-template="${en!.id}"]`).click();
    const titleFor = await frame.locator('#compose label', { hasText: 'Название документа' }).getAttribute('for');
    await poll(() => frame.locator(`#${titleFor}`).inputValue()).toBe('Договор купли-продажи');
  });
});

describe('field editor (item 5)', () => {
  it('places new fields apart, for the next party without a signature, refuses overlaps and keeps labels whole', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '2' }, lang: 'ru' });
    await frame.locator('.bar button[data-action="own"]').click();
    await frame.locator('input[type=file]').setInputFiles({ name: 'agreement.pdf', mimeType: 'application/pdf', buffer: await samplePdf() });
    await frame.locator('[data-editor-pages] .page canvas').first().waitFor();
    // Recipients first (the responsible signs first for the company, the contact second).
    await poll(() => frame.locator('.rrow').count()).toBe(2);
    // Three times the same palette button from the keyboard: each lands on the page centre unless taken.
    for (const type of ['signature', 'signature', 'initials']) {
      await frame.locator(`.palette [data-ftype="${type}"]`).focus();
      await page.keyboard.press('Enter');
    }
    await poll(() => frame.locator('.fbox').count()).toBe(3);
    const boxes = await frame.locator('.fbox').evaluateAll((els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height, cls: e.className };
    }));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const overlap = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x) > 1 && Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y) > 1;
        expect(overlap, `boxes ${i} and ${j}`).toBe(false);
      }
    }
    // The first signature is the company's (it signs first), the second the client's; the initials,
    // placed once both have signatures, go with the field selected (the client's signature).
    expect(boxes.map((b) => /party-(\w+)/.exec(b.cls)![1])).toEqual(['company', 'client', 'client']);

    // Labels are whole: no box clips its label, and each label is as wide as its text on one line.
    const labels = await frame.locator('.fbox .flabel').evaluateAll((els) => els.map((e) => {
      const range = document.createRange();
      range.selectNodeContents(e);
      const text = range.getBoundingClientRect();
      const box = e.getBoundingClientRect();
      return { text: e.textContent, whole: box.width + 0.5 >= text.width && text.height < 20, clip: getComputedStyle(e.parentElement!).overflow };
    }));
    expect(labels.map((l) => l.text)).toEqual(['Подпись · Наша компания', 'Подпись · Клиент', 'Инициалы · Клиент']);
    for (const l of labels) {
      expect(l.whole, String(l.text)).toBe(true);
      expect(l.clip).toBe('visible');
    }

    // Drag the initials onto the company's signature: the form names both and Send stays off.
    const sig = frame.locator('.fbox').nth(0);
    const ini = frame.locator('.fbox').nth(2);
    const s = (await sig.boundingBox())!;
    const i = (await ini.boundingBox())!;
    await page.mouse.move(i.x + 10, i.y + 10);
    await page.mouse.down();
    await page.mouse.move(s.x + 14, s.y + 14, { steps: 8 });
    await page.mouse.up();
    await frame.locator('#problems', { hasText: 'перекрываются' }).waitFor();
    const problem = (await frame.locator('#problems').textContent()) ?? '';
    expect(problem).toContain('Подпись (Наша компания)');
    expect(problem).toContain('Инициалы (Клиент)');
    expect(await frame.locator('button[data-action="send"]').isDisabled()).toBe(true);
    // The two boxes are marked on the page too.
    expect(await frame.locator('.fbox.overlap').evaluateAll((els) => els.map((e) => e.getAttribute('data-field-key')))).toEqual([
      await sig.getAttribute('data-field-key'), await ini.getAttribute('data-field-key'),
    ]);
    await shot(page, 'ru-19-editor-overlap');
    // Moved away again, the problem goes.
    await ini.focus();
    for (let k = 0; k < 12; k++) await page.keyboard.press('Shift+ArrowDown');
    await poll(async () => (await frame.locator('#problems').count()) ? ((await frame.locator('#problems').textContent()) ?? '') : '').not.toContain('перекрываются');
    expect(await frame.locator('.fbox.overlap').count()).toBe(0);
  });
});

describe('the list follows changes made elsewhere (item 7)', () => {
  it('shows a document sent from outside the tab without a reload, and asks nothing while the tab is hidden', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '10' }, lang: 'en' });
    await frame.locator('#list').waitFor();
    expect(await frame.locator('article.env').count()).toBe(0);
    const listCalls: number[] = [];
    const versionCalls: number[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path === '/api/card/items/2/10/list') listCalls.push(Date.now());
      if (path === '/api/card/items/2/10/version') versionCalls.push(Date.now());
    });
    // What a robot does after a stage move: an envelope for this deal, made server-side.
    const created = await api('POST', '/api/envelopes', {
      title: 'Sent by the robot', lang: 'en', crm: { entityTypeId: 2, entityId: 10 }, pdfBase64: (await samplePdf()).toString('base64'), send: true,
      fields: [{ key: 'client_sig', type: 'signature', page: 0, box: { x: 60, y: 100, w: 160, h: 44 }, party: 'client', required: true }],
      recipients: [{ role: 'signer', party: 'client', order: 1, name: 'Robot Recipient', email: 'robot.recipient@example.com' }],
    });
    expect(created.status).toBe(201);
    await frame.locator('article.env', { hasText: 'Sent by the robot' }).waitFor({ timeout: 40_000 });
    expect(await frame.locator('article.env .badge').first().textContent()).toBe('Sent');
    // While nothing changes only the fingerprint is asked for, not the list.
    const listsBefore = listCalls.length;
    const versionsBefore = versionCalls.length;
    await poll(() => versionCalls.length, 15_000).toBeGreaterThan(versionsBefore);
    expect(listCalls.length).toBe(listsBefore);

    // Hidden right after a check (the next one would come 2 s later): nothing for 5 s.
    await setHidden(frame, false);
    await poll(() => versionCalls.length).toBeGreaterThan(versionsBefore + 1);
    await setHidden(frame, true);
    const atHide = versionCalls.length;
    await page.waitForTimeout(5_000);
    expect(versionCalls.length - atHide).toBeLessThanOrEqual(1); // at most the check already on its way
    const whileHidden = versionCalls.length;
    await page.waitForTimeout(3_000);
    expect(versionCalls.length).toBe(whileHidden);
    // Visible again: it asks at once.
    await setHidden(frame, false);
    await poll(() => versionCalls.length, 5_000).toBeGreaterThan(whileHidden);
  });

  it('says what went wrong in words, never with an HTTP status', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '10' }, lang: 'ru' });
    const row = frame.locator('article.env', { hasText: 'Sent by the robot' });
    await row.waitFor();
    // A gateway in front of the service answers with its own page, no JSON.
    await page.route('**/api/envelopes/*/void', (r) => r.fulfill({ status: 502, contentType: 'text/html', body: '<h1>502 Bad Gateway</h1>' }));
    await row.locator('[data-action="void"]').click();
    await frame.locator('dialog[open] input').fill('test');
    await frame.locator('dialog[open] button[value="ok"]').click();
    const toast = frame.locator('.toast');
    await toast.waitFor();
    const text = (await toast.textContent()) ?? '';
    expect(text).toBe('Сервису не удалось это выполнить. Повторите через минуту.');
    expect(text).not.toMatch(/\b[45]\d\d\b|HTTP/);
    await page.unroute('**/api/envelopes/*/void');
  });
});
