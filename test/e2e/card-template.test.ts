/**
 * New document from a template on one screen, then "same as last time" on another deal in two
 * clicks; in Chromium through the Bitrix24-like frame host. Screenshots in test-artifacts/card/.
 */
import { envelopePdf } from '../helpers/blobs.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Page } from 'playwright-core';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { issueSession } from '../../src/http/session.js';
import { startFrameHost, type FrameHost } from './helpers/frame-host.js';

const SHOTS = 'test-artifacts/card';

// Chromium shares the CI machine's two CPUs with the rest of the suite: wait generously, fail on wrong results.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });
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

async function envelopesOf(dealId: number) {
  return host.services.db.select().from(envelopes).where(and(eq(envelopes.portalId, host.portalId), eq(envelopes.crmEntityTypeId, 2), eq(envelopes.crmEntityId, dealId)));
}

describe.each([
  ['en', 4, 'Sales contract'],
  ['ru', 6, 'Договор купли-продажи'],
] as const)('new document from a template (%s)', (lang, deal, starterName) => {
  it('fills fields from the deal, proposes recipients, previews and sends', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(deal) }, lang });
    await frame.locator('.bar button[data-action="new"]').click();
    const starter = frame.locator('label.tpl', { hasText: starterName });
    await starter.waitFor();
    await starter.click();
    // Fields arrive filled from the CRM item (the subject is the deal's title), and stay editable.
    const subject = frame.locator('[data-field="subject"]');
    await subject.waitFor();
    expect(await subject.inputValue()).toMatch(/ООО/);
    await subject.fill(`${await subject.inputValue()} (pilot)`);
    await poll(() => frame.locator('.rrow').count()).toBe(2);
    const parties = await frame.locator('.rrow select').nth(1).evaluate((s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent);
    expect(parties).toBeTruthy();
    await frame.locator('button[data-action="preview"]').click();
    await frame.locator('[data-preview] canvas').first().waitFor({ timeout: 45_000 });
    await shot(page, `${lang}-11-template-compose`);

    const send = frame.locator('button[data-action="send"]');
    await poll(() => send.isEnabled()).toBe(true);
    // The deal closes before today's contract date: the form names the date, and nothing is sent
    // until the sender confirms it.
    const warnings = frame.locator('#data-warnings');
    await warnings.waitFor();
    expect(await warnings.textContent()).toContain(lang === 'ru' ? 'Дата передачи' : 'Delivery date');
    await send.click();
    expect(await frame.locator('[data-action="confirm-warnings"]').evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await envelopesOf(deal)).toHaveLength(0);
    await frame.locator('[data-action="confirm-warnings"]').check();
    await send.click();
    await frame.locator('article.env').first().waitFor({ timeout: 45_000 });
    await shot(page, `${lang}-12-template-sent`);

    const [env] = await envelopesOf(deal);
    expect(env!.status).toBe('sent');
    expect(env!.templateId).toMatch(/^tpl_/);
    // The sender's edit is in the document recipients get, not only the CRM's value.
    const text = execFileSync('pdftotext', ['-', '-'], { input: Buffer.from((await envelopePdf(host.services, env!, 'source'))!) }).toString('utf8').replace(/\s+/g, ' ');
    expect(text).toContain('(pilot)');
    const rs = await host.services.db.select().from(recipients).where(eq(recipients.envelopeId, env!.id));
    expect(rs).toHaveLength(2);
    expect(rs.find((r) => r.party === 'company')!.signOrder).toBe(1);
  });
});

describe('same as last time', () => {
  it('offers the last template on another deal and sends it in two clicks, recipients from that deal', async () => {
    // What an earlier send on some other deal left behind: a portal template and its recipient set-up.
    const token = await issueSession(host.services.config.sessionSecret, { portalId: host.portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' });
    const api = (method: string, path: string, body: unknown) =>
      host.app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const { template } = (await (await api('POST', '/api/templates', { name: 'Supply contract (last time)', language: 'en', source: { type: 'builtin', layout: 'sales-contract' } })).json()) as { template: { id: string } };
    const remembered = await api('PUT', '/api/card/last-used', {
      kind: 'contract', templateId: template.id, templateName: 'Supply contract (last time)', entityTypeId: 2,
      slots: [{ role: 'signer', party: 'company', order: 1, source: 'responsible' }, { role: 'signer', party: 'client', order: 2, source: 'contact' }],
      recipientNames: ['Ольга Новиков', 'Дмитрий Соколова'],
    });
    expect(remembered.status).toBe(204);

    const deal = 8; // responsible: user 15 (user15@example.com); contact 22 (contact22@example.com)
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(deal) }, lang: 'en' });
    const suggestion = frame.locator('#same');
    await suggestion.waitFor();
    expect(await suggestion.textContent()).toContain('Use the same template');
    expect(await suggestion.textContent()).toContain('Supply contract (last time)');
    await shot(page, 'en-13-same-as-last-time');

    await frame.locator('button[data-action="same"]').click(); // click 1
    const send = frame.locator('button[data-action="send"]');
    await poll(() => send.isEnabled()).toBe(true);
    await shot(page, 'en-14-same-review');
    // Deal 8 closed before today: its delivery date is a warning the sender confirms.
    await frame.locator('[data-action="confirm-warnings"]').check();
    await send.click(); // click 2
    await frame.locator('article.env').first().waitFor({ timeout: 45_000 });

    const [env] = await envelopesOf(deal);
    expect(env!.status).toBe('sent');
    expect(env!.templateId).toBe(template.id);
    const rs = await host.services.db.select().from(recipients).where(eq(recipients.envelopeId, env!.id));
    expect(rs.map((r) => [r.party, r.signOrder, r.email]).sort()).toEqual([
      ['client', 2, 'contact22@example.com'],
      ['company', 1, 'user15@example.com'],
    ]);
  });
});

describe('toolbar button', () => {
  it('opens straight on a new document; Cancel shows the item’s list', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TOOLBAR', options: { ID: '4' }, lang: 'ru' });
    await frame.locator('#compose label.tpl').first().waitFor();
    expect(await frame.locator('#list').isHidden()).toBe(true);
    expect(await frame.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await shot(page, 'ru-16-toolbar-new');
    await frame.locator('#compose .bar .btn').click();
    await frame.locator('#list article.env').first().waitFor();
    expect(await frame.locator('#compose').count()).toBe(0);
  });
});
