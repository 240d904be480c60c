/**
 * The REST client against a scripted portal (test/helpers/fake-bitrix24.ts) and the real database:
 * each test scripts one situation from the decision table (reference §3.6) and checks both what
 * reached the "server" and what was stored.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBitrix24, type Bitrix24Options } from '../../src/bitrix24/client.js';
import type { BatchCommand } from '../../src/bitrix24/types.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import type { Database, DbHandle } from '../../src/db/client.js';
import { systemClock } from '../../src/lib/clock.js';
import { REDACT_PATHS, silentLogger, type Logger } from '../../src/lib/logger.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { errorOf, FakeBitrix24, json, portalRow, seedPortal } from '../helpers/fake-bitrix24.js';
import { testConfig } from '../helpers/services.js';

let testDb: TestDb;
/** A second, independent connection pool: "another app instance" (PostgreSQL only; PGlite has one connection). */
let other: DbHandle | undefined;
let otherDb: Database;

beforeAll(async () => {
  testDb = await createTestDb();
  if (testDb.url) {
    other = createPostgresDb(testDb.url, { max: 3 });
    otherDb = other.db;
  } else {
    otherDb = testDb.db;
  }
});
afterAll(async () => {
  await other?.close();
  await testDb.close();
});

function client(
  db: Database,
  fake: FakeBitrix24,
  p: { env?: Record<string, string>; options?: Partial<Bitrix24Options>; logger?: Logger } = {},
) {
  const config = testConfig({
    BITRIX24_CLIENT_ID: 'app.test',
    BITRIX24_CLIENT_SECRET: 'app-secret',
    BITRIX24_RATE_PER_SECOND: '1000',
    ...p.env,
  });
  return createBitrix24({ db, fetch: fake.fetch, clock: systemClock, logger: p.logger ?? silentLogger(), config, options: { retryBaseMs: 5, ...p.options } });
}

describe('calls and envelopes', () => {
  it('POSTs JSON with auth in the body to the stored endpoint and returns result / total / next', async () => {
    const fake = new FakeBitrix24().on('crm.deal.list', () => ({ result: [{ ID: '1' }], total: 51, next: 50 }));
    const id = await seedPortal(testDb.db, fake);
    const b24 = client(testDb.db, fake).forPortal(id);
    const raw = await b24.callRaw('crm.deal.list', { filter: { '>OPPORTUNITY': 0 } });
    expect(raw).toMatchObject({ result: [{ ID: '1' }], total: 51, next: 50 });
    const [req] = fake.restRequests();
    expect(req!.httpMethod).toBe('POST');
    expect(req!.url.href).toBe('https://acme.bitrix24.test/rest/crm.deal.list');
    expect(req!.body).toEqual({ filter: { '>OPPORTUNITY': 0 }, auth: 'acc-0' });
    expect(req!.url.search).toBe(''); // the token never travels in a URL
  });

  it('maps a legacy empty error code by its description', async () => {
    const fake = new FakeBitrix24().on('crm.deal.get', () => json({ error: '', error_description: 'Not found' }, 400));
    const id = await seedPortal(testDb.db, fake);
    const e = await errorOf(client(testDb.db, fake).forPortal(id).call('crm.deal.get', { id: 999 }));
    expect(e).toMatchObject({ code: 'NOT_FOUND', description: 'Not found', method: 'crm.deal.get', httpStatus: 400 });
  });

  it('never retries a hard error', async () => {
    const fake = new FakeBitrix24().on('crm.deal.get', () => json({ error: 'ACCESS_DENIED', error_description: 'Access denied!' }, 403));
    const id = await seedPortal(testDb.db, fake);
    const e = await errorOf(client(testDb.db, fake).forPortal(id).call('crm.deal.get', { id: 1 }));
    expect(e.code).toBe('ACCESS_DENIED');
    expect(fake.restRequests()).toHaveLength(1);
  });
});

describe('OAuth refresh', () => {
  it('refreshes once on 401 expired_token at the token URL of the stored server_endpoint, then repeats the call', async () => {
    const fake = new FakeBitrix24({ oauthHost: 'oauth-eu.bitrix24.test' });
    const id = await seedPortal(testDb.db, fake);
    fake.expired = true;
    const r = await client(testDb.db, fake).forPortal(id).call('profile');
    expect(r).toEqual({ method: 'profile' });
    const oauth = fake.requests.filter((x) => x.method === 'oauth');
    expect(oauth).toHaveLength(1);
    expect(oauth[0]!.url.href).toBe('https://oauth-eu.bitrix24.test/oauth/token/');
    expect(oauth[0]!.httpMethod).toBe('POST');
    expect(oauth[0]!.url.search).toBe(''); // client_secret stays out of URLs
    expect(oauth[0]!.body).toMatchObject({ grant_type: 'refresh_token', client_id: 'app.test', client_secret: 'app-secret', refresh_token: 'ref-0' });
    const row = await portalRow(testDb.db, id);
    expect(row).toMatchObject({ accessToken: 'acc-1', refreshToken: 'ref-1', tokenVersion: 1, status: 'installed' });
    expect(fake.restRequests().map((x) => x.body.auth)).toEqual(['acc-0', 'acc-1']);
  });

  it('refreshes before calling when the stored expiry has passed', async () => {
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake, { expiresAt: new Date(Date.now() - 1000) });
    fake.expired = true;
    await client(testDb.db, fake).forPortal(id).call('profile');
    expect(fake.refreshRequests).toBe(1);
    expect(fake.restRequests().map((x) => x.body.auth)).toEqual(['acc-1']);
  });

  it('50 concurrent calls on one instance make one refresh', async () => {
    const fake = new FakeBitrix24({ refreshDelayMs: 50 });
    const id = await seedPortal(testDb.db, fake);
    fake.expired = true;
    const b24 = client(testDb.db, fake);
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => b24.forPortal(id).call('user.get', { ID: i })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(fake.refreshRequests).toBe(1);
  });

  it('two instances on separate connections make one refresh; the loser re-reads the row and retries', async () => {
    const fake = new FakeBitrix24({ refreshDelayMs: 300 });
    const id = await seedPortal(testDb.db, fake);
    fake.expired = true;
    const a = client(testDb.db, fake);
    const b = client(otherDb, fake);
    const calls = [...Array.from({ length: 10 }, () => a.forPortal(id).call('profile')), ...Array.from({ length: 10 }, () => b.forPortal(id).call('profile'))];
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    // Refresh tokens are single-use: a second refresh with ref-0 would have been invalid_grant.
    expect(fake.refreshRequests).toBe(1);
    const row = await portalRow(testDb.db, id);
    expect(row).toMatchObject({ status: 'installed', tokenVersion: 1, refreshToken: 'ref-1' });
  });

  it('an instance whose token another instance has rotated away uses the stored one at once, without a refresh', async () => {
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake);
    const a = client(testDb.db, fake);
    const b = client(otherDb, fake);
    await b.forPortal(id).call('profile'); // b has seen acc-0
    fake.expired = true;
    await a.forPortal(id).call('profile'); // a refreshes: acc-0 is gone
    const before = fake.refreshRequests;
    await b.forPortal(id).call('profile'); // b reads the row: acc-1, no 401, no refresh
    expect(fake.refreshRequests).toBe(before);
    expect(fake.restRequests().slice(-1).map((x) => x.body.auth)).toEqual(['acc-1']);
  });

  it('invalid_grant marks the portal needs_reauth and later calls fail fast', async () => {
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake, { refreshToken: 'spent-refresh-token' });
    fake.expired = true;
    const b24 = client(testDb.db, fake);
    const e = await errorOf(b24.forPortal(id).call('profile'));
    expect(e.code).toBe('PORTAL_NEEDS_REAUTH');
    const row = await portalRow(testDb.db, id);
    expect(row.status).toBe('needs_reauth');
    expect(row.lastError).toContain('invalid_grant');
    const seen = fake.requests.length;
    const again = await errorOf(client(otherDb, fake).forPortal(id).call('profile'));
    expect(again.code).toBe('PORTAL_NEEDS_REAUTH');
    expect(fake.requests.length).toBe(seen);
  });

  it('invalid_token again right after a refresh marks the portal needs_reauth', async () => {
    const fake = new FakeBitrix24().on('profile', () => json({ error: 'invalid_token', error_description: 'revoked' }, 401));
    const id = await seedPortal(testDb.db, fake);
    const e = await errorOf(client(testDb.db, fake).forPortal(id).call('profile'));
    expect(e.code).toBe('PORTAL_NEEDS_REAUTH');
    expect(fake.refreshRequests).toBe(1);
    expect((await portalRow(testDb.db, id)).status).toBe('needs_reauth');
  });

  it('sends the client secret only to a known OAuth host', async () => {
    const fake = new FakeBitrix24({ oauthHost: 'oauth.attacker.example' });
    const id = await seedPortal(testDb.db, fake);
    fake.expired = true;
    const e = await errorOf(client(testDb.db, fake, { env: { BITRIX24_ALLOW_INSECURE_ENDPOINTS: '0' } }).forPortal(id).call('profile'));
    expect(e.code).toBe('INSECURE_ENDPOINT');
    expect(fake.refreshRequests).toBe(0);
  });

  it('never logs tokens or the client secret', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake);
    fake.expired = true;
    fake.queue(() => json({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 503), 'profile');
    await client(testDb.db, fake, { logger }).forPortal(id).call('profile');
    const all = lines.join('');
    expect(all).toContain('bitrix24');
    for (const secret of ['acc-0', 'acc-1', 'ref-0', 'ref-1', 'app-secret']) expect(all).not.toContain(secret);
  });
});

describe('rate limit and retries', () => {
  it('shares one leaky bucket between instances: 24 concurrent calls from two instances, no 503', async () => {
    const env = { BITRIX24_RATE_PER_SECOND: '10', BITRIX24_RATE_BURST: '5' };
    // The fake runs in this test process, so a busy CI machine can stall its clock reads by more than
    // the limiter's 250 ms headroom and bunch arrivals together. Its burst of 10 absorbs a second of
    // such stalls, yet two unshared buckets (2 at once + 10/s each = 20/s) would still overflow it
    // within a second, and the 2 s floor below still shows the 24 calls were paced as one.
    const fake = new FakeBitrix24({ bucket: { perSecond: 10, burst: 10 } });
    const id = await seedPortal(testDb.db, fake);
    const a = client(testDb.db, fake, { env, options: { limitRetries: 0 } });
    const b = client(otherDb, fake, { env, options: { limitRetries: 0 } });
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).forPortal(id).call('user.get', { ID: i })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(fake.limit503s).toBe(0);
    // Capacity 2 (5 minus a quarter second of draining) goes at once; the other 22 drain at 10/s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('a batch costs one unit however many commands it holds', async () => {
    const env = { BITRIX24_RATE_PER_SECOND: '1', BITRIX24_RATE_BURST: '3' };
    const fake = new FakeBitrix24({ bucket: { perSecond: 1, burst: 3 } }).on('batch', () => ({ result: { result: {}, result_error: [] } }));
    const id = await seedPortal(testDb.db, fake);
    const b24 = client(testDb.db, fake, { env }).forPortal(id);
    const started = Date.now();
    await b24.batch(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`c${i}`, ['user.get', { ID: i }] as BatchCommand])));
    expect(Date.now() - started).toBeLessThan(800);
    expect(fake.restRequests('batch')).toHaveLength(1);
  });

  it('retries 503 QUERY_LIMIT_EXCEEDED with backoff, for writes too, and gives up after three retries', async () => {
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake);
    const b24 = client(testDb.db, fake).forPortal(id);
    const limited = () => json({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 503);
    fake.queue(limited).queue(limited);
    await expect(b24.call('crm.timeline.comment.add', { fields: { COMMENT: 'x' } })).resolves.toEqual({ method: 'crm.timeline.comment.add' });
    expect(fake.restRequests('crm.timeline.comment.add')).toHaveLength(3);

    for (let i = 0; i < 4; i++) fake.queue(limited);
    const e = await errorOf(b24.call('profile'));
    expect(e).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', httpStatus: 503 });
    expect(e.details.retryable).toBe(true);
    expect(fake.restRequests('profile')).toHaveLength(4);
  });

  it('a 503 fills the shared bucket so the next caller waits', async () => {
    const env = { BITRIX24_RATE_PER_SECOND: '4', BITRIX24_RATE_BURST: '10' };
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake);
    const a = client(testDb.db, fake, { env, options: { limitRetries: 0 } });
    fake.queue(() => json({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'x' }, 503));
    await errorOf(a.forPortal(id).call('profile'));
    const started = Date.now();
    await client(otherDb, fake, { env }).forPortal(id).call('profile');
    // Level 10 + 1 against capacity 9: (11 - 9) / 4 = 0.5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('429 OPERATION_TIME_LIMIT pauses that method for every instance until operating_reset_at; other methods go on', async () => {
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake);
    const reset = Math.floor(Date.now() / 1000) + 120;
    fake.on('crm.deal.list', () => ({ result: [], time: { operating: 1, operating_reset_at: reset } }));
    const a = client(testDb.db, fake).forPortal(id);
    await a.call('crm.deal.list');
    fake.queue(() => json({ error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' }, 429), 'crm.deal.list');
    const e = await errorOf(a.call('crm.deal.list'));
    expect(e.code).toBe('OPERATION_TIME_LIMIT');
    expect(e.details.retryAt?.getTime()).toBe(reset * 1000);
    const sent = fake.restRequests('crm.deal.list').length;
    const again = await errorOf(client(otherDb, fake).forPortal(id).call('crm.deal.list'));
    expect(again.code).toBe('OPERATION_TIME_LIMIT');
    expect(fake.restRequests('crm.deal.list')).toHaveLength(sent); // paused: nothing sent
    await expect(a.call('crm.deal.get', { id: 1 })).resolves.toBeDefined();
  });

  it('repeats reads after a 5xx or a network error, never writes', async () => {
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake);
    const b24 = client(testDb.db, fake).forPortal(id);
    const boom = () => json({ error: 'INTERNAL_SERVER_ERROR', error_description: 'x' }, 500);
    const down = (): Response => {
      throw new TypeError('fetch failed');
    };

    fake.queue(boom, 'crm.deal.get').queue(down, 'crm.deal.get');
    await expect(b24.call('crm.deal.get', { id: 1 })).resolves.toBeDefined();
    expect(fake.restRequests('crm.deal.get')).toHaveLength(3);

    fake.queue(boom, 'crm.deal.add');
    expect((await errorOf(b24.call('crm.deal.add', { fields: {} }))).code).toBe('INTERNAL_SERVER_ERROR');
    expect(fake.restRequests('crm.deal.add')).toHaveLength(1);

    fake.queue(down, 'crm.timeline.comment.add');
    const net = await errorOf(b24.call('crm.timeline.comment.add', { fields: {} }));
    expect(net.code).toBe('NETWORK');
    expect(net.details.retryable).toBe(false);
    expect(fake.restRequests('crm.timeline.comment.add')).toHaveLength(1);
  });

  it('does not retry 503 OVERLOAD_LIMIT (a manual block)', async () => {
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake);
    fake.queue(() => json({ error: 'OVERLOAD_LIMIT', error_description: 'blocked' }, 503));
    expect((await errorOf(client(testDb.db, fake).forPortal(id).call('profile'))).code).toBe('OVERLOAD_LIMIT');
    expect(fake.restRequests()).toHaveLength(1);
  });
});

describe('endpoints', () => {
  it('follows a portal rename (302), re-sends the POST and stores the new endpoint', async () => {
    const fake = new FakeBitrix24({ domain: 'new-name.bitrix24.test' });
    fake.redirects.set('old-name.bitrix24.test', 'new-name.bitrix24.test');
    const id = await seedPortal(testDb.db, fake, { domain: 'old-name.bitrix24.test', clientEndpoint: 'https://old-name.bitrix24.test/rest/' });
    const b24 = client(testDb.db, fake).forPortal(id);
    await b24.call('crm.deal.update', { id: 5, fields: { TITLE: 'Renamed' } });
    const [first, second] = fake.restRequests();
    expect(first!.host).toBe('old-name.bitrix24.test');
    expect(second!).toMatchObject({ host: 'new-name.bitrix24.test', httpMethod: 'POST', body: { id: 5, fields: { TITLE: 'Renamed' }, auth: 'acc-0' } });
    expect(await portalRow(testDb.db, id)).toMatchObject({ clientEndpoint: 'https://new-name.bitrix24.test/rest/', domain: 'new-name.bitrix24.test' });
    await client(otherDb, fake).forPortal(id).call('profile');
    expect(fake.restRequests().at(-1)!.host).toBe('new-name.bitrix24.test');
  });

  it('refuses a redirect to plain http', async () => {
    const fake = new FakeBitrix24();
    const id = await seedPortal(testDb.db, fake);
    fake.queue(() => new Response(null, { status: 302, headers: { location: 'http://evil.example/rest/profile' } }));
    expect((await errorOf(client(testDb.db, fake).forPortal(id).call('profile'))).code).toBe('INSECURE_ENDPOINT');
    expect((await portalRow(testDb.db, id)).clientEndpoint).toBe(fake.clientEndpoint);
  });

  it('refuses plain http unless it is loopback and BITRIX24_ALLOW_INSECURE_ENDPOINTS is on', async () => {
    const fake = new FakeBitrix24();
    const external = await seedPortal(testDb.db, fake, { clientEndpoint: 'http://acme.bitrix24.test/rest/' });
    expect((await errorOf(client(testDb.db, fake).forPortal(external).call('profile'))).code).toBe('INSECURE_ENDPOINT');

    const loopbackFake = new FakeBitrix24({ domain: '127.0.0.1' });
    const loopback = await seedPortal(testDb.db, loopbackFake, { clientEndpoint: 'http://127.0.0.1/rest/' });
    const strict = client(testDb.db, loopbackFake, { env: { BITRIX24_ALLOW_INSECURE_ENDPOINTS: '0' } });
    expect((await errorOf(strict.forPortal(loopback).call('profile'))).code).toBe('INSECURE_ENDPOINT');
    expect(fake.requests.length + loopbackFake.requests.length).toBe(0);
    await client(testDb.db, loopbackFake).forPortal(loopback).call('profile');
    expect(loopbackFake.restRequests()).toHaveLength(1);
  });
});

describe('batch and lists', () => {
  /** A batch endpoint that runs `user.get?ID=n` commands, resolves in-request references and records sizes. */
  function batchingFake() {
    const sizes: number[] = [];
    const seenCmds: Record<string, string> = {};
    const fake = new FakeBitrix24().on('batch', (req) => {
      const cmd = req.body.cmd as Record<string, string>;
      sizes.push(Object.keys(cmd).length);
      if (Object.keys(cmd).length > 50) return json({ error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' }, 400);
      const result: Record<string, unknown> = {};
      const errors: Record<string, unknown> = {};
      for (const [key, str] of Object.entries(cmd)) {
        seenCmds[key] = str;
        const q = new URLSearchParams(str.slice(str.indexOf('?') + 1));
        let idValue = q.get('ID') ?? '';
        const ref = /^\$result\[([^\]]+)\]\[ID\]$/.exec(idValue);
        if (ref) idValue = String((result[ref[1]!] as { ID?: string } | undefined)?.ID ?? idValue);
        if (idValue === 'missing') errors[key] = { error: '', error_description: 'Not found' };
        else result[key] = { ID: idValue, NAME: q.get('fields[NAME]') ?? null };
      }
      return { result: { result, result_error: Object.keys(errors).length ? errors : [], result_total: [], result_next: [] } };
    });
    return { fake, sizes, seenCmds };
  }

  it('chunks at 50, resolves references across chunks itself and maps per-command errors', async () => {
    const { fake, sizes, seenCmds } = batchingFake();
    const id = await seedPortal(testDb.db, fake);
    const commands: Record<string, BatchCommand> = {};
    for (let i = 0; i < 120; i++) commands[`c${i}`] = ['user.get', { ID: i, fields: { NAME: `n ${i}&x` } }];
    commands.sameChunk = ['user.get', { ID: '$result[c100][ID]' }];
    commands.crossChunk = ['user.get', { ID: '$result[c3][ID]' }];
    commands.missing = ['crm.deal.get', { ID: 'missing' }];
    const r = await client(testDb.db, fake).forPortal(id).batch(commands);
    expect(sizes).toEqual([50, 50, 23]);
    expect(Object.keys(r.result)).toHaveLength(122);
    expect(r.result.c7).toEqual({ ID: '7', NAME: 'n 7&x' });
    expect(r.result.sameChunk).toEqual({ ID: '100', NAME: null });
    expect(r.result.crossChunk).toEqual({ ID: '3', NAME: null });
    expect(seenCmds.sameChunk).toBe('user.get?ID=$result[c100][ID]'); // left for Bitrix24
    expect(seenCmds.crossChunk).toBe('user.get?ID=3'); // filled in by the client
    expect(r.errors).toEqual({ missing: { error: 'NOT_FOUND', error_description: 'Not found' } });
    expect(r.result).not.toHaveProperty('missing');
  });

  it('halt stops at the chunk that failed', async () => {
    const { fake, sizes } = batchingFake();
    const id = await seedPortal(testDb.db, fake);
    const commands: Record<string, BatchCommand> = {};
    for (let i = 0; i < 100; i++) commands[`c${i}`] = ['user.get', { ID: i === 10 ? 'missing' : i }];
    const r = await client(testDb.db, fake).forPortal(id).batch(commands, { halt: true });
    expect(sizes).toEqual([50]);
    expect(r.errors.c10?.error).toBe('NOT_FOUND');
    expect(fake.restRequests('batch')[0]!.body.halt).toBe(1);
  });

  it('listAll reads page one, then the remaining pages fifty at a time through batch', async () => {
    const rows = Array.from({ length: 130 }, (_, i) => ({ ID: String(i + 1) }));
    const page = (start: number) => {
      const items = rows.slice(start, start + 50);
      return { result: items, total: rows.length, ...(start + 50 < rows.length ? { next: start + 50 } : {}) };
    };
    const fake = new FakeBitrix24()
      .on('crm.contact.list', (req) => page(Number(req.body.start ?? 0)))
      .on('batch', (req) => {
        const cmd = req.body.cmd as Record<string, string>;
        const result: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(cmd)) result[k] = page(Number(new URLSearchParams(s.split('?')[1]).get('start'))).result;
        return { result: { result, result_error: [] } };
      });
    const id = await seedPortal(testDb.db, fake);
    const all = await client(testDb.db, fake).forPortal(id).listAll<{ ID: string }>('crm.contact.list', { select: ['ID'] });
    expect(all.map((r) => r.ID)).toEqual(rows.map((r) => r.ID));
    expect(fake.restRequests().map((r) => r.method)).toEqual(['crm.contact.list', 'batch']);
    expect((fake.restRequests('batch')[0]!.body.cmd as Record<string, string>).p50).toBe('crm.contact.list?select[0]=ID&start=50');
  });

  it('listAll follows next page by page when there is no total, and unwraps {items}', async () => {
    const fake = new FakeBitrix24().on('crm.item.list', (req) => {
      const start = Number(req.body.start ?? 0);
      return { result: { items: [{ id: start }] }, ...(start < 100 ? { next: start + 50 } : {}) };
    });
    const id = await seedPortal(testDb.db, fake);
    const all = await client(testDb.db, fake).forPortal(id).listAll<{ id: number }>('crm.item.list', { entityTypeId: 2 });
    expect(all).toEqual([{ id: 0 }, { id: 50 }, { id: 100 }]);
  });
});
