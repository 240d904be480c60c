import fc from 'fast-check';
import { parseCsp } from '../../src/http/security-headers.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { portals } from '../../src/db/schema/index.js';
import { checkEndpoint, constantTimeEqual, oauthServerEndpoint, requireAppToken } from '../../src/http/b24-auth.js';
import { AppError } from '../../src/http/errors.js';
import { claimedOrigin, portalOrigin } from '../../src/http/frame-headers.js';
import { upsertInstalledPortal } from '../../src/portals/store.js';
import { createTestServices, testConfig } from '../helpers/services.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('constantTimeEqual', () => {
  it('is plain equality on strings of any length', async () => {
    expect(await constantTimeEqual('abc', 'abc')).toBe(true);
    expect(await constantTimeEqual('abc', 'abd')).toBe(false);
    expect(await constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(await constantTimeEqual('', '')).toBe(true);
    await fc.assert(fc.asyncProperty(fc.string(), fc.string(), async (a, b) => {
      expect(await constantTimeEqual(a, b)).toBe(a === b);
    }), { numRuns: 200 });
  });
});

describe('endpoint rules', () => {
  const cfg = testConfig();
  const strict = testConfig({ BITRIX24_ALLOW_INSECURE_ENDPOINTS: '0' });
  it('accepts only known OAuth servers (or the emulator in test mode)', () => {
    expect(oauthServerEndpoint('https://oauth.bitrix.info/rest/', strict)?.href).toBe('https://oauth.bitrix.info/rest/');
    expect(oauthServerEndpoint('https://oauth.bitrix24.tech/rest/', strict)).toBeTruthy();
    expect(oauthServerEndpoint('https://evil.example.com/rest/', strict)).toBeUndefined();
    expect(oauthServerEndpoint('https://oauth.bitrix24.test/rest/', strict)).toBeUndefined();
    expect(oauthServerEndpoint('https://oauth.bitrix24.test/rest/', cfg)).toBeTruthy();
    expect(oauthServerEndpoint('http://oauth.bitrix.info/rest/', strict)).toBeUndefined();
    expect(oauthServerEndpoint('https://user:pw@oauth.bitrix.info/rest/', strict)).toBeUndefined();
  });
  it('refuses private addresses, credentials and queries as token destinations', () => {
    expect(checkEndpoint('https://10.0.0.5/rest/', strict)).toBeUndefined();
    expect(checkEndpoint('https://169.254.169.254/rest/', strict)).toBeUndefined();
    expect(checkEndpoint('https://p.bitrix24.com/rest/?x=1', strict)).toBeUndefined();
    expect(checkEndpoint('http://127.0.0.1:9/rest/', strict)).toBeUndefined();
    expect(checkEndpoint('http://127.0.0.1:9/rest', cfg)?.href).toBe('http://127.0.0.1:9/rest/');
  });
  it('frame origins: stored endpoint → origin; claimed DOMAIN only if it is a host name', () => {
    expect(portalOrigin('https://acme.bitrix24.com/rest/')).toBe('https://acme.bitrix24.com');
    expect(claimedOrigin('acme.bitrix24.com', '1')).toBe('https://acme.bitrix24.com');
    expect(claimedOrigin('acme.bitrix24.com', '0')).toBe('http://acme.bitrix24.com');
    expect(claimedOrigin("x.com; script-src 'unsafe-inline'", '1')).toBeUndefined();
    expect(claimedOrigin('x.com/evil', '1')).toBeUndefined();
    expect(claimedOrigin(undefined, '1')).toBeUndefined();
  });
});

describe('requests that claim to come from Bitrix24', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let app: ReturnType<typeof createApp>;
  const memberId = 'a223c6b3710f85df22e9377d6c4f7553';
  const appToken = '51856fefc120afa4b628cc82d3935cce';
  let portalId: string;

  beforeAll(async () => {
    // No network in this file: anything that tries to reach Bitrix24 fails loudly, except the token
    // endpoint, which answers as it does once the app is uninstalled (the uninstall check asks it).
    services = await createTestServices({
      env: { BITRIX24_CLIENT_ID: 'local.auth', BITRIX24_CLIENT_SECRET: 'auth-secret' },
      fetch: async (input) => {
        if (new URL(input instanceof Request ? input.url : String(input)).pathname === '/oauth/token/') {
          return Response.json({ error: 'invalid_grant', error_description: 'Invalid refresh token' }, { status: 400 });
        }
        throw new Error('no outbound calls expected');
      },
    });
    app = createApp(services);
  });
  afterAll(() => services.testDb.close());
  beforeEach(async () => {
    await services.db.delete(portals);
    const p = await upsertInstalledPortal(services.db, services.config.tokenKeyring, services.ids, {
      memberId,
      domain: 'acme.bitrix24.com',
      clientEndpoint: 'https://acme.bitrix24.com/rest/',
      serverEndpoint: 'https://oauth.bitrix.info/rest/',
      applicationToken: appToken,
      tokens: { accessToken: 'acc', refreshToken: 'ref', expiresAt: null },
      scope: ['crm', 'bizproc', 'placement', 'user_brief'],
      installedByUserId: 1,
      now: new Date(),
    });
    portalId = p.id;
    await services.db.update(portals).set({ settings: { companySignerUserId: 7 } }).where(eq(portals.id, portalId));
  });

  const snapshot = async () => {
    const [row] = await services.db.select().from(portals).where(eq(portals.id, portalId));
    return JSON.stringify(row);
  };
  const uninstallBody = (auth: Record<string, string>, clean = '1') =>
    new URLSearchParams({ event: 'ONAPPUNINSTALL', 'data[CLEAN]': clean, 'data[LANGUAGE_ID]': 'en', ts: '1700000000', ...Object.fromEntries(Object.entries(auth).map(([k, v]) => [`auth[${k}]`, v])) }).toString();

  it.each([
    ['a wrong application_token', { domain: 'acme.bitrix24.com', member_id: memberId, application_token: 'f'.repeat(32) }],
    ['an unknown member_id', { domain: 'acme.bitrix24.com', member_id: 'b'.repeat(32), application_token: appToken }],
    ['no application_token', { domain: 'acme.bitrix24.com', member_id: memberId }],
    ['no member_id', { domain: 'acme.bitrix24.com', application_token: appToken }],
    ['an empty application_token', { domain: 'acme.bitrix24.com', member_id: memberId, application_token: '' }],
    ['no auth at all', {}],
  ])('ONAPPUNINSTALL with %s → 401 and the portal is untouched', async (_name, auth) => {
    const before = await snapshot();
    const res = await app.request('/b24/events', { method: 'POST', headers: FORM, body: uninstallBody(auth as Record<string, string>) });
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('UNAUTHORIZED');
    expect(await snapshot()).toBe(before);
  });

  it('auth as an array or a nested object is refused as unauthenticated, not a crash', async () => {
    const before = await snapshot();
    for (const body of ['event=ONAPPUNINSTALL&auth[]=x', `event=ONAPPUNINSTALL&auth[member_id][x]=${memberId}&auth[application_token]=${appToken}`, 'event=ONAPPUNINSTALL&auth=x']) {
      const res = await app.request('/b24/events', { method: 'POST', headers: FORM, body });
      expect(res.status).toBe(401);
    }
    expect(await snapshot()).toBe(before);
  });

  it('a correct uninstall revokes every token at once and a replay is refused', async () => {
    const res = await app.request('/b24/events', { method: 'POST', headers: FORM, body: uninstallBody({ domain: 'acme.bitrix24.com', member_id: memberId, application_token: appToken }) });
    expect(res.status).toBe(200);
    const [row] = await services.db.select().from(portals).where(eq(portals.id, portalId));
    expect(row).toMatchObject({ status: 'uninstalled', accessToken: null, refreshToken: null, applicationTokenDigest: null, settings: {} });
    const replay = await app.request('/b24/events', { method: 'POST', headers: FORM, body: uninstallBody({ domain: 'acme.bitrix24.com', member_id: memberId, application_token: appToken }) });
    expect(replay.status).toBe(401);
  });

  it('requireAppToken refuses an uninstalled portal even with its last token', async () => {
    await services.db.update(portals).set({ status: 'uninstalled' }).where(eq(portals.id, portalId));
    await expect(requireAppToken(services, { auth: { member_id: memberId, application_token: appToken } })).rejects.toBeInstanceOf(AppError);
  });

  it('forged robot-style and unknown events are 401 before anything else', async () => {
    const body = `event=ONCRMDEALUPDATE&data[FIELDS][ID]=5&auth[member_id]=${memberId}&auth[application_token]=nope`;
    expect((await app.request('/b24/events', { method: 'POST', headers: FORM, body })).status).toBe(401);
    const ok = `event=ONCRMDEALUPDATE&data[FIELDS][ID]=5&auth[member_id]=${memberId}&auth[application_token]=${appToken}`;
    const res = await app.request('/b24/events', { method: 'POST', headers: FORM, body: ok });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, ignored: true });
  });

  it('an authenticated but malformed uninstall is a 400 with a code and changes nothing', async () => {
    const before = await snapshot();
    const res = await app.request('/b24/events', { method: 'POST', headers: FORM, body: uninstallBody({ domain: 'acme.bitrix24.com', member_id: memberId, application_token: appToken }, 'maybe') });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('VALIDATION_FAILED');
    expect(await snapshot()).toBe(before);
  });

  it('ONAPPUPDATE with a changed token and no verifiable access token is refused', async () => {
    const before = await snapshot();
    const body = `event=ONAPPUPDATE&data[VERSION]=2&auth[domain]=acme.bitrix24.com&auth[member_id]=${memberId}&auth[application_token]=${'9'.repeat(32)}`;
    expect((await app.request('/b24/events', { method: 'POST', headers: FORM, body })).status).toBe(401);
    expect(await snapshot()).toBe(before);
  });

  it('frame POSTs for a portal that is not installed, or with a wrong APPLICATION_TOKEN, are refused', async () => {
    const frame = (extra: Record<string, string>) =>
      new URLSearchParams({ AUTH_ID: 'x'.repeat(40), AUTH_EXPIRES: '3600', member_id: memberId, PLACEMENT: 'CRM_DEAL_DETAIL_TAB', PLACEMENT_OPTIONS: '{"ID":"1"}', ...extra }).toString();
    const wrong = await app.request('/b24/placements/CRM_DEAL_DETAIL_TAB?DOMAIN=acme.bitrix24.com&PROTOCOL=1&LANG=it', { method: 'POST', headers: { ...FORM, accept: 'text/html' }, body: frame({ APPLICATION_TOKEN: 'f'.repeat(32) }) });
    expect(wrong.status).toBe(401);
    expect(parseCsp(wrong.headers.get('content-security-policy')).get('frame-ancestors')).toEqual(['https://acme.bitrix24.com']);
    expect(wrong.headers.get('x-frame-options')).toBeNull();
    const html = await wrong.text();
    expect(html).toContain('UNAUTHORIZED');
    expect(html).toContain('Riapri'); // Italian, from LANG=it
    const unknown = await app.request('/b24/placements/CRM_DEAL_DETAIL_TAB', { method: 'POST', headers: { ...FORM, accept: 'text/html' }, body: frame({ member_id: 'c'.repeat(32), APPLICATION_TOKEN: appToken }) });
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toContain('administrator to install it');
    const app2 = await app.request('/b24/app', { method: 'POST', headers: FORM, body: frame({ APPLICATION_TOKEN: 'f'.repeat(32) }) });
    expect(app2.status).toBe(401);
  });

  it('a frame with a forged SERVER_ENDPOINT never sends the token there (the wizard falls back to a known server)', async () => {
    const seen: string[] = [];
    const spy = await createTestServices({ env: { BITRIX24_ALLOW_INSECURE_ENDPOINTS: '0' }, fetch: async (input) => { seen.push(String(input instanceof Request ? input.url : input)); throw new Error('offline'); } });
    try {
      const res = await createApp(spy).request('/b24/install?DOMAIN=evil.example.com', {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({ AUTH_ID: 'tok', REFRESH_ID: 'r', member_id: 'd'.repeat(32), PLACEMENT: 'DEFAULT', SERVER_ENDPOINT: 'https://evil.example.com/rest/' }).toString(),
      });
      expect(res.status).toBe(502);
      expect((await res.json()).error.code).toBe('BITRIX24_UNREACHABLE');
      expect(seen).toEqual(['https://oauth.bitrix.info/rest/app.info']);
    } finally {
      await spy.testDb.close();
    }
  });
});

describe('malformed bodies get 400/413/415 with a code, never 500', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    services = await createTestServices({ fetch: async () => { throw new Error('offline'); } });
    app = createApp(services);
  });
  afterAll(() => services.testDb.close());

  const doors = ['/b24/install', '/b24/events', '/b24/app', '/b24/placements/CRM_DEAL_DETAIL_TAB'];

  it.each(doors)('%s: fixed nasty bodies', async (path) => {
    const bodies: [BodyInit, Record<string, string>][] = [
      ['', FORM],
      ['%%%', FORM],
      ['a[b][c][d][e][f][g]=1', FORM],
      ['__proto__[x]=1', FORM],
      ['{"event":"ONAPPINSTALL"}', { 'content-type': 'application/json' }],
      [new Uint8Array([0xff, 0xfe, 0x3d]), FORM],
      ['x=' + 'y'.repeat(600 * 1024), FORM],
      ['event=ONAPPINSTALL&data=1&auth=2', FORM],
      ['member_id=abc&AUTH_ID=', FORM],
      [Array.from({ length: 1500 }, (_, i) => `k${i}=1`).join('&'), FORM],
    ];
    for (const [body, headers] of bodies) {
      const res = await app.request(path, { method: 'POST', headers, body });
      expect(res.status, `${path} ${String(body).slice(0, 30)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const json = await res.json();
      expect(json.error.code).toMatch(/^[A-Z_]+$/);
    }
  });

  it('random form bodies never produce an unexplained 5xx on any door (property test)', async () => {
    const key = fc.oneof(fc.constantFrom('event', 'auth[member_id]', 'auth[application_token]', 'member_id', 'AUTH_ID', 'PLACEMENT', 'PLACEMENT_OPTIONS', 'data[CLEAN]', 'auth', 'data'), fc.string({ maxLength: 12 }));
    const body = fc.array(fc.tuple(key, fc.string({ maxLength: 30 })), { maxLength: 12 }).map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...doors), body, async (path, b) => {
        const res = await app.request(path, { method: 'POST', headers: FORM, body: b });
        // A well-formed install attempt may honestly fail to reach Bitrix24 (this test is offline): 502
        // with that code. Anything else must be a 4xx; never an unexplained 500.
        if (res.status >= 500) expect({ status: res.status, code: (await res.json()).error.code }).toEqual({ status: 502, code: 'BITRIX24_UNREACHABLE' });
        else expect(res.status).toBeGreaterThanOrEqual(200);
      }),
      { numRuns: 150 },
    );
  });
});
