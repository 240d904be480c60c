import { describe, expect, it } from 'vitest';
import { createEmulator, phpBuildQuery, phpParseQuery } from '../../src/emulator/index.js';

const BASE = 'http://127.0.0.1:8790';

describe('emulator: standalone (one base URL, hosts as path segments) and the HTTP control API', () => {
  it('creates a portal over /_emulator/, serves REST under <base>/<domain>/rest/ and OAuth under <base>/oauth.bitrix24.test/', async () => {
    const emu = createEmulator({ baseUrl: BASE });
    const created = await emu.fetch(new Request(`${BASE}/_emulator/portals`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'solo', app: { clientId: 'local.solo', clientSecret: 's' } }),
    }));
    expect(created.status).toBe(201);
    const p = (await created.json()) as any;
    expect(p.clientEndpoint).toBe(`${BASE}/solo.bitrix24.test/rest/`);
    expect(p.serverEndpoint).toBe(`${BASE}/oauth.bitrix24.test/rest/`);

    const prof = await emu.fetch(new Request(`${p.clientEndpoint}profile.json?auth=${p.app.accessToken}`));
    expect(((await prof.json()) as any).result.ID).toBe('1');

    // Token URL derived from server_endpoint: replace the trailing `rest/` with `oauth/token/`.
    const tokenUrl = p.serverEndpoint.replace(/rest\/$/, 'oauth/token/');
    const body = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'local.solo', client_secret: 's', refresh_token: p.app.refreshToken });
    const r = await emu.fetch(new Request(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }));
    const t = (await r.json()) as any;
    expect(r.status).toBe(200);
    expect(t.client_endpoint).toBe(p.clientEndpoint);
    // The root OAuth path works too.
    const again = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'local.solo', client_secret: 's', refresh_token: t.refresh_token });
    expect((await emu.fetch(new Request(`${BASE}/oauth/token/?${again}`))).status).toBe(200);

    const calls = (await (await emu.fetch(new Request(`${BASE}/_emulator/calls?memberId=${p.memberId}`))).json()) as any[];
    expect(calls.map((c) => c.method)).toEqual(['profile']);
    const stats = (await (await emu.fetch(new Request(`${BASE}/_emulator/stats`))).json()) as any;
    expect(stats.refreshRequests).toBe(2);
    const bad = await emu.fetch(new Request(`${BASE}/_emulator/portals/nope/tokens`, { method: 'POST' }));
    expect(bad.status).toBe(400);
  });

  it('PHP form encoding round-trips bracket keys, lists and UTF-8 like http_build_query / parse_str', () => {
    const data = { auth: { access_token: 'a b', scope: 'crm,im' }, document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_1'], properties: { note: 'Привет & / ~' }, skip: null, flag: true };
    const qs = phpBuildQuery(data);
    expect(qs).toContain('auth%5Baccess_token%5D=a+b');
    expect(qs).toContain('auth%5Bscope%5D=crm%2Cim');
    expect(qs).toContain('document_id%5B0%5D=crm');
    expect(qs).toContain('%7E');
    expect(qs).not.toContain('skip');
    expect(phpParseQuery(qs)).toEqual({ auth: { access_token: 'a b', scope: 'crm,im' }, document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_1'], properties: { note: 'Привет & / ~' }, flag: '1' });
    expect(phpParseQuery('a[]=1&a[]=2&b[x][y]=3')).toEqual({ a: ['1', '2'], b: { x: { y: '3' } } });
  });
});
