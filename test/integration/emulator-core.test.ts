import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { phpBuildQuery } from '../../src/emulator/index.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';

const APP = { clientId: 'local.test0001', clientSecret: 'secret-1' };
let emu: StartedEmulator;
afterEach(() => emu?.close());

async function call(endpoint: string, method: string, params: Record<string, unknown>) {
  const res = await fetch(`${endpoint}${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function refresh(refreshToken: string, how: 'GET' | 'POST' = 'POST', secret = APP.clientSecret) {
  const q = { grant_type: 'refresh_token', client_id: APP.clientId, client_secret: secret, refresh_token: refreshToken };
  const res =
    how === 'GET'
      ? await fetch(`https://oauth.bitrix24.test/oauth/token/?${new URLSearchParams(q)}`)
      : await fetch('https://oauth.bitrix24.test/oauth/token/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(q) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('emulator: OAuth', () => {
  it('expires access tokens, rotates single-use refresh tokens and refuses reuse with invalid_grant', async () => {
    const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));
    emu = await startEmulator({ clock, accessTokenTtlMs: 3600_000 });
    const p = await emu.control.createPortal({ name: 'oauth1', app: APP });
    const a = p.app!;
    expect((await call(p.clientEndpoint, 'profile', { auth: a.accessToken })).status).toBe(200);

    clock.advance(3600_000);
    const expired = await call(p.clientEndpoint, 'profile', { auth: a.accessToken });
    expect(expired).toMatchObject({ status: 401, body: { error: 'expired_token', error_description: 'The access token provided has expired.' } });

    const r1 = await refresh(a.refreshToken, 'POST');
    expect(r1.status).toBe(200);
    expect(Object.keys(r1.body).sort()).toEqual(
      ['access_token', 'client_endpoint', 'domain', 'expires', 'expires_in', 'member_id', 'refresh_token', 'scope', 'server_endpoint', 'status', 'user_id'],
    );
    expect(r1.body).toMatchObject({
      client_endpoint: p.clientEndpoint, domain: 'oauth.bitrix24.test', expires_in: 3600, member_id: p.memberId,
      server_endpoint: 'https://oauth.bitrix24.test/rest/', user_id: 1, expires: Math.floor(clock.now().getTime() / 1000) + 3600,
    });
    expect(r1.body.refresh_token).not.toBe(a.refreshToken);
    expect((await call(p.clientEndpoint, 'profile', { auth: r1.body.access_token })).status).toBe(200);

    // Reusing the rotated refresh token fails; the new one works once (GET form, as the docs show).
    expect(await refresh(a.refreshToken)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const r2 = await refresh(r1.body.refresh_token, 'GET');
    expect(r2.status).toBe(200);
    expect(await refresh(r1.body.refresh_token, 'GET')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // The access token issued with a used refresh token is dead too.
    expect(await call(p.clientEndpoint, 'profile', { auth: r1.body.access_token })).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(emu.control.stats().refreshRequests).toBe(4);
  });

  it('answers invalid_client for a wrong secret and NO_AUTH_FOUND without auth or with an unknown token', async () => {
    emu = await startEmulator();
    const p = await emu.control.createPortal({ name: 'oauth2', app: APP });
    expect(await refresh(p.app!.refreshToken, 'POST', 'nope')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await call(p.clientEndpoint, 'profile', {})).toMatchObject({ status: 401, body: { error: 'NO_AUTH_FOUND' } });
    // An unknown token: "Wrong authorization data" (b24restdocs _includes/system-errors.md).
    expect(await call(p.clientEndpoint, 'profile', { auth: 'f'.repeat(64) })).toMatchObject({ status: 401, body: { error: 'NO_AUTH_FOUND' } });
    // A token of another portal is not valid here.
    const q = await emu.control.createPortal({ name: 'oauth3', app: APP });
    expect((await call(p.clientEndpoint, 'profile', { auth: q.app!.accessToken })).status).toBe(401);
  });
});

describe('emulator: REST envelopes', () => {
  it('serves JSON, form and GET calls, .json suffixes, list paging and legacy empty-code errors', async () => {
    emu = await startEmulator();
    const p = await emu.control.createPortal({ name: 'rest1', app: APP });
    const auth = p.app!.accessToken;
    const page1 = await call(p.clientEndpoint, 'crm.deal.list', { auth, select: ['ID', 'TITLE'] });
    expect(page1.body).toMatchObject({ total: 60, next: 50 });
    expect(page1.body.result).toHaveLength(50);
    expect(Object.keys(page1.body.result[0])).toEqual(['ID', 'TITLE']);
    expect(page1.body.time).toMatchObject({ operating: 0 });
    const page2 = await call(p.clientEndpoint, 'crm.deal.list.json', { auth, start: 50 });
    expect(page2.body.result).toHaveLength(10);
    expect(page2.body.next).toBeUndefined();

    const form = await fetch(`${p.clientEndpoint}crm.contact.list`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: phpBuildQuery({ auth, filter: { COMPANY_ID: '1' }, select: ['ID', 'COMPANY_ID', 'EMAIL'] }),
    });
    const fb = (await form.json()) as any;
    expect(fb.result.length).toBeGreaterThan(0);
    expect(fb.result.every((c: any) => c.COMPANY_ID === '1' && Array.isArray(c.EMAIL))).toBe(true);

    const get = await fetch(`${p.clientEndpoint}crm.deal.get.json?auth=${auth}&id=2`);
    expect(((await get.json()) as any).result.ID).toBe('2');

    expect(await call(p.clientEndpoint, 'crm.deal.get', { auth, id: 99999 })).toMatchObject({ status: 400, body: { error: '', error_description: 'Not found' } });
    expect(await call(p.clientEndpoint, 'no.such.method', { auth })).toMatchObject({ status: 404, body: { error: 'ERROR_METHOD_NOT_FOUND' } });
  });

  it('logs every call with method, params (without auth), time and portal', async () => {
    const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));
    emu = await startEmulator({ clock });
    const p = await emu.control.createPortal({ name: 'log1', app: APP });
    await call(p.clientEndpoint, 'crm.deal.get', { auth: p.app!.accessToken, id: '5' });
    await call(p.clientEndpoint, 'batch', { auth: p.app!.accessToken, cmd: { a: 'user.current' } });
    const calls = emu.control.calls({ memberId: p.memberId });
    expect(calls.map((c) => [c.method, c.batchKey])).toEqual([['crm.deal.get', undefined], ['user.current', 'a'], ['batch', undefined]]);
    expect(calls[0]).toMatchObject({ params: { id: '5' }, at: Date.parse('2026-03-01T10:00:00Z'), memberId: p.memberId, clientId: APP.clientId, userId: '1', httpStatus: 200 });
    expect(JSON.stringify(calls)).not.toContain(p.app!.accessToken);
  });
});

describe('emulator: batch', () => {
  it('resolves $result references (nested and list), reports result_error, and honours halt', async () => {
    emu = await startEmulator();
    const p = await emu.control.createPortal({ name: 'batch1', app: APP });
    const auth = p.app!.accessToken;
    const r = await call(p.clientEndpoint, 'batch', {
      auth,
      cmd: {
        deal: 'crm.deal.get?id=2',
        contact: 'crm.contact.get?id=$result[deal][CONTACT_ID]',
        list: `crm.deal.list?${phpBuildQuery({ filter: { COMPANY_ID: '2' }, select: ['ID'] })}`,
        first: 'crm.deal.get?id=$result[list][0][ID]',
        missing: 'crm.deal.get?id=99999',
        after: 'user.current',
      },
    });
    expect(r.status).toBe(200);
    const b = r.body.result;
    expect(b.result.contact.ID).toBe(b.result.deal.CONTACT_ID);
    expect(b.result.first.ID).toBe(b.result.list[0].ID);
    expect(b.result_error).toEqual({ missing: { error: '', error_description: 'Not found' } });
    expect(b.result_total.list).toBeGreaterThan(0);
    expect(b.result.after.ID).toBe('1');
    expect(b.result_time.deal).toHaveProperty('operating');

    const clean = await call(p.clientEndpoint, 'batch', { auth, cmd: ['user.current', 'profile'] });
    expect(Array.isArray(clean.body.result.result)).toBe(true);
    expect(clean.body.result.result_error).toEqual([]);

    const halted = await call(p.clientEndpoint, 'batch', { auth, halt: 1, cmd: { a: 'profile', b: 'crm.deal.get?id=0', c: 'profile' } });
    expect(Object.keys(halted.body.result.result)).toEqual(['a']);
    expect(halted.body.result.result_error.b).toEqual({ error: '', error_description: 'ID is not defined or invalid.' });
    expect(emu.control.calls({ memberId: p.memberId, method: 'profile' })).toHaveLength(2); // a, not c (+ 1 from `clean`)
  });

  it('refuses more than 50 commands and nested batch; a batch costs one bucket unit', async () => {
    const clock = new ManualClock();
    emu = await startEmulator({ clock, rateLimit: { perSecond: 2, burst: 3 } });
    const p = await emu.control.createPortal({ name: 'batch2', app: APP });
    const auth = p.app!.accessToken;
    const cmd = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`c${i}`, 'profile']));
    expect(await call(p.clientEndpoint, 'batch', { auth, cmd })).toMatchObject({ status: 400, body: { error: 'ERROR_BATCH_LENGTH_EXCEEDED' } });
    const nested = await call(p.clientEndpoint, 'batch', { auth, cmd: { n: 'batch?cmd[a]=profile' } });
    expect(nested.body.result.result_error.n.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
    delete cmd.c50;
    expect(emu.control.bucketLevel(p.memberId)).toBe(2);
    const full = await call(p.clientEndpoint, 'batch', { auth, cmd });
    expect(Object.keys(full.body.result.result)).toHaveLength(50);
    expect(emu.control.bucketLevel(p.memberId)).toBe(3); // 50 sub-calls, one unit
  });
});

describe('emulator: limits', () => {
  it('leaky bucket: burst then 503 QUERY_LIMIT_EXCEEDED, draining at the configured rate', async () => {
    const clock = new ManualClock();
    emu = await startEmulator({ clock, rateLimit: { perSecond: 2, burst: 5 } });
    const p = await emu.control.createPortal({ name: 'rl1', app: APP });
    const auth = p.app!.accessToken;
    for (let i = 0; i < 5; i++) expect((await call(p.clientEndpoint, 'profile', { auth })).status).toBe(200);
    expect(await call(p.clientEndpoint, 'profile', { auth })).toMatchObject({ status: 503, body: { error: 'QUERY_LIMIT_EXCEEDED' } });
    clock.advance(400); // 0.8 units drained: still full
    expect((await call(p.clientEndpoint, 'profile', { auth })).status).toBe(503);
    clock.advance(100); // 1 unit drained
    expect((await call(p.clientEndpoint, 'profile', { auth })).status).toBe(200);
    expect((await call(p.clientEndpoint, 'profile', { auth })).status).toBe(503);
    // Other portals have their own bucket.
    const q = await emu.control.createPortal({ name: 'rl2', app: APP });
    expect((await call(q.clientEndpoint, 'profile', { auth: q.app!.accessToken })).status).toBe(200);
  });

  it('operating limit: a method over budget answers 429 OPERATION_TIME_LIMIT until operating_reset_at', async () => {
    const clock = new ManualClock();
    emu = await startEmulator({ clock, rateLimit: false, operating: { limitSeconds: 480, windowMs: 600_000, blockMs: 600_000, costSeconds: (m) => (m === 'crm.deal.list' ? 100 : 0) } });
    const p = await emu.control.createPortal({ name: 'op1', app: APP });
    const auth = p.app!.accessToken;
    for (let i = 1; i <= 5; i++) {
      const r = await call(p.clientEndpoint, 'crm.deal.list', { auth });
      expect(r.status).toBe(200);
      expect(r.body.time.operating).toBe(i * 100);
    }
    const blocked = await call(p.clientEndpoint, 'crm.deal.list', { auth });
    expect(blocked).toMatchObject({ status: 429, body: { error: 'OPERATION_TIME_LIMIT' } });
    expect(blocked.body.time.operating_reset_at).toBe(Math.floor(clock.now().getTime() / 1000) + 600);
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth, id: 1 })).status).toBe(200); // other methods unaffected
    clock.advance(600_001);
    expect((await call(p.clientEndpoint, 'crm.deal.list', { auth })).status).toBe(200);

    emu.control.blockMethod({ memberId: p.memberId, method: 'crm.deal.get', forMs: 1000 });
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth, id: 1 })).status).toBe(429);
    clock.advance(1001);
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth, id: 1 })).status).toBe(200);
  });

  it('fault injection: the next N calls of a method, or every call for T ms', async () => {
    const clock = new ManualClock();
    emu = await startEmulator({ clock });
    const p = await emu.control.createPortal({ name: 'fault1', app: APP });
    const auth = p.app!.accessToken;
    emu.control.fault({ method: 'crm.deal.get', count: 2, status: 500 });
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth, id: 1 })).status).toBe(500);
    expect((await call(p.clientEndpoint, 'profile', { auth })).status).toBe(200);
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth, id: 1 })).body.error).toBe('INTERNAL_SERVER_ERROR');
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth, id: 1 })).status).toBe(200);
    emu.control.fault({ forMs: 1000, status: 503 });
    expect(await call(p.clientEndpoint, 'profile', { auth })).toMatchObject({ status: 503, body: { error: 'QUERY_LIMIT_EXCEEDED' } });
    clock.advance(1000);
    expect((await call(p.clientEndpoint, 'profile', { auth })).status).toBe(200);
    emu.control.fault({ target: 'oauth', count: 1, status: 502 });
    expect((await refresh(p.app!.refreshToken)).status).toBe(502);
    expect((await refresh(p.app!.refreshToken)).status).toBe(200); // the fault did not consume the token
  });

  it('a renamed portal answers 302 from its old domain', async () => {
    emu = await startEmulator();
    const p = await emu.control.createPortal({ name: 'old1', app: APP });
    emu.control.renamePortal({ memberId: p.memberId, name: 'new1' });
    const res = await fetch(`${p.clientEndpoint}profile`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ auth: p.app!.accessToken }) });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://new1.bitrix24.test/rest/profile');
  });
});
