/**
 * The app page's registry and roles sections in Chromium (issue 17 items 3 and 5): the administrator
 * filters the registry, voids a document in bulk and gives an employee the viewer role (English);
 * that employee then opens the page in Russian and sees the registry as a viewer, without bulk
 * actions and without the roles section.
 */
import { mkdirSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { envelopes, recipients, roleChanges } from '../../src/db/schema/index.js';
import { APP_ORIGIN, startFrameHost, type FrameHost } from './helpers/frame-host.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });
const SHOTS = 'test-artifacts/registry';
mkdirSync(SHOTS, { recursive: true });

let host: FrameHost;

beforeAll(async () => {
  host = await startFrameHost();
  const timers = { reminderFirstDays: 3, reminderEveryDays: 3, reminderMax: 0, expiryDays: 30 };
  const seed = async (id: string, title: string, status: 'sent' | 'completed', minutesAgo: number) => {
    await host.services.db.insert(envelopes).values({ id, portalId: host.portalId, title, status, publicId: `PUB-${id}`, createdByUserId: 12, crmEntityTypeId: 2, crmEntityId: 5, timers, createdAt: new Date(Date.now() - minutesAgo * 60_000) });
    await host.services.db.insert(recipients).values({ id: `r_${id}`, portalId: host.portalId, envelopeId: id, role: 'signer', party: 'client', signOrder: 1, name: 'Client', email: 'c@example.com', status: status === 'sent' ? 'invited' : 'signed' } as never);
  };
  await seed('env_e2e_a', 'Supply contract', 'sent', 3);
  await seed('env_e2e_b', 'NDA', 'completed', 2);
  await seed('env_e2e_c', 'Invoice 17', 'sent', 1);
}, 180_000);

afterAll(async () => {
  await host?.close();
});

describe('registry and roles in the app page', () => {
  it('English, administrator: filters, bulk void, and a role given to an employee', async () => {
    const { page, frame } = await host.open({ placement: 'DEFAULT', options: {}, lang: 'en', handler: `${APP_ORIGIN}/b24/app` });
    await poll(() => frame.locator('#registry-rows tr').count()).toBe(3);
    expect(await frame.locator('#registry-role').getAttribute('data-role')).toBe('admin');
    expect(await frame.locator('#registry h2, h2').allTextContents()).toContain('Documents');
    // CRM item links go to the portal's deal card.
    expect(await frame.locator('#registry-rows tr[data-id="env_e2e_a"] a').first().getAttribute('href')).toBe(`https://${host.domain}/crm/deal/details/5/`);
    // Filter: completed only.
    await frame.locator('select[name="status"]').selectOption('completed');
    await frame.locator('#registry-filters button[type="submit"]').click();
    await poll(() => frame.locator('#registry-rows tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))).toEqual(['env_e2e_b']);
    await frame.locator('select[name="status"]').selectOption('');
    await frame.locator('#registry-filters button[type="submit"]').click();
    await poll(() => frame.locator('#registry-rows tr').count()).toBe(3);
    // Bulk void needs a reason, then voids the selected document.
    await frame.locator('#registry-rows tr[data-id="env_e2e_c"] input[type="checkbox"]').check();
    await frame.locator('#registry-void').click();
    await poll(() => frame.locator('#registry-status').textContent()).toBe('Give a reason to void.');
    await frame.locator('#registry-reason').fill('Sent by mistake');
    await frame.locator('#registry-void').click();
    await poll(() => frame.locator('#registry-rows tr[data-id="env_e2e_c"]').getAttribute('data-status')).toBe('voided');
    expect(await frame.locator('#registry-status').textContent()).toBe('1 done, 0 refused.');
    const [row] = await host.services.db.select().from(envelopes).where(eq(envelopes.id, 'env_e2e_c'));
    expect(row!.status).toBe('voided');
    // Roles: employees without a role of their own lose access (the highest role wins, so the default
    // sender would otherwise outrank a viewer role), and employee 6 becomes a viewer; both audited.
    await poll(() => frame.locator('#roles-everyone-select').count()).toBe(1);
    await frame.locator('#roles-everyone-select').selectOption('none');
    await poll(() => frame.locator('#roles-changes li').count()).toBe(1);
    await frame.locator('#roles-add-user').fill('6');
    await frame.locator('#roles-add-role').selectOption('viewer');
    await frame.locator('#roles-add button[type="submit"]').click();
    await poll(() => frame.locator('#roles-rows tr[data-subject="user:6"]').count()).toBe(1);
    await poll(() => frame.locator('#roles-changes li').count()).toBe(2);
    expect(await frame.locator('#roles-changes li').first().textContent()).toMatch(/user #1 set Employee: .* from not set to viewer/);
    expect(await frame.locator('#roles-changes li').nth(1).textContent()).toMatch(/user #1 set Every employee from not set to no access/);
    expect((await host.services.db.select().from(roleChanges).where(eq(roleChanges.portalId, host.portalId))).map((r) => [r.subjectType, r.subjectId, r.before, r.after])).toEqual([['everyone', 0, null, 'none'], ['user', 6, null, 'viewer']]);
    await page.screenshot({ path: `${SHOTS}/admin-en.png`, fullPage: true });
    await page.close();
  });

  it('Russian, viewer: the registry without bulk actions and without roles', async () => {
    const { page, frame } = await host.open({ placement: 'DEFAULT', options: {}, lang: 'ru', userId: '6', handler: `${APP_ORIGIN}/b24/app` });
    await poll(() => frame.locator('#registry-rows tr').count()).toBe(3);
    expect(await frame.locator('#registry-role').textContent()).toBe('Ваша роль: наблюдатель');
    expect(await frame.locator('h2').allTextContents()).toContain('Документы');
    expect(await frame.locator('#registry-rows tr[data-id="env_e2e_c"] td').nth(2).textContent()).toBe('Отозван');
    expect(await frame.locator('#registry-void').isVisible()).toBe(false);
    expect(await frame.locator('#roles').count()).toBe(0);
    // Rows are not the viewer's to manage: their boxes are disabled.
    expect(await frame.locator('#registry-rows input[type="checkbox"]:not([disabled])').count()).toBe(0);
    expect(await frame.locator('#registry-export').textContent()).toBe('Экспорт в CSV');
    await page.screenshot({ path: `${SHOTS}/viewer-ru.png`, fullPage: true });
    await page.close();
  });
});
