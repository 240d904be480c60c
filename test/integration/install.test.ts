import { eq } from 'drizzle-orm';
import { parseCsp } from '../../src/http/security-headers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { registrationManifest, SIGN_PLACEMENTS } from '../../src/bitrix24/manifest.js';
import { portals } from '../../src/db/schema/index.js';
import { verifySession } from '../../src/http/session.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { createTestServices } from '../helpers/services.js';
import { appTokenDigest } from '../../src/lib/app-token.js';

const PUBLIC = 'http://b24sign.test';
const CLIENT = { clientId: 'local.b24sign.test', clientSecret: 'secret-of-the-test-app' };
const INSTALL_URL = `${PUBLIC}/b24/install`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('install, update and uninstall against the emulated portal', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let app: ReturnType<typeof createApp>;
  let emu: StartedEmulator;
  /** Hosts whose requests fail as if the network were down (unreachable portal). */
  const down = new Set<string>();

  beforeAll(async () => {
    services = await createTestServices({
      env: {
        PUBLIC_URL: PUBLIC,
        BITRIX24_CLIENT_ID: CLIENT.clientId,
        BITRIX24_CLIENT_SECRET: CLIENT.clientSecret,
        BITRIX24_OAUTH_SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/',
      },
      fetch: (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (down.has(url.hostname)) return Promise.reject(new TypeError('fetch failed: connect ECONNREFUSED'));
        return globalThis.fetch(input, init);
      },
    });
    app = createApp(services);
    emu = await startEmulator({ appFetch: async (req) => app.request(req) });
  });
  afterAll(async () => {
    emu?.close();
    await services?.testDb.close();
  });

  const portalRow = async (memberId: string) => (await services.db.select().from(portals).where(eq(portals.memberId, memberId)))[0];

  /** The emulator's view, reduced to what "one set" means. */
  function registrations(memberId: string) {
    const r = emu.control.registrations(memberId);
    return {
      placements: r.placements.map((p) => `${p.placement} ${p.handler}`).sort(),
      events: r.events.map((e) => `${e.event} ${e.handler}`).sort(),
      robots: r.robots.map((x) => `${x.code} ${x.handler} ${x.useSubscription}`).sort(),
    };
  }
  const EXPECTED = {
    placements: SIGN_PLACEMENTS.map((p) => `${p.code} ${PUBLIC}/b24/placements/${p.code}`).sort(),
    events: [`ONAPPUNINSTALL ${PUBLIC}/b24/events`, `ONAPPUPDATE ${PUBLIC}/b24/events`],
    robots: [`b24sign_send_for_signing ${PUBLIC}/b24/robots/send-for-signing Y`],
  };
  const batchesOf = (memberId: string) => emu.control.calls({ memberId, method: 'batch' }).length;

  it('ONAPPINSTALL registers exactly the manifest in two batch calls; installing twice leaves one set', async () => {
    const portal = await emu.control.createPortal();
    const first = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    expect(first.delivery?.status, first.delivery?.body).toBe(200);
    expect(registrations(portal.memberId)).toEqual(EXPECTED);
    expect(batchesOf(portal.memberId)).toBe(2);
    // Only batch calls registered anything: no single placement.bind outside a batch.
    expect(emu.control.calls({ memberId: portal.memberId, method: 'placement.bind', includeBatchParts: false })).toHaveLength(0);

    const row = await portalRow(portal.memberId);
    expect(row).toMatchObject({ status: 'installed', domain: portal.domain, clientEndpoint: portal.clientEndpoint, applicationTokenDigest: await appTokenDigest(first.applicationToken), installedByUserId: 1 });

    const second = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event', variant: 'doc', activeFlag: '1' });
    expect(second.delivery?.status, second.delivery?.body).toBe(200);
    expect(registrations(portal.memberId)).toEqual(EXPECTED);
    // The reinstall's new application_token replaced the old one; still one portal row.
    expect((await portalRow(portal.memberId))?.applicationTokenDigest).toBe(await appTokenDigest(second.applicationToken));
    expect(await services.db.select().from(portals).where(eq(portals.memberId, portal.memberId))).toHaveLength(1);
  });

  it('the wizard: verified frame POST → registrations → a framable page whose SDK script calls installFinish; reopening changes nothing', async () => {
    const portal = await emu.control.createPortal();
    const res = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'wizard' });
    const d = res.delivery!;
    expect(d.status, d.body).toBe(200);
    // The app's frame script (Bitrix24's SDK, bundled) calls installFinish on a page marked for it (test/e2e/frame-sdk.test.ts).
    expect(d.body).toContain('data-install-finish');
    expect(d.body).toMatch(/<script type="module" src="\/assets\/placements\/app[^"]*\.js">/);
    expect(parseCsp(d.headers.get('content-security-policy')).get('frame-ancestors')).toEqual([`https://${portal.domain}`]);
    expect(d.headers.get('x-frame-options')).toBeNull();
    expect(registrations(portal.memberId)).toEqual(EXPECTED);
    emu.control.finishInstall(portal.memberId);

    const again = await emu.control.openApp({ memberId: portal.memberId });
    expect(again.status, again.body).toBe(200);
    expect(registrations(portal.memberId)).toEqual(EXPECTED);
    // The wizard POST lacked APPLICATION_TOKEN (2024 format); profile named the admin from the stored portal.
    expect(emu.control.calls({ memberId: portal.memberId, method: 'profile' }).length).toBeGreaterThanOrEqual(2);
    expect((await portalRow(portal.memberId))?.installedByUserId).toBe(1);
  });

  it('a non-admin installer gets a page saying to ask an administrator, and nothing is stored or registered', async () => {
    const portal = await emu.control.createPortal();
    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'none' });
    const user = portal.users.find((u) => !u.isAdmin)!;
    const d = await emu.control.openApp({ memberId: portal.memberId, userId: user.id });
    expect(d.status).toBe(403);
    expect(d.body).toMatch(/administrator/i);
    expect(await portalRow(portal.memberId)).toBeUndefined();
    expect(registrations(portal.memberId).placements).toEqual([]);
  });

  it('missing scopes: the admin is told which to tick; nothing is registered', async () => {
    const portal = await emu.control.createPortal();
    const res = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'wizard', scope: 'crm,placement' });
    expect(res.delivery?.status).toBe(409);
    expect(res.delivery?.body).toContain('bizproc');
    expect(res.delivery?.body).toContain('user_basic');
    expect(registrations(portal.memberId).placements).toEqual([]);
  });

  it('an unreachable portal gives a clear page (as HTML inside the portal frame) and leaves nothing half-done', async () => {
    const portal = await emu.control.createPortal();
    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'none' });
    const tokens = emu.control.issueTokens({ memberId: portal.memberId });
    down.add(portal.domain);
    try {
      const body = new URLSearchParams({ AUTH_ID: tokens.access_token, AUTH_EXPIRES: '3600', REFRESH_ID: tokens.refresh_token, member_id: portal.memberId, status: 'L', PLACEMENT: 'DEFAULT', PLACEMENT_OPTIONS: '{}' });
      const res = await app.request(`/b24/install?DOMAIN=${portal.domain}&PROTOCOL=1&LANG=ru`, { method: 'POST', headers: { ...FORM, accept: 'text/html' }, body: body.toString() });
      expect(res.status).toBe(502);
      const html = await res.text();
      expect(html).toContain('BITRIX24_UNREACHABLE');
      expect(html).toContain('Битрикс24');
      expect(parseCsp(res.headers.get('content-security-policy')).get('frame-ancestors')).toEqual([`https://${portal.domain}`]);
      expect(await portalRow(portal.memberId)).toBeUndefined();
    } finally {
      down.delete(portal.domain);
    }
  });

  it('a registration Bitrix24 refuses (robot handler on another domain) is explained, kept as last error, and shown on the app page', async () => {
    const portal = await emu.control.createPortal();
    const res = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, appUrl: `${PUBLIC}/b24/app`, handlerBase: 'https://elsewhere.example.com', flavour: 'wizard' });
    expect(res.delivery?.status).toBe(502);
    expect(res.delivery?.body).toContain('PUBLIC_URL');
    expect(res.delivery?.body).toContain('ERROR_WRONG_HANDLER_URL');
    expect(res.delivery?.body).not.toContain('data-install-finish');
    const row = await portalRow(portal.memberId);
    expect(row?.lastError).toMatch(/ERROR_WRONG_HANDLER_URL/);
    // Everything else got registered; only the robot is missing, and the status page says so.
    expect(registrations(portal.memberId).placements).toEqual(EXPECTED.placements);
    expect(registrations(portal.memberId).robots).toEqual([]);
    emu.control.finishInstall(portal.memberId);
    const page = await emu.control.openApp({ memberId: portal.memberId, format: 'current' });
    expect(page.status, page.body).toBe(200);
    expect(page.body).toContain('data-kind="robot" data-registered="false"');
    expect(page.body).toContain('ERROR_WRONG_HANDLER_URL');
    // The 2024-format wizard POST brought no APPLICATION_TOKEN; the first verified admin frame that does, supplies it.
    expect(row?.applicationTokenDigest).toBeNull();
    expect((await portalRow(portal.memberId))?.applicationTokenDigest).toBe(await appTokenDigest(emu.control.portal(portal.memberId).apps.get(CLIENT.clientId)!.applicationToken));
  });

  it('a non-admin frame cannot supply the missing application_token', async () => {
    const portal = await emu.control.createPortal();
    const res = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, appUrl: `${PUBLIC}/b24/app`, handlerBase: PUBLIC, flavour: 'wizard' });
    expect(res.delivery?.status).toBe(200);
    emu.control.finishInstall(portal.memberId);
    const d = await emu.control.openPlacement({ memberId: portal.memberId, placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '1' }, format: 'current', userId: '6' });
    expect(d.status, d.body).toBe(200);
    expect((await portalRow(portal.memberId))?.applicationTokenDigest).toBeNull();
  });

  it('placements open with a verified session (current and 2024 formats); the session reaches the JSON API', async () => {
    const portal = await emu.control.createPortal();
    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    for (const format of ['current', '2024'] as const) {
      const d = await emu.control.openPlacement({ memberId: portal.memberId, placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '5' }, format, userId: '6' });
      expect(d.status, d.body).toBe(200);
      expect(parseCsp(d.headers.get('content-security-policy')).get('frame-ancestors')).toEqual([`https://${portal.domain}`]);
      expect(d.headers.get('x-frame-options')).toBeNull();
      expect(d.body).not.toContain(d.form.AUTH_ID); // Bitrix24 tokens never reach the page
      const token = /"token":"([^"]+)"/.exec(d.body)![1]!;
      const session = await verifySession(services.config.sessionSecret, token);
      expect(session).toMatchObject({ userId: 6, isAdmin: false, placement: 'CRM_DEAL_DETAIL_TAB' });
      const me = await app.request('/api/session', { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect((await me.json()).portal.domain).toBe(portal.domain);
    }
    const gen = await emu.control.openPlacement({ memberId: portal.memberId, placement: 'CRM_DEAL_DOCUMENTGENERATOR_BUTTON', options: { ENTITY_ID: '5' }, format: 'current' });
    expect(gen.status).toBe(200);
    expect(gen.body).toContain('CRM_DEAL_DOCUMENTGENERATOR_BUTTON');
  });

  it('the app page shows portal, registrations (read live), scopes and last error', async () => {
    const portal = await emu.control.createPortal();
    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, appUrl: `${PUBLIC}/b24/app`, handlerBase: PUBLIC, flavour: 'event' });
    const d = await emu.control.openApp({ memberId: portal.memberId, format: 'current' });
    expect(d.status, d.body).toBe(200);
    expect(d.body).toContain(portal.domain);
    expect(d.body.match(/data-registered="true"/g)).toHaveLength(SIGN_PLACEMENTS.length + 3 + (registrationManifest.triggers?.length ?? 0));
    expect(d.body).not.toContain('data-registered="false"');
    expect(d.body).toContain('crm, bizproc, placement, user_basic');
    // An admin's "register again" goes through the session API.
    const token = /"token":"([^"]+)"/.exec(d.body)![1]!;
    const again = await app.request('/api/portal/registrations', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
    expect(registrations(portal.memberId)).toEqual(EXPECTED);
    // A non-admin may look but not re-register.
    const u = await emu.control.openApp({ memberId: portal.memberId, format: 'current', userId: '6' });
    const userToken = /"token":"([^"]+)"/.exec(u.body)![1]!;
    expect((await app.request('/api/portal/registrations', { method: 'POST', headers: { authorization: `Bearer ${userToken}` } })).status).toBe(403);
    expect((await app.request('/api/portal/registrations', { headers: { authorization: `Bearer ${userToken}` } })).status).toBe(200);
  });

  it('an app configured without a wizard installs on the first admin visit to /b24/app', async () => {
    const portal = await emu.control.createPortal();
    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, appUrl: `${PUBLIC}/b24/app`, handlerBase: PUBLIC, flavour: 'none' });
    const d = await emu.control.openApp({ memberId: portal.memberId });
    expect(d.status, d.body).toBe(200);
    expect(registrations(portal.memberId)).toEqual(EXPECTED);
  });

  it('ONAPPUPDATE re-registers everything and replaces a changed application_token', async () => {
    const portal = await emu.control.createPortal();
    const inst = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    // Bindings dropped on update (reference §1.4): the update must restore them.
    const p = emu.control.portal(portal.memberId);
    p.placements = p.placements.filter((x) => x.placement !== 'CRM_LEAD_DETAIL_TAB');
    const [d] = await emu.control.updateApp({ memberId: portal.memberId, version: '2', newApplicationToken: true });
    expect(d?.status, d?.body).toBe(200);
    expect(registrations(portal.memberId)).toEqual(EXPECTED);
    const row = await portalRow(portal.memberId);
    expect(row?.applicationTokenDigest).not.toBe(await appTokenDigest(inst.applicationToken));
    expect(row?.applicationTokenDigest).toBe(await appTokenDigest(emu.control.portal(portal.memberId).apps.get(CLIENT.clientId)!.applicationToken));
    // The old token no longer authenticates anything.
    const old = new URLSearchParams({ event: 'ONAPPUNINSTALL', 'data[CLEAN]': '1', 'auth[member_id]': portal.memberId, 'auth[application_token]': inst.applicationToken, 'auth[domain]': portal.domain });
    expect((await app.request('/b24/events', { method: 'POST', headers: FORM, body: old.toString() })).status).toBe(401);
    expect((await portalRow(portal.memberId))?.status).toBe('installed');
  });

  it('uninstall with a wrong token changes nothing; the real one revokes tokens; install → uninstall (CLEAN=1) → install works', async () => {
    const portal = await emu.control.createPortal();
    const inst = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    const before = await portalRow(portal.memberId);
    await services.db.update(portals).set({ settings: { companySignerUserId: 6 } }).where(eq(portals.id, before!.id));
    const settled = await portalRow(portal.memberId);

    const forged = new URLSearchParams({ event: 'ONAPPUNINSTALL', 'data[CLEAN]': '1', 'data[LANGUAGE_ID]': 'en', 'auth[domain]': portal.domain, 'auth[member_id]': portal.memberId, 'auth[application_token]': inst.applicationToken.replace(/.$/, (c) => (c === '0' ? '1' : '0')) });
    const refused = await app.request('/b24/events', { method: 'POST', headers: FORM, body: forged.toString() });
    expect(refused.status).toBe(401);
    expect(await portalRow(portal.memberId)).toEqual(settled);

    const out = await emu.control.uninstall({ memberId: portal.memberId, clean: true });
    expect(out?.status, out?.body).toBe(200);
    const gone = await portalRow(portal.memberId);
    expect(gone).toMatchObject({ id: before!.id, status: 'uninstalled', accessToken: null, refreshToken: null, applicationTokenDigest: null, settings: {} });
    expect(gone?.uninstalledAt).toBeInstanceOf(Date);

    // The uninstalled portal's frames and events are refused.
    const late = new URLSearchParams({ event: 'ONCRMDEALUPDATE', 'auth[member_id]': portal.memberId, 'auth[application_token]': inst.applicationToken });
    expect((await app.request('/b24/events', { method: 'POST', headers: FORM, body: late.toString() })).status).toBe(401);

    const re = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    expect(re.delivery?.status, re.delivery?.body).toBe(200);
    const back = await portalRow(portal.memberId);
    expect(back).toMatchObject({ id: before!.id, status: 'installed', applicationTokenDigest: await appTokenDigest(re.applicationToken), uninstalledAt: null });
    expect(registrations(portal.memberId)).toEqual(EXPECTED);
    const d = await emu.control.openPlacement({ memberId: portal.memberId, placement: 'CRM_DEAL_DETAIL_TOOLBAR', options: { ID: '1' } });
    expect(d.status, d.body).toBe(200);
  });

  it('uninstall without CLEAN keeps settings but still revokes every token', async () => {
    const portal = await emu.control.createPortal();
    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    const row = await portalRow(portal.memberId);
    await services.db.update(portals).set({ settings: { companySignerUserId: 6 } }).where(eq(portals.id, row!.id));
    const out = await emu.control.uninstall({ memberId: portal.memberId, clean: false });
    expect(out?.status).toBe(200);
    expect(await portalRow(portal.memberId)).toMatchObject({ status: 'uninstalled', accessToken: null, refreshToken: null, applicationTokenDigest: null, settings: { companySignerUserId: 6 } });
  });

  it('a forged ONAPPINSTALL (token the OAuth server does not know) stores nothing and cannot take over a portal', async () => {
    const portal = await emu.control.createPortal();
    const inst = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    const before = await portalRow(portal.memberId);
    const forged = new URLSearchParams({
      event: 'ONAPPINSTALL', 'data[VERSION]': '1', 'data[ACTIVE]': 'Y', 'data[INSTALLED]': 'Y', 'data[LANGUAGE_ID]': 'en', ts: '1700000000',
      'auth[access_token]': 'forged-access', 'auth[refresh_token]': 'forged-refresh', 'auth[expires_in]': '3600', 'auth[scope]': 'crm,bizproc,placement,user_brief',
      'auth[domain]': 'evil.example.com', 'auth[server_endpoint]': 'https://oauth.bitrix24.test/rest/', 'auth[client_endpoint]': 'https://evil.example.com/rest/',
      'auth[member_id]': portal.memberId, 'auth[user_id]': '1', 'auth[application_token]': 'attacker-token', 'auth[status]': 'L',
    });
    const res = await app.request('/b24/install', { method: 'POST', headers: FORM, body: forged.toString() });
    expect(res.status).toBe(401);
    expect(await portalRow(portal.memberId)).toEqual(before);
    // Same with an attacker-chosen OAuth server: it is never even asked.
    forged.set('auth[server_endpoint]', 'https://evil.example.com/rest/');
    const seen = emu.state.oauthLog.length;
    expect((await app.request('/b24/install', { method: 'POST', headers: FORM, body: forged.toString() })).status).toBe(401);
    expect(emu.state.oauthLog.length).toBe(seen);
    expect((await portalRow(portal.memberId))?.applicationTokenDigest).toBe(await appTokenDigest(inst.applicationToken));
  });
});
