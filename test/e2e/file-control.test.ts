/**
 * The translated file control (issue 18 item 9), in Debian's Chromium with an English browser: the
 * native <input type=file> would say "Choose File / No file chosen" on a Russian or Italian page. The
 * page shows its own button and the chosen file's name in the page's language; the input stays
 * focusable for the keyboard and is not visible.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvelopeField } from '../../src/db/schema/envelopes.js';
import { createEnvelope, sendEnvelope } from '../../src/signing/envelopes.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { FIELDS, lastMessage, samplePdf, tokenFromBody, TINY_PNG_B64 } from '../helpers/signing.js';
import { CHROMIUM_ARGS } from './helpers/frame-host.js';
import { startSandboxServer, type SandboxServer } from './helpers/sandbox-server.js';

let db: TestDb;
let srv: SandboxServer;
let browser: Browser;
let context: BrowserContext;
const dir = mkdtempSync(join(tmpdir(), 'file-control-'));

beforeAll(async () => {
  db = await createTestDb();
  srv = await startSandboxServer(db);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await db?.close();
});

/** What the reader sees of the control: its button, the name shown, and whether the native input shows. */
async function control(page: Page, id: string) {
  const wrap = page.locator(`[data-file-control]:has(#${id})`);
  const box = await page.locator(`#${id}`).boundingBox();
  return {
    button: (await wrap.locator('.file-button').textContent())?.trim(),
    name: (await wrap.locator('.file-name').textContent())?.trim(),
    inputVisible: Boolean(box && box.width > 2 && box.height > 2),
  };
}

describe('translated file control', () => {
  it('/v in Russian: a Russian button, the chosen name, the native control hidden but focusable', async () => {
    const page = await context.newPage();
    await page.goto(`${srv.origin}/v?lang=ru`);
    expect(await control(page, 'v-file')).toEqual({ button: 'Выбрать файл', name: 'Файл не выбран', inputVisible: false });
    const pdf = join(dir, 'договор.pdf');
    writeFileSync(pdf, await samplePdf());
    await page.setInputFiles('#v-file', pdf);
    expect((await control(page, 'v-file')).name).toBe('договор.pdf');
    // The keyboard still reaches the input, and its focus shows on the button.
    await page.focus('#v-file');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('v-file');
    const outline = await page.locator('[data-file-control] .file-button').evaluate((b) => getComputedStyle(b).outlineStyle);
    expect(outline).toBe('solid');
    // Choosing through the button opens the picker (the label belongs to the input).
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('[data-file-control] .file-button')]);
    expect(chooser.element()).toBeTruthy();
    await page.close();
  }, 60_000);

  it('the signing page in Italian: signature upload and company stamp, name shown and cleared on removal', async () => {
    const h = srv.services.sandbox!;
    await expect.poll(() => h.portalId, { timeout: 30_000 }).toBeTruthy();
    const env = await createEnvelope(srv.services, {
      portalId: h.portalId!,
      title: 'Contratto 5',
      lang: 'it',
      pdf: await samplePdf(),
      fields: [...FIELDS.filter((f) => f.party === 'client'), { key: 'client_stamp', type: 'stamp', label: 'Timbro', page: 1, box: { x: 320, y: 100, w: 80, h: 80 }, party: 'client', required: false }] as unknown as EnvelopeField[],
      recipients: [{ party: 'client', name: 'Ugo Riva', email: 'ugo@buyer.example' }],
      who: { actor: 'user:1' },
    });
    await sendEnvelope(srv.services, { portalId: h.portalId!, envelopeId: env.id, who: { actor: 'user:1' } });
    const [r] = await srv.services.db.query.recipients.findMany({ where: (x, { eq }) => eq(x.envelopeId, env.id) });
    const id = tokenFromBody((await lastMessage(srv.services, r!.id, 'invitation'))!.body)!;
    const page = await context.newPage();
    await page.goto(`${srv.origin}/s/${id}`);
    await page.click('#tab-uploaded');
    expect(await control(page, 'sig-file')).toEqual({ button: 'Scegli un file', name: 'Nessun file scelto', inputVisible: false });
    const png = join(dir, 'firma.png');
    writeFileSync(png, Buffer.from(TINY_PNG_B64, 'base64'));
    await page.setInputFiles('#sig-file', png);
    await expect.poll(async () => (await control(page, 'sig-file')).name).toBe('firma.png');
    // The signer has a stamp field: the stamp's control is translated too, and forgets the file when it is removed.
    expect((await control(page, 'stamp-file')).button).toBe('Scegli un file');
    await page.setInputFiles('#stamp-file', png);
    await expect.poll(async () => (await control(page, 'stamp-file')).name).toBe('firma.png');
    await page.click('#stamp-remove');
    expect((await control(page, 'stamp-file')).name).toBe('Nessun file scelto');
    await page.close();
  }, 90_000);
});
