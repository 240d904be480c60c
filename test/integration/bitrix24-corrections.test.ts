/**
 * Where the app and its emulator used to agree with each other but not with Bitrix24 (reference §14,
 * issue 13 item 1): app.info's `result.install`, client_endpoint kept with its path, scopes that nest,
 * user.search's FILTER.FIND, triggers only where Bitrix24 has them, batches refused as too long, and
 * NO_AUTH_FOUND as a token error. Each test here failed on the code before the fix.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createBitrix24 } from '../../src/bitrix24/client.js';
import { SIGN_PLACEMENTS } from '../../src/bitrix24/manifest.js';
import { grantsScope } from '../../src/bitrix24/scopes.js';
import { portals } from '../../src/db/schema/index.js';
import { verifyTokenWithOAuthServer } from '../../src/http/b24-auth.js';
import { AppError } from '../../src/http/errors.js';
import { issueSession } from '../../src/http/session.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { storeEmulatedPortal } from '../helpers/emulated-portal.js';
import { errorOf } from '../helpers/fake-bitrix24.js';
import { createTestServices } from '../helpers/services.js';
import { appTokenDigest } from '../../src/lib/app-token.js';

const PUBLIC = 'http://b24sign.test';
const CLIENT = { clientId: 'local.b24sign.test', clientSecret: 'secret-of-the-test-app' };
const INSTALL_URL = `${PUBLIC}/b24/install`;

let services: Awaited<ReturnType<typeof createTestServices>>;
let app: ReturnType<typeof createApp>;
let emu: StartedEmulator;

beforeAll(async () => {
  services = await createTestServices({
    env: {
      PUBLIC_URL: PUBLIC,
      BITRIX24_CLIENT_ID: CLIENT.clientId,
      BITRIX24_CLIENT_SECRET: CLIENT.clientSecret,
      BITRIX24_OAUTH_SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/',
      BITRIX24_RATE_PER_SECOND: '1000',
      BITRIX24_RATE_BURST: '1000',
    },
  });
  app = createApp(services);
  emu = await startEmulator({ rateLimit: false, appFetch: async (req) => app.request(req) });
}, 60_000);
afterAll(async () => {
  emu?.close();
  await services?.testDb.close();
});

const rowOf = async (memberId: string) => (await services.db.select().from(portals).where(eq(portals.memberId, memberId)))[0];
const post = (url: string, body: Record<string, unknown>) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

/** A client of our own whose requests are recorded. */
function recordingClient() {
  const urls: string[] = [];
  const client = createBitrix24({
    db: services.db,
    fetch: (input, init) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    },
    clock: services.clock,
    logger: services.logger,
    config: services.config,
    options: { retryBaseMs: 1 },
  });
  return { client, urls };
}

describe('app.info on the OAuth server: the portal is under result.install', () => {
  // The reply as b24pysdk parses it (tests/unit/examples.py INSTALL_DATA, tests/unit/api/responses/bitrix_app_info/).
  const PYSDK_REPLY = {
    result: {
      client_id: 'local.abc123def456',
      scope: 'crm,user,task',
      expires: '2024-12-31T23:59:59+00:00',
      install: {
        installed: true, version: '2', status: 'P', scope: 'crm,user,task', domain: 'example.bitrix24.com', uri: 'https://example.bitrix24.com',
        client_endpoint: 'https://example.bitrix24.com/rest/', member_id: '123456', member_type: 'user',
      },
      user_id: '12345',
    },
  };
  const against = (reply: unknown) => ({
    fetch: (async () => Response.json(reply)) as unknown as typeof fetch,
    config: { ...services.config, BITRIX24_CLIENT_ID: 'local.abc123def456' },
  });

  it('the app reads member_id, domain, client_endpoint and scope from result.install', async () => {
    const info = await verifyTokenWithOAuthServer(against(PYSDK_REPLY), { accessToken: 'tok', serverEndpoint: new URL('https://oauth.bitrix.info/rest/'), expectedMemberId: '123456' });
    expect(info).toEqual({
      memberId: '123456', domain: 'example.bitrix24.com', clientEndpoint: 'https://example.bitrix24.com/rest/', clientId: 'local.abc123def456',
      scope: ['crm', 'user', 'task'], userId: 12345, installed: true,
    });
  });

  it('identity at the top level (not where Bitrix24 puts it) proves nothing', async () => {
    const { install, ...top } = PYSDK_REPLY.result;
    const flat = { result: { ...top, member_id: install.member_id, domain: install.domain, status: 'P' } };
    const e = await verifyTokenWithOAuthServer(against(flat), { accessToken: 'tok', serverEndpoint: new URL('https://oauth.bitrix.info/rest/'), expectedMemberId: '123456' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('UNAUTHORIZED');
  });

  it('ONAPPINSTALL: the installing user is the token’s owner as app.info names it, not what the event claims', async () => {
    const portal = await emu.control.createPortal();
    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, handlerBase: PUBLIC, flavour: 'none' });
    const admin = emu.control.issueTokens({ memberId: portal.memberId });
    const body = new URLSearchParams({
      event: 'ONAPPINSTALL', 'data[VERSION]': '1', 'data[ACTIVE]': 'Y', 'data[INSTALLED]': 'Y', 'data[LANGUAGE_ID]': 'en', ts: '1700000000',
      'auth[access_token]': admin.access_token, 'auth[refresh_token]': admin.refresh_token, 'auth[expires_in]': '3600', 'auth[scope]': admin.scope,
      'auth[domain]': portal.domain, 'auth[server_endpoint]': admin.server_endpoint, 'auth[client_endpoint]': portal.clientEndpoint,
      'auth[member_id]': portal.memberId, 'auth[user_id]': '6', 'auth[application_token]': 'app-token-of-this-install', 'auth[status]': 'L',
    });
    const res = await app.request('/b24/install', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await rowOf(portal.memberId))?.installedByUserId).toBe(1);
    expect(emu.control.registrations(portal.memberId).robots.map((r) => r.authUserId)).toEqual(['1']);
  });

  it('the emulator answers that shape and nothing about the portal at the top level', async () => {
    const portal = await emu.control.createPortal({ pathPrefix: '/b24', app: { ...CLIENT } });
    const { status, body } = await post('https://oauth.bitrix24.test/rest/app.info', { auth: portal.app!.accessToken });
    expect(status).toBe(200);
    expect(Object.keys(body.result).sort()).toEqual(['client_id', 'expires', 'install', 'scope', 'user_id']);
    expect(body.result).toMatchObject({ client_id: CLIENT.clientId, user_id: 1 });
    expect(new Date(body.result.expires).getTime()).toBeGreaterThan(Date.now());
    expect(body.result.install).toEqual({
      installed: true, version: 1, status: 'L', scope: body.result.scope, domain: portal.domain, uri: `https://${portal.domain}/b24`,
      client_endpoint: `https://${portal.domain}/b24/rest/`, member_id: portal.memberId, member_type: 'user',
    });
  });
});

describe('client_endpoint is kept as Bitrix24 gives it', () => {
  const registered = (memberId: string) => emu.control.registrations(memberId).placements.length;

  it('a portal behind a path prefix installs (ONAPPINSTALL and wizard), registers and opens placements through its own path', async () => {
    const viaEvent = await emu.control.createPortal({ pathPrefix: '/b24' });
    expect(viaEvent.clientEndpoint).toBe(`https://${viaEvent.domain}/b24/rest/`);
    const ev = await emu.control.installApp({ memberId: viaEvent.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    expect(ev.delivery?.status, ev.delivery?.body).toBe(200);
    expect(await rowOf(viaEvent.memberId)).toMatchObject({ status: 'installed', clientEndpoint: viaEvent.clientEndpoint, domain: viaEvent.domain, lastError: null });
    expect(registered(viaEvent.memberId)).toBe(SIGN_PLACEMENTS.length);
    const tab = await emu.control.openPlacement({ memberId: viaEvent.memberId, placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '2' } });
    expect(tab.status, tab.body.slice(0, 300)).toBe(200);

    const viaWizard = await emu.control.createPortal({ pathPrefix: '/portal/b24' });
    const wz = await emu.control.installApp({ memberId: viaWizard.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'wizard' });
    expect(wz.delivery?.status, wz.delivery?.body.slice(0, 300)).toBe(200);
    expect((await rowOf(viaWizard.memberId))?.clientEndpoint).toBe(`https://${viaWizard.domain}/portal/b24/rest/`);
    expect(registered(viaWizard.memberId)).toBe(SIGN_PLACEMENTS.length);

    // ONAPPUPDATE with a new application_token is confirmed through app.info's result.install.
    const [update] = await emu.control.updateApp({ memberId: viaEvent.memberId, version: '2', newApplicationToken: true });
    expect(update?.status, update?.body).toBe(200);
    expect((await rowOf(viaEvent.memberId))?.applicationTokenDigest).toBe(await appTokenDigest(emu.control.portal(viaEvent.memberId).apps.get(CLIENT.clientId)!.applicationToken));
  });

  it('a stored endpoint that changes is used by the next call, without a restart', async () => {
    const portal = await emu.control.createPortal({ app: { ...CLIENT } });
    const id = await storeEmulatedPortal(services.db, portal, { id: 'prt_moving_endpoint' });
    const { client, urls } = recordingClient();
    await client.forPortal(id).call('profile');
    expect(urls).toEqual([`${portal.clientEndpoint}profile`]);

    // The portal moved and the new endpoint was stored (a reinstall, or another instance that followed the 302).
    const moved = emu.control.renamePortal({ memberId: portal.memberId, name: `${portal.name}-moved` });
    await services.db.update(portals).set({ clientEndpoint: moved.clientEndpoint, domain: moved.domain }).where(eq(portals.id, id));
    urls.length = 0;
    await client.forPortal(id).call('profile');
    expect(urls).toEqual([`${moved.clientEndpoint}profile`]);
  });
});

describe('scopes nest: user_brief ⊂ user_basic ⊂ user', () => {
  it('a wider grant satisfies a need; the app needs user_basic', async () => {
    expect(grantsScope(['user_basic'], 'user_brief')).toBe(true);
    expect(grantsScope(['user'], 'user_brief')).toBe(true);
    expect(grantsScope(['user'], 'user_basic')).toBe(true);
    expect(grantsScope(['user_brief'], 'user_basic')).toBe(false);

    const full = await emu.control.createPortal();
    const ok = await emu.control.installApp({ memberId: full.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event', scope: 'crm,bizproc,placement,user' });
    expect(ok.delivery?.status, ok.delivery?.body).toBe(200);

    const brief = await emu.control.createPortal();
    const refused = await emu.control.installApp({ memberId: brief.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event', scope: 'crm,bizproc,placement,user_brief' });
    expect(refused.delivery?.status).toBe(409);
    expect(refused.delivery?.body).toContain('user_basic');
  });

  it('the emulator shows EMAIL only under user_basic or user', async () => {
    const fieldsUnder = async (scope: string) => {
      const p = await emu.control.createPortal({ app: { ...CLIENT, scope } });
      const { body } = await post(`${p.clientEndpoint}user.get`, { auth: p.app!.accessToken, FILTER: { ID: 12 } });
      return body.result[0] as Record<string, unknown>;
    };
    const brief = await fieldsUnder('crm,user_brief');
    expect(brief).toMatchObject({ ID: '12', NAME: 'Сергей' });
    expect(brief).not.toHaveProperty('EMAIL');
    expect(await fieldsUnder('crm,user_basic')).toMatchObject({ EMAIL: 'user12@example.com' });
    expect(Object.keys(await fieldsUnder('crm,user'))).toContain('LAST_LOGIN');
  });
});

describe('user.search: the text goes in FILTER.FIND, alone', () => {
  it('the card’s employee search finds active employees by FIND', async () => {
    const portal = await emu.control.createPortal({ languageId: 'en' });
    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    emu.control.portal(portal.memberId).users.find((u) => u.ID === '21')!.ACTIVE = false;
    const portalId = (await rowOf(portal.memberId))!.id;
    const auth = `Bearer ${await issueSession(services.config.sessionSecret, { portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' })}`;
    const res = await app.request(`/api/card/users?q=${encodeURIComponent('менеджер')}`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
    const { users } = (await res.json()) as { users: { id: number; email: string | null }[] };
    expect(users.map((u) => u.id)).toEqual([9, 15]);
    expect(users[0]!.email).toBe('user9@example.com');
    const searches = emu.control.calls({ memberId: portal.memberId, method: 'user.search' });
    expect(searches.map((c) => c.params)).toEqual([{ FILTER: { FIND: 'менеджер' } }]);
  });

  it('the emulator refuses FIND beside another filter field', async () => {
    const p = await emu.control.createPortal({ app: { ...CLIENT } });
    const alone = await post(`${p.clientEndpoint}user.search`, { auth: p.app!.accessToken, FILTER: { FIND: 'Морозова' } });
    expect(alone.body.result.map((u: { ID: string }) => u.ID)).toEqual(['12']);
    const mixed = await post(`${p.clientEndpoint}user.search`, { auth: p.app!.accessToken, FILTER: { FIND: 'Морозова', ACTIVE: true } });
    expect(mixed.status).toBe(400);
  });
});

describe('triggers exist for leads, deals, quotes, invoices and smart processes only', () => {
  it('the emulator refuses a contact or company owner, an unregistered code and a non-admin, as the docs say', async () => {
    const portal = await emu.control.createPortal();
    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: INSTALL_URL, handlerBase: PUBLIC, flavour: 'event' });
    const admin = emu.control.issueTokens({ memberId: portal.memberId }).access_token;
    const exec = (auth: string, params: Record<string, unknown>) => post(`${portal.clientEndpoint}crm.automation.trigger.execute`, { auth, CODE: 'b24sign_signed', ...params });
    expect((await exec(admin, { OWNER_TYPE_ID: 2, OWNER_ID: 2 })).body).toMatchObject({ result: true });
    for (const ownerTypeId of [3, 4]) {
      expect(await exec(admin, { OWNER_TYPE_ID: ownerTypeId, OWNER_ID: 1 })).toEqual({ status: 400, body: { error: '', error_description: 'Incorrect parameter OWNER_TYPE_ID.' } });
    }
    expect((await exec(admin, { CODE: 'not_ours', OWNER_TYPE_ID: 2, OWNER_ID: 2 })).body.error_description).toBe('Trigger with code not_ours is not registered.');
    const employee = emu.control.issueTokens({ memberId: portal.memberId, userId: '6' }).access_token;
    expect((await exec(employee, { OWNER_TYPE_ID: 2, OWNER_ID: 2 })).body).toEqual({ error: 'ACCESS_DENIED', error_description: 'Access denied! Admin permissions required' });
    expect(emu.control.triggerExecutions(portal.memberId)).toHaveLength(1);
  });
});

describe('a batch refused as too long is split, never repeated as it was', () => {
  it('the emulator refuses the whole batch; the client halves it until each part fits', async () => {
    const portal = await emu.control.createPortal({ app: { ...CLIENT } });
    const id = await storeEmulatedPortal(services.db, portal, { id: 'prt_long_batch' });
    const saved = emu.state.opts.batchMaxLength;
    emu.state.opts.batchMaxLength = 2500;
    try {
      const note = (i: number) => ['crm.timeline.logmessage.add', { fields: { entityTypeId: 2, entityId: 2, title: `n${i}`, text: `${i}:${'x'.repeat(700)}`, iconCode: 'info' } }] as [string, Record<string, unknown>];
      const raw = await post(`${portal.clientEndpoint}batch`, {
        auth: portal.app!.accessToken,
        cmd: { a: `crm.timeline.logmessage.add?fields[entityTypeId]=2&fields[entityId]=2&fields[title]=t&fields[iconCode]=info&fields[text]=${'y'.repeat(2600)}` },
      });
      expect(raw).toMatchObject({ status: 400, body: { error: 'ERROR_BATCH_LENGTH_EXCEEDED' } });
      expect(emu.control.timeline(portal.memberId, { kind: 'logmessage' })).toHaveLength(0);

      const { client } = recordingClient();
      const res = await client.forPortal(id).batch(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`n${i}`, note(i)])));
      expect(Object.keys(res.errors)).toEqual([]);
      expect(Object.keys(res.result).sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
      const texts = emu.control.timeline(portal.memberId, { kind: 'logmessage' }).map((e) => String(e.fields.text).split(':')[0]);
      expect(texts).toEqual(['0', '1', '2', '3', '4', '5']);
      const batches = emu.control.calls({ memberId: portal.memberId, method: 'batch' }).filter((c) => !c.batchKey);
      expect(batches.filter((c) => c.error === 'ERROR_BATCH_LENGTH_EXCEEDED').length).toBeGreaterThanOrEqual(2);

      // One command that is too long on its own is the caller's to send alone: the client says so.
      const e = await errorOf(client.forPortal(id).batch({ big: ['crm.timeline.logmessage.add', { fields: { entityTypeId: 2, entityId: 2, title: 'b', text: 'z'.repeat(3000), iconCode: 'info' } }] }));
      expect(e.code).toBe('ERROR_BATCH_LENGTH_EXCEEDED');
    } finally {
      emu.state.opts.batchMaxLength = saved;
    }
  });
});

describe('NO_AUTH_FOUND is a token error', () => {
  it('the client refreshes once and repeats the call', async () => {
    const portal = await emu.control.createPortal({ app: { ...CLIENT } });
    const id = await storeEmulatedPortal(services.db, portal, { id: 'prt_no_auth_found' });
    emu.control.fault({ memberId: portal.memberId, method: 'profile', status: 401, error: 'NO_AUTH_FOUND', errorDescription: 'Wrong authorization data', count: 1 });
    const before = emu.control.stats().refreshRequests;
    const { client } = recordingClient();
    await expect(client.forPortal(id).call('profile')).resolves.toMatchObject({ ID: '1' });
    expect(emu.control.stats().refreshRequests - before).toBe(1);
    expect((await services.db.select().from(portals).where(eq(portals.id, id)))[0]).toMatchObject({ status: 'installed', tokenVersion: 1 });
  });
});
