/**
 * The app page's settings section in Chromium (issue 17 item 4): the administrator (English) sees
 * the platform seal, is told a wrong passphrase in words, uploads the company's certificate (subject,
 * issuer, expiry and the 30-day warning shown), saves defaults, and sees the change log; then the
 * page in Russian shows the stored certificate, its warning and the saved values in Russian.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { portals, settingsChanges } from '../../src/db/schema/index.js';
import { APP_ORIGIN, startFrameHost, type FrameHost } from './helpers/frame-host.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });
const SHOTS = 'test-artifacts/settings';
mkdirSync(SHOTS, { recursive: true });

let host: FrameHost;
let work: string;
let p12: Buffer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'b24-settings-e2e-'));
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '20', '-subj', '/CN=Beta Seal/O=Beta Logistics', '-addext', 'keyUsage=critical,digitalSignature']);
  ossl(['pkcs12', '-export', '-inkey', 'k.pem', '-in', 'c.pem', '-out', 'beta.p12', '-passout', 'pass:beta-pass']);
  p12 = readFileSync(join(work, 'beta.p12'));
  host = await startFrameHost();
}, 180_000);

afterAll(async () => {
  await host?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('settings in the app page', () => {
  it('English, administrator: certificate errors in words, upload, defaults, change log', async () => {
    const { page, frame } = await host.open({ placement: 'DEFAULT', options: {}, lang: 'en', handler: `${APP_ORIGIN}/b24/app` });
    await poll(() => frame.locator('#settings h2').textContent()).toBe('Settings');
    expect(await frame.locator('#settings-cert-none').textContent()).toContain('platform seal');
    await frame.setInputFiles('#settings-cert-file', { name: 'beta.p12', mimeType: 'application/x-pkcs12', buffer: p12 });
    await frame.locator('#settings-cert-pass').fill('wrong');
    await frame.locator('#settings-cert-form button[type="submit"]').click();
    await poll(() => frame.locator('#settings-cert-status').textContent()).toBe('The passphrase does not open this certificate file.');
    await frame.locator('#settings-cert-pass').fill('beta-pass');
    await frame.locator('#settings-cert-form button[type="submit"]').click();
    await poll(() => frame.locator('#settings-cert-status').textContent()).toBe('Certificate saved.');
    const live = await frame.locator('#settings-cert-live').textContent();
    expect(live).toContain('CN=Beta Seal');
    expect(live).toContain('Beta Logistics via b24-sign');
    expect(await frame.locator('#settings-cert-live-warning').textContent()).toMatch(/expires in 1\d days/);
    expect(await frame.locator('#settings-cert-pass').inputValue()).toBe('');

    await frame.locator('#settings-expiryDays').fill('7');
    await frame.locator('#settings-senderName').fill('Beta Logistics');
    await frame.locator('input[name="settings-lang"][value="it"]').uncheck();
    await frame.locator('#settings-save').click();
    await poll(() => frame.locator('#settings-status').textContent()).toBe('Saved.');
    const [p] = await host.services.db.select().from(portals).where(eq(portals.id, host.portalId));
    expect(p!.settings).toMatchObject({ expiryDays: 7, branding: { name: 'Beta Logistics' }, languages: ['en', 'ru'] });
    await poll(() => frame.locator('#settings-changes li').count()).toBe(4);
    const lines = await frame.locator('#settings-changes li').allTextContents();
    expect(lines.join('\n')).toMatch(/changed Documents expire after \(days\): not set → 7/);
    expect(lines.join('\n')).toMatch(/changed seal certificate: not set → .*Beta Seal/);
    expect(lines.join('\n')).not.toContain('beta-pass');
    expect((await host.services.db.select().from(settingsChanges).where(eq(settingsChanges.portalId, host.portalId))).length).toBe(4);
    await page.screenshot({ path: `${SHOTS}/admin-en.png`, fullPage: true });
    await page.close();
  });

  it('Russian: the stored certificate with its warning, the saved values, texts in Russian', async () => {
    const { page, frame } = await host.open({ placement: 'DEFAULT', options: {}, lang: 'ru', handler: `${APP_ORIGIN}/b24/app` });
    await poll(() => frame.locator('#settings h2').textContent()).toBe('Настройки');
    expect(await frame.locator('#settings-cert-subject').textContent()).toContain('CN=Beta Seal');
    expect(await frame.locator('#settings-cert-warning').textContent()).toMatch(/^Срок действия сертификата истекает через 1\d дн\./);
    expect(await frame.locator('#settings-expiryDays').inputValue()).toBe('7');
    expect(await frame.locator('input[name="settings-lang"][value="it"]').isChecked()).toBe(false);
    expect(await frame.locator('#settings-save').textContent()).toBe('Сохранить');
    // The TSA test reports a dead authority in Russian, the reason translated too (no English detail).
    await frame.locator('#settings-tsa-url').fill('http://127.0.0.1:9/tsa');
    await frame.locator('#settings-tsa-test').click();
    await poll(() => frame.locator('#settings-tsa-status').textContent()).toBe('Проверка службы меток времени не прошла: служба недоступна.');
    await page.screenshot({ path: `${SHOTS}/admin-ru.png`, fullPage: true });
    await page.close();
  });
});
