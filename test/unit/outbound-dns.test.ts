/**
 * Issue 14 item 8, on Node: a host name is resolved once, by the connection, and the connection goes
 * to the address that was checked. Names resolving to private addresses are refused like private
 * IPs unless listed (BITRIX24_PRIVATE_HOSTS). The lookup is a seam: the test's resolver answers
 * what a hostile DNS would, and a local server shows where the connection really went.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundFetch, isPrivateAddress, type Lookup } from '../../src/entry/outbound-fetch.js';

let server: Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(`${req.headers.host} ${req.url}`);
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A resolver that answers from a table and counts its calls. */
function resolver(table: Record<string, string[]>) {
  const calls: string[] = [];
  const lookup: Lookup = (hostname, _options, callback) => {
    calls.push(hostname);
    const list = table[hostname];
    if (!list) return callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
    callback(null, list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return { lookup, calls };
}

const causeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return ((e as Error).cause as { code?: string } | undefined)?.code ?? (e as { code?: string }).code;
  }
  return 'resolved';
};

describe('outbound connections on Node', () => {
  it('classifies private addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1']) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2a00:1450::1']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('a portal name resolving to 127.0.0.1 or 10.x is refused before any connection', async () => {
    const { lookup } = resolver({ 'portal.example.com': ['127.0.0.1'], 'inside.example.com': ['10.0.0.7'], 'mixed.example.com': ['93.184.216.34', '127.0.0.1'] });
    const f = createOutboundFetch({ privateHosts: [], allowLoopback: false }, lookup);
    const before = hits.length;
    expect(await causeOf(f(`http://portal.example.com:${port}/rest/profile`))).toBe('PRIVATE_ADDRESS');
    expect(await causeOf(f(`http://inside.example.com:${port}/rest/profile`))).toBe('PRIVATE_ADDRESS');
    // One private address among public ones is enough to refuse: the socket may pick any of them.
    expect(await causeOf(f(`http://mixed.example.com:${port}/rest/profile`))).toBe('PRIVATE_ADDRESS');
    // IP literals never reach a lookup and are held to the same rule.
    expect(await causeOf(f(`http://127.0.0.1:${port}/rest/profile`))).toBe('PRIVATE_ADDRESS');
    expect(await causeOf(f(`http://[::1]:${port}/rest/profile`))).toBe('PRIVATE_ADDRESS');
    expect(hits.length).toBe(before);
  });

  it('a listed self-hosted portal connects, to the address its single lookup returned', async () => {
    const { lookup, calls } = resolver({ 'b24.corp.example': ['127.0.0.1'] });
    const f = createOutboundFetch({ privateHosts: ['B24.corp.example'], allowLoopback: false }, lookup);
    const res = await f(`http://b24.corp.example:${port}/rest/profile`, { method: 'POST', body: new URLSearchParams({ auth: 'x' }) });
    expect(await res.json()).toEqual({ ok: true });
    expect(hits.at(-1)).toBe(`b24.corp.example:${port} /rest/profile`);
    expect(calls).toEqual(['b24.corp.example']);
  });

  it('loopback is reachable only with BITRIX24_ALLOW_INSECURE_ENDPOINTS (the standalone emulator)', async () => {
    const f = createOutboundFetch({ privateHosts: [], allowLoopback: true }, resolver({ localhost: ['127.0.0.1'], 'inside.example.com': ['10.0.0.7'] }).lookup);
    expect((await f(`http://127.0.0.1:${port}/a`)).status).toBe(200);
    expect((await f(`http://localhost:${port}/b`)).status).toBe(200);
    expect(await causeOf(f(`http://inside.example.com:${port}/c`))).toBe('PRIVATE_ADDRESS');
  });
});
