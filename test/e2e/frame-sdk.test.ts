/**
 * The frame speaks Bitrix24's own SDK (@bitrix24/b24jssdk, bundled into the pages), and the portal
 * side (src/sandbox/bx24.ts, shared by the sandbox and test/e2e/helpers/frame-host.ts) answers it in
 * the SDK's own protocol: the card fits its slider through resizeWindow, the company signer is chosen
 * in the portal's user picker (selectUser, answered with one of the portal's employees), a client
 * in its CRM picker (selectCRM), and the install wizard's page calls installFinish only during an install.
 */
import { mkdirSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { startFrameHost, type FrameHost } from './helpers/frame-host.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });
const SHOTS = 'test-artifacts/card';
mkdirSync(SHOTS, { recursive: true });

let host: FrameHost;
const DEAL = 2; // seeded: responsible user 12, contact 3

beforeAll(async () => {
  host = await startFrameHost();
}, 120_000);

afterAll(async () => {
  await host?.close();
});

async function onePagePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.addPage([595.28, 841.89]);
  return Buffer.from(await doc.save());
}

describe('the frame through Bitrix24’s SDK', () => {
  it('fits the slider with resizeWindow as the SDK sends it, from the init data the portal gave', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang: 'en' });
    await frame.locator('.bar button[data-action="new"]').waitFor();
    // The SDK learnt the portal from the frame's name and asked it for the init data first.
    const name = await frame.evaluate(() => window.name);
    expect(name).toMatch(new RegExp(`^${host.domain.replace(/\./g, '\\.')}\\|1\\|[0-9a-f]{32}$`));
    const calls = await host.bx24Calls(page);
    expect(calls[0]!.cmd).toBe('getInitData');
    const resizes = calls.filter((c) => c.cmd === 'resizeWindow');
    expect(resizes.length).toBeGreaterThan(0);
    expect(resizes.every((c) => c.params.width === '100%' && Number(c.params.height) > 0)).toBe(true);
    // The slider is as tall as the page inside: the last height asked for is the iframe's.
    await poll(async () => {
      const inner = await frame.evaluate(() => document.documentElement.scrollHeight);
      const outer = await page.evaluate(() => document.getElementById('b24frame')!.getBoundingClientRect().height);
      return Math.abs(inner - outer);
    }).toBeLessThanOrEqual(1);
    // Growing the page grows the slider, again through the SDK.
    const before = (await host.bx24Calls(page)).filter((c) => c.cmd === 'resizeWindow').length;
    await frame.evaluate(() => document.body.appendChild(Object.assign(document.createElement('div'), { style: 'height:900px' })));
    await poll(async () => (await host.bx24Calls(page)).filter((c) => c.cmd === 'resizeWindow').length).toBeGreaterThan(before);
    await poll(() => page.evaluate(() => document.getElementById('b24frame')!.getBoundingClientRect().height)).toBeGreaterThan(900);
  });

  it('takes the company signer from the portal’s user picker and a client from its CRM picker', async () => {
    const { page, frame } = await host.open({ placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: String(DEAL) }, lang: 'en' });
    await frame.locator('.bar button[data-action="own"]').click();
    await frame.locator('input[type=file]').setInputFiles({ name: 'nda.pdf', mimeType: 'application/pdf', buffer: await onePagePdf() });
    await frame.locator('[data-editor-pages] .page canvas').first().waitFor();
    await poll(() => frame.locator('.rrow').count()).toBe(2);
    // Our own list of 50 employees is gone: the row offers Bitrix24's picker instead.
    expect(await frame.locator('.rrow').first().locator('optgroup').count()).toBe(1);

    // Company signer: the portal opens its picker; the user chooses an employee there.
    await frame.locator('.rrow').first().locator('[data-action="pick-user"]').click();
    const picker = page.locator('dialog[data-b24-picker="selectUser"]');
    await picker.waitFor();
    const employee = host.emu.control.portal(host.memberId).users.find((u) => String(u.ID) === '9')!;
    await picker.locator('[data-pick="user:9"]').click();
    await poll(() => frame.locator('.rrow').first().locator('input[data-k="email"]').inputValue()).toBe(String(employee.EMAIL));
    expect(await frame.locator('.rrow').first().locator('input[data-k="name"]').inputValue()).toBe(`${String(employee.NAME)} ${String(employee.LAST_NAME)}`);
    expect((await host.bx24Calls(page)).filter((c) => c.cmd === 'selectUser').map((c) => c.params)).toEqual([{ mult: false }]);

    // Client: a contact the deal does not list, from the portal's CRM picker.
    await frame.locator('.rrow').nth(1).locator('[data-action="pick-crm"]').click();
    const crm = page.locator('dialog[data-b24-picker="selectCRM"]');
    await crm.waitFor();
    expect(await crm.locator('[data-pick^="D_"]').count()).toBe(0); // only the types asked for
    await crm.locator('[data-pick="C_5"]').click();
    await poll(() => frame.locator('.rrow').nth(1).locator('input[data-k="email"]').inputValue()).toBe('contact5@example.com');
    const select = (await host.bx24Calls(page)).find((c) => c.cmd === 'selectCRM')!;
    expect(select.params).toMatchObject({ entityType: ['contact', 'company'], multiple: false });
    await page.screenshot({ path: `${SHOTS}/en-16-native-pickers.png`, fullPage: true });

    // Both land on the envelope.
    await frame.locator('.palette [data-ftype="signature"]').click();
    await frame.locator('select[data-k="party"]').selectOption('company');
    await frame.locator('.palette [data-ftype="signature"]').click();
    await frame.locator('input[id^="title"]').fill('Picked in the portal');
    const send = frame.locator('button[data-action="send"]');
    await poll(() => send.isEnabled()).toBe(true);
    await send.click();
    await frame.locator('article.env', { hasText: 'Picked in the portal' }).waitFor({ timeout: 45_000 });
    const [env] = await host.services.db.select().from(envelopes).where(eq(envelopes.title, 'Picked in the portal'));
    const rs = await host.services.db.select().from(recipients).where(eq(recipients.envelopeId, env!.id));
    expect(rs.map((r) => [r.party, r.email]).sort()).toEqual([
      ['client', 'contact5@example.com'],
      ['company', String(employee.EMAIL)],
    ]);
  });

  it('calls installFinish from the install wizard’s page only while the portal says it is installing', async () => {
    const installing = await host.open({ placement: 'DEFAULT', options: {}, lang: 'en', install: true });
    await poll(() => installing.frame.evaluate(() => document.body.dataset.installFinish)).toBe('done');
    expect((await host.bx24Calls(installing.page)).filter((c) => c.cmd === 'setInstallFinish')).toHaveLength(1);

    const reopened = await host.open({ placement: 'DEFAULT', options: {}, lang: 'en', install: false });
    await poll(() => reopened.frame.evaluate(() => document.body.dataset.installFinish)).toBe('not-installing');
    expect((await host.bx24Calls(reopened.page)).map((c) => c.cmd)).not.toContain('setInstallFinish');
  });
});
