/**
 * The sandbox without a browser: when it is on and off, the install at start through the real
 * /b24/install, the robot fired by a stage move through the real handler, and a restart over the
 * same database and DATA_DIR (same portal row, fresh tokens, the portal's timeline back).
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { portals } from '../../src/db/schema/portals.js';
import { parseCsp } from '../../src/http/security-headers.js';
import { SANDBOX, sandboxConfig } from '../../src/sandbox/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { createTestServices, testConfig } from '../helpers/services.js';
import { freePort, startSandboxServer } from './helpers/sandbox-server.js';

describe('sandbox switch', () => {
  it('is on only without credentials, with SANDBOX≠0 and outside production', () => {
    expect(testConfig().sandboxEnabled).toBe(true);
    expect(testConfig({ SANDBOX: '0' }).sandboxEnabled).toBe(false);
    expect(testConfig({ BITRIX24_CLIENT_ID: 'local.x', BITRIX24_CLIENT_SECRET: 's' }).sandboxEnabled).toBe(false);
    // Production takes no credentials-free path at all: complete settings, and still no sandbox.
    const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://sign.example.com', SEAL_P12_PATH: '/etc/seal.p12' };
    expect(testConfig({ ...production, BITRIX24_CLIENT_ID: 'local.x', BITRIX24_CLIENT_SECRET: 's', SANDBOX: '1' }).sandboxEnabled).toBe(false);
  });

  it('runs the app with the sandbox credentials and a live timeline, leaving explicit settings alone', () => {
    const c = sandboxConfig(testConfig({ PUBLIC_URL: 'http://localhost:3000', BITRIX24_ALLOW_INSECURE_ENDPOINTS: '0' }));
    expect([c.BITRIX24_CLIENT_ID, c.BITRIX24_CLIENT_SECRET, c.BITRIX24_ALLOW_INSECURE_ENDPOINTS]).toEqual([SANDBOX.clientId, SANDBOX.clientSecret, true]);
    expect(c.BITRIX24_OAUTH_HOSTS).toContain('localhost');
    expect([c.TIMELINE_DEBOUNCE_MS, c.TIMELINE_MAX_WAIT_MS]).toEqual([300, 3000]);
    expect(sandboxConfig(testConfig({ TIMELINE_DEBOUNCE_MS: '5000' })).TIMELINE_DEBOUNCE_MS).toBe(5000);
  });

  it('mounts no /sandbox route when the entry started no sandbox', async () => {
    const services = await createTestServices({ env: { BITRIX24_CLIENT_ID: 'local.x', BITRIX24_CLIENT_SECRET: 's' } });
    try {
      const app = createApp(services);
      for (const path of ['/sandbox', '/sandbox/mail', '/sandbox/deal/15']) {
        expect((await app.request(path)).status, path).toBe(404);
      }
    } finally {
      await services.testDb.close();
    }
  });
});

describe('sandbox start, robot and restart', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('installs through /b24/install, fires the robot on a stage move, and survives a restart', async () => {
    const port = await freePort();
    const first = await startSandboxServer(db, { port, listen: false });
    const h = first.services.sandbox!;
    const emu = h.emulator.control;
    // The install went through the real door: ONAPPINSTALL delivered, everything registered.
    expect(emu.deliveries(h.memberId).filter((d) => d.kind === 'install').map((d) => [new URL(d.url).pathname, d.status])).toEqual([['/b24/install', 200]]);
    const reg = emu.registrations(h.memberId);
    expect(reg.placements.map((p) => p.placement)).toContain('CRM_DEAL_DETAIL_TAB');
    expect(reg.robots.map((r) => r.code)).toEqual(['b24sign_send_for_signing']);
    expect(reg.robotAttachments.map((a) => a.stageId)).toEqual([SANDBOX.robotStageId]);
    const [row] = await db.db.select().from(portals).where(eq(portals.memberId, SANDBOX.memberId));
    expect(row!.status).toBe('installed');
    // Stored exactly as the portal's OAuth server names it (the emulator's path form), not rebuilt from an origin.
    expect(row!.clientEndpoint).toBe(`${first.origin}${SANDBOX.portalPath}/${h.domain}/rest/`);

    // The pages render; a placement frame posted from the deal page is accepted by the real door.
    expect((await first.app.request(`${first.origin}/sandbox`)).status).toBe(200);
    for (const [lang, words] of [['ru', 'Экскурсия'], ['it', 'Visita guidata'], ['en', 'Guided tour']] as const) {
      const html = await (await first.app.request(`${first.origin}/sandbox?lang=${lang}`)).text();
      expect(html).toContain(`<html lang="${lang}"`);
      expect(html).toContain(words);
    }
    // Another address of the same server is sent to PUBLIC_URL: the frames only allow that origin.
    const other = await first.app.request(`http://localhost:${port}/sandbox/mail`);
    expect(other.status).toBe(302);
    expect(other.headers.get('location')).toBe(`${first.origin}/sandbox/mail`);
    const deal = await (await first.app.request(`${first.origin}/sandbox/deal/17?tab=CRM_DEAL_DETAIL_TAB`)).text();
    const action = /<form id="b24form"[^>]*action="([^"]+)"/.exec(deal)![1]!.replace(/&amp;/g, '&');
    const fields = [...deal.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(([, k, v]) => [k!, v!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')]);
    const framed = await first.app.request(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
    expect(framed.status).toBe(200);
    expect(parseCsp(framed.headers.get('content-security-policy')).get('frame-ancestors')).toEqual([first.origin]);

    // Moving deal 17 to the robot's stage runs the robot through the app's handler; the app sends a contract.
    const moved = await first.app.request(`${first.origin}/sandbox/deal/17/stage`, { method: 'POST', body: new URLSearchParams({ stage: SANDBOX.robotStageId }) });
    expect(moved.status).toBe(303);
    expect(moved.headers.get('location')).toContain('robot=accepted');
    expect(emu.deliveries(h.memberId).filter((d) => d.kind === 'robot').map((d) => new URL(d.url).pathname)).toEqual(['/b24/robots/send-for-signing']);
    await expect
      .poll(async () => (await db.db.select({ status: envelopes.status }).from(envelopes).where(and(eq(envelopes.portalId, h.portalId!), eq(envelopes.crmEntityId, 17))))[0]?.status, { timeout: 30_000, interval: 200 })
      .toBe('sent');
    await expect.poll(() => emu.timeline(h.memberId, { entityTypeId: 2, entityId: 17, kind: 'activity' }).length, { timeout: 20_000, interval: 200 }).toBe(1);
    // The deal card shows the robot's run waiting for the app's answer, with the app's log line.
    const card = await (await first.app.request(`${first.origin}/sandbox/deal/17`)).text();
    expect(card).toContain('data-workflow="running"');
    const activityId = emu.timeline(h.memberId, { entityTypeId: 2, entityId: 17, kind: 'activity' })[0]!.id;
    await first.stop();

    // Restart: a new emulator, the same portal (member_id, row), fresh tokens, the history back.
    const second = await startSandboxServer(db, { port, dataDir: first.dataDir, listen: false });
    const h2 = second.services.sandbox!;
    expect(h2.portalId).toBe(h.portalId);
    const rows = await db.db.select().from(portals).where(eq(portals.memberId, SANDBOX.memberId));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.accessToken).not.toBe(row!.accessToken);
    const emu2 = h2.emulator.control;
    expect(emu2.portal(h2.memberId).deals.get('17')!.STAGE_ID).toBe(SANDBOX.robotStageId);
    expect(emu2.timeline(h2.memberId, { entityTypeId: 2, entityId: 17, kind: 'activity' }).map((e) => e.id)).toEqual([activityId]);
    // The app reaches the recreated portal with the new tokens.
    const profile = await second.services.bitrix24.forPortal(h2.portalId!).call<{ ID: string }>('profile');
    expect(profile.ID).toBe('1');
    const after = await second.app.request(`${second.origin}/sandbox/deal/17`);
    expect(after.status).toBe(200);
    // The robot run is still waiting after the restart: the app can still answer it.
    expect(await after.text()).toContain('data-workflow="running"');
    const [robotEnv] = await db.db.select({ token: envelopes.robotEventToken }).from(envelopes).where(and(eq(envelopes.portalId, h2.portalId!), eq(envelopes.crmEntityId, 17)));
    await second.services.bitrix24.forPortal(h2.portalId!).call('bizproc.event.send', { EVENT_TOKEN: robotEnv!.token, RETURN_VALUES: { status: 'test' } });
    expect(emu2.workflow(h2.memberId, robotEnv!.token!)!.status).toBe('completed');
    await second.stop();
  }, 120_000);
});
