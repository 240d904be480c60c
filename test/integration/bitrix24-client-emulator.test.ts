/**
 * The REST client end to end against the Bitrix24 emulator (msw routes *.bitrix24.test and
 * oauth.bitrix24.test into it): real token rotation, real leaky bucket, real batch semantics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBitrix24, type Bitrix24Options } from '../../src/bitrix24/client.js';
import type { BatchCommand } from '../../src/bitrix24/types.js';
import type { Database, DbHandle } from '../../src/db/client.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import type { PortalInfo } from '../../src/emulator/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createTestDb, TEST_DB_KIND, type TestDb } from '../helpers/db.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { storeEmulatedPortal } from '../helpers/emulated-portal.js';
import { errorOf, portalRow } from '../helpers/fake-bitrix24.js';
import { testConfig } from '../helpers/services.js';

const APP = { clientId: 'local.b24sign.test', clientSecret: 'emulator-app-secret' };

let testDb: TestDb;
let other: DbHandle | undefined;
let otherDb: Database;
let emu: StartedEmulator;

beforeAll(async () => {
  testDb = await createTestDb();
  other = testDb.url ? createPostgresDb(testDb.url, { max: 3 }) : undefined;
  otherDb = other?.db ?? testDb.db;
  emu = await startEmulator({ rateLimit: { perSecond: 20, burst: 10 } });
});
afterAll(async () => {
  emu.close();
  await other?.close();
  await testDb.close();
});

function factory(db: Database, env: Record<string, string> = {}, options: Partial<Bitrix24Options> = {}) {
  const config = testConfig({
    BITRIX24_CLIENT_ID: APP.clientId,
    BITRIX24_CLIENT_SECRET: APP.clientSecret,
    // The emulator enforces 20/s burst 10; the client plans for a smaller bucket so that event-loop
    // stalls on a loaded CI machine stay harmless: PGlite runs its queries on the test's own thread.
    BITRIX24_RATE_PER_SECOND: '20',
    BITRIX24_RATE_BURST: TEST_DB_KIND === 'pglite' ? '6' : '8',
    ...env,
  });
  return createBitrix24({ db, fetch: (i, init) => globalThis.fetch(i, init), clock: systemClock, logger: silentLogger(), config, options: { retryBaseMs: 20, ...options } });
}

/** A new emulated portal with our app installed, stored the way the install flow stores it. */
async function newPortal(): Promise<{ id: string; info: PortalInfo }> {
  const info = await emu.control.createPortal({ app: APP });
  return { id: await storeEmulatedPortal(testDb.db, info), info };
}

describe('against the emulator', () => {
  it('calls, reads the envelope and lists every page', async () => {
    const { id } = await newPortal();
    const b24 = factory(testDb.db).forPortal(id);
    const profile = await b24.call<{ ID: string; ADMIN: boolean }>('profile');
    expect(profile.ADMIN).toBe(true);
    const page = await b24.callRaw<unknown[]>('crm.deal.list', { select: ['ID'] });
    expect(page.result).toHaveLength(50);
    expect(page).toMatchObject({ total: 60, next: 50 });
    const deals = await b24.listAll<{ ID: string }>('crm.deal.list', { select: ['ID', 'TITLE'], order: { ID: 'ASC' } });
    expect(deals).toHaveLength(60);
    expect(new Set(deals.map((d) => d.ID)).size).toBe(60);
  });

  it('maps the legacy empty error of crm.deal.get', async () => {
    const { id } = await newPortal();
    const e = await errorOf(factory(testDb.db).forPortal(id).call('crm.deal.get', { id: 987654 }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.method).toBe('crm.deal.get');
  });

  it('chunks a batch at 50 and resolves references inside and across chunks', async () => {
    const { id, info } = await newPortal();
    const b24 = factory(testDb.db).forPortal(id);
    const dealIds = (await b24.listAll<{ ID: string }>('crm.deal.list', { select: ['ID'] })).map((d) => d.ID);
    const commands: Record<string, BatchCommand> = {};
    for (let i = 0; i < 110; i++) commands[`d${i}`] = ['crm.deal.get', { id: dealIds[i % dealIds.length] }];
    commands.inside = ['crm.deal.get', { id: '$result[d105][ID]' }];
    commands.across = ['crm.deal.get', { id: '$result[d1][ID]' }];
    commands.missing = ['crm.deal.get', { id: 987654 }];
    const before = emu.control.calls({ memberId: info.memberId, method: 'batch' }).length;
    const r = await b24.batch(commands);
    const batches = emu.control.calls({ memberId: info.memberId, method: 'batch' }).slice(before);
    expect(batches).toHaveLength(3);
    expect(batches.map((c) => Object.keys(c.params.cmd as object).length)).toEqual([50, 50, 13]);
    expect(Object.keys(r.result)).toHaveLength(112);
    expect((r.result.inside as { ID: string }).ID).toBe(dealIds[105 % dealIds.length]);
    expect((r.result.across as { ID: string }).ID).toBe(dealIds[1]);
    expect(r.errors.missing?.error).toBe('NOT_FOUND');
  });

  it('expiry storm: 50 concurrent calls from two instances on an expired token make one refresh', async () => {
    const { id, info } = await newPortal();
    const a = factory(testDb.db);
    const b = factory(otherDb);
    emu.control.expireAccessTokens(info.memberId);
    // A slow token endpoint keeps the refresh in flight while the other instance's calls come back 401 too.
    emu.control.fault({ target: 'oauth', forMs: 10_000, delayMs: 300 });
    const refreshesBefore = emu.control.stats().refreshRequests;
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).forPortal(id).call('user.current')));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(emu.control.stats().refreshRequests - refreshesBefore).toBe(1);
    expect(emu.control.calls({ memberId: info.memberId }).filter((c) => c.httpStatus === 503)).toEqual([]);
    expect(await portalRow(testDb.db, id)).toMatchObject({ tokenVersion: 1, status: 'installed' });
    emu.control.clearFaults();
  });

  it('a revoked app: invalid_grant on refresh marks the portal needs_reauth', async () => {
    const { id, info } = await newPortal();
    emu.control.revokeTokens(info.memberId);
    const e = await errorOf(factory(testDb.db).forPortal(id).call('profile'));
    expect(e.code).toBe('PORTAL_NEEDS_REAUTH');
    expect((await portalRow(testDb.db, id)).status).toBe('needs_reauth');
    expect(emu.control.oauthLog().at(-1)?.outcome).toBe('invalid_grant');
  });

  it('two instances share the bucket: no QUERY_LIMIT_EXCEEDED', async () => {
    const { id, info } = await newPortal();
    const a = factory(testDb.db, {}, { limitRetries: 0 });
    const b = factory(otherDb, {}, { limitRetries: 0 });
    // profile is cheap in the emulator, so nothing but the limiter spaces these calls out.
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).forPortal(id).call('profile')));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(emu.control.calls({ memberId: info.memberId }).filter((c) => c.httpStatus === 503)).toEqual([]);
  });

  it('backs off after an emulator 503 and succeeds', async () => {
    const { id, info } = await newPortal();
    emu.control.fault({ memberId: info.memberId, method: 'crm.deal.list', count: 2, status: 503, error: 'QUERY_LIMIT_EXCEEDED' });
    await expect(factory(testDb.db).forPortal(id).call('crm.deal.list')).resolves.toHaveLength(50);
    expect(emu.control.calls({ memberId: info.memberId, method: 'crm.deal.list' }).map((c) => c.httpStatus)).toEqual([503, 503, 200]);
  });

  it('429 OPERATION_TIME_LIMIT pauses the method until operating_reset_at', async () => {
    const { id, info } = await newPortal();
    emu.control.blockMethod({ memberId: info.memberId, method: 'crm.deal.list', forMs: 90_000 });
    const b24 = factory(testDb.db).forPortal(id);
    const e = await errorOf(b24.call('crm.deal.list'));
    expect(e.code).toBe('OPERATION_TIME_LIMIT');
    expect(Math.abs(e.details.retryAt!.getTime() - (Date.now() + 90_000))).toBeLessThan(5_000);
    const sent = emu.control.calls({ memberId: info.memberId, method: 'crm.deal.list' }).length;
    expect((await errorOf(factory(otherDb).forPortal(id).call('crm.deal.list'))).code).toBe('OPERATION_TIME_LIMIT');
    expect(emu.control.calls({ memberId: info.memberId, method: 'crm.deal.list' })).toHaveLength(sent);
    await expect(b24.call('crm.deal.get', { id: 2 })).resolves.toBeDefined();
  });

  it('repeats a read after a 500, never a write', async () => {
    const { id, info } = await newPortal();
    const b24 = factory(testDb.db).forPortal(id);
    emu.control.fault({ memberId: info.memberId, method: 'user.current', count: 1, status: 500 });
    await expect(b24.call('user.current')).resolves.toBeDefined();
    emu.control.fault({ memberId: info.memberId, method: 'crm.timeline.comment.add', count: 1, status: 500 });
    const e = await errorOf(b24.call('crm.timeline.comment.add', { fields: { ENTITY_ID: 2, ENTITY_TYPE: 'deal', COMMENT: 'x' } }));
    expect(e.code).toBe('INTERNAL_SERVER_ERROR');
    expect(emu.control.calls({ memberId: info.memberId, method: 'crm.timeline.comment.add' })).toHaveLength(1);
  });

  it('follows a portal rename and stores the new endpoint', async () => {
    const { id, info } = await newPortal();
    const b24 = factory(testDb.db).forPortal(id);
    await b24.call('profile');
    const renamed = emu.control.renamePortal({ memberId: info.memberId, name: `renamed${info.memberId.slice(0, 6)}` });
    await expect(b24.call('crm.deal.get', { id: 2 })).resolves.toMatchObject({ ID: '2' });
    expect(await portalRow(testDb.db, id)).toMatchObject({ clientEndpoint: renamed.clientEndpoint, domain: renamed.domain });
  });
});
