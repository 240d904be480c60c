/**
 * `npm run bench:bitrix24-client` — the REST client against the in-process Bitrix24 emulator.
 *
 * 1. Load: BENCH_CALLS (500) calls from BENCH_INSTANCES (4) client instances, each on its own database
 *    connection pool, all on one portal, all started at once. The emulator enforces the portal's leaky
 *    bucket (2 req/s, burst 50 unless BENCH_RATE / BENCH_BURST say otherwise) and answers 503
 *    QUERY_LIMIT_EXCEEDED above it; the client's shared bucket should keep that at zero.
 * 2. Expiry storm: BENCH_STORM (50) concurrent calls, spread over the instances, on a portal whose
 *    access token the emulator has just expired (our stored expiry still looks fine, so every instance
 *    learns it from a 401). Refresh tokens are single-use: exactly one refresh may reach the OAuth server.
 *
 * Database: DATABASE_URL if set; otherwise a throwaway database on the local PostgreSQL
 * (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres); otherwise, or with
 * BENCH_DB=pglite, PGlite, which has one connection, so the instances share it (`db: "pglite"`).
 * Ends with one JSON line of figures.
 */
import { createBitrix24 } from '../src/bitrix24/client.js';
import { parseConfig } from '../src/config.js';
import { TEST_TOKEN_KEYS } from '../test/helpers/portal-tokens.js';
import type { Database, DbHandle } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { createPgliteDb } from '../src/db/pglite.js';
import { createPostgresDb } from '../src/db/postgres.js';
import { createEmulator, type PortalInfo } from '../src/emulator/index.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/logger.js';
import { createTestDb } from '../test/helpers/db.js';
import { storeEmulatedPortal } from '../test/helpers/emulated-portal.js';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const CALLS = num('BENCH_CALLS', 500);
const INSTANCES = num('BENCH_INSTANCES', 4);
const RATE = num('BENCH_RATE', 2);
const BURST = num('BENCH_BURST', 50);
const STORM = num('BENCH_STORM', 50);
const APP = { clientId: 'local.b24sign.bench', clientSecret: 'bench-secret' };

interface Databases {
  kind: 'postgres' | 'pglite';
  /** One per instance (the same one on PGlite). */
  perInstance: Database[];
  close(): Promise<void>;
}

async function openDatabases(): Promise<Databases> {
  if (process.env.BENCH_DB === 'pglite') return openPglite();
  if (process.env.DATABASE_URL) {
    const url = process.env.DATABASE_URL;
    const migrator = createPostgresDb(url, { max: 1 });
    await migrate(migrator.db);
    await migrator.close();
    const handles = Array.from({ length: INSTANCES }, () => createPostgresDb(url, { max: 3 }));
    return { kind: 'postgres', perInstance: handles.map((h) => h.db), close: async () => void (await Promise.all(handles.map((h) => h.close()))) };
  }
  try {
    const fresh = await createTestDb('postgres');
    const handles: DbHandle[] = Array.from({ length: INSTANCES }, () => createPostgresDb(fresh.url!, { max: 3 }));
    return {
      kind: 'postgres',
      perInstance: handles.map((h) => h.db),
      close: async () => {
        await Promise.all(handles.map((h) => h.close()));
        await fresh.close();
      },
    };
  } catch {
    return openPglite();
  }
}

async function openPglite(): Promise<Databases> {
  const h = await createPgliteDb();
  await migrate(h.db);
  return { kind: 'pglite', perInstance: Array.from({ length: INSTANCES }, () => h.db), close: () => h.close() };
}

const storePortal = (db: Database, info: PortalInfo, tag: string) =>
  storeEmulatedPortal(db, info, { id: `prt_bench_${tag}_${info.memberId.slice(0, 8)}` });

async function main() {
  const dbs = await openDatabases();
  const emu = createEmulator({ rateLimit: { perSecond: RATE, burst: BURST } });
  const config = parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SESSION_SECRET: 'bench-session-secret-that-is-long-enough-0123',
    BITRIX24_CLIENT_ID: APP.clientId,
    BITRIX24_CLIENT_SECRET: APP.clientSecret,
    // The emulator's hosts are *.bitrix24.test; its OAuth server is only accepted in this mode.
    BITRIX24_ALLOW_INSECURE_ENDPOINTS: '1',
    BITRIX24_RATE_PER_SECOND: String(RATE),
    BITRIX24_RATE_BURST: String(BURST),
    // The key storeEmulatedPortal seals with.
    TOKEN_ENCRYPTION_KEYS: TEST_TOKEN_KEYS,
  });
  const outbound: typeof fetch = async (input, init) => emu.fetch(new Request(input, init));
  const instances = dbs.perInstance.map((db) => createBitrix24({ db, fetch: outbound, clock: systemClock, logger: silentLogger(), config }));

  console.log(`bitrix24-client bench: ${INSTANCES} instances on ${dbs.kind}${dbs.kind === 'pglite' ? ' (one shared connection)' : ' (separate connection pools)'}, emulator bucket ${RATE}/s burst ${BURST}`);

  // 1. Load.
  const load = await emu.control.createPortal({ app: APP });
  const loadId = await storePortal(dbs.perInstance[0]!, load, 'load');
  const methods: [string, Record<string, unknown>][] = [['profile', {}], ['user.current', {}], ['crm.deal.get', { id: 2 }], ['app.info', {}]];
  let maxLevel = 0;
  const sampler = setInterval(() => (maxLevel = Math.max(maxLevel, emu.control.bucketLevel(load.memberId))), 20);
  const expected = Math.max(0, (CALLS - BURST) / RATE);
  console.log(`load: ${CALLS} calls at once; at ${RATE}/s after a burst of ${BURST} that takes about ${expected.toFixed(0)} s`);
  const progress = setInterval(() => {
    const done = emu.control.calls({ memberId: load.memberId }).length;
    console.log(`  … ${done} requests reached the portal`);
  }, 30_000);
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: CALLS }, (_, i) => {
      const [m, p] = methods[i % methods.length]!;
      return instances[i % INSTANCES]!.forPortal(loadId).call(m, p);
    }),
  );
  const wall = (performance.now() - started) / 1000;
  clearInterval(sampler);
  clearInterval(progress);
  const loadCalls = emu.control.calls({ memberId: load.memberId });
  const limit503s = loadCalls.filter((c) => c.httpStatus === 503).length;
  const failed = results.filter((r) => r.status === 'rejected');
  const achieved = loadCalls.length / wall;
  console.log(`load: ${CALLS} calls in ${wall.toFixed(1)} s, ${loadCalls.length} requests, ${achieved.toFixed(2)} req/s against a budget of ${RATE}/s (burst ${BURST})`);
  console.log(`load: ${limit503s} × 503 QUERY_LIMIT_EXCEEDED, ${failed.length} failed calls, highest emulator bucket level ${maxLevel.toFixed(2)} of ${BURST}`);
  if (failed.length) console.log(`  first failure: ${String((failed[0] as PromiseRejectedResult).reason)}`);

  // 2. Expiry storm on a second portal (its own bucket), every instance holding the soon-dead token.
  const storm = await emu.control.createPortal({ app: APP });
  const stormId = await storePortal(dbs.perInstance[0]!, storm, 'storm');
  await Promise.all(instances.map((c) => c.forPortal(stormId).call('profile')));
  emu.control.expireAccessTokens(storm.memberId);
  const refreshesBefore = emu.control.stats().refreshRequests;
  const stormStarted = performance.now();
  const stormResults = await Promise.allSettled(Array.from({ length: STORM }, (_, i) => instances[i % INSTANCES]!.forPortal(stormId).call('user.current')));
  const stormWall = (performance.now() - stormStarted) / 1000;
  const stormRefreshes = emu.control.stats().refreshRequests - refreshesBefore;
  const stormFailed = stormResults.filter((r) => r.status === 'rejected');
  const stormCalls = emu.control.calls({ memberId: storm.memberId }).slice(INSTANCES);
  const storm401 = stormCalls.filter((c) => c.httpStatus === 401).length;
  const storm503 = stormCalls.filter((c) => c.httpStatus === 503).length;
  console.log(`storm: ${STORM} concurrent calls on an expired token from ${INSTANCES} instances: ${stormRefreshes} refresh request(s) reached the OAuth server, ${stormFailed.length} calls failed`);
  console.log(`storm: ${stormCalls.length} requests (${storm401} × 401, ${storm503} × 503) in ${stormWall.toFixed(1)} s`);
  if (stormFailed.length) console.log(`  first failure: ${String((stormFailed[0] as PromiseRejectedResult).reason)}`);

  await dbs.close();
  console.log(
    JSON.stringify({
      db: dbs.kind,
      instances: INSTANCES,
      rate_per_s: RATE,
      burst: BURST,
      calls: CALLS,
      wall_s: Number(wall.toFixed(1)),
      requests: loadCalls.length,
      achieved_rps: Number(achieved.toFixed(3)),
      limit_503s: limit503s,
      failed_calls: failed.length,
      max_bucket_level: Number(maxLevel.toFixed(2)),
      storm_calls: STORM,
      storm_refreshes: stormRefreshes,
      storm_failed: stormFailed.length,
      storm_requests: stormCalls.length,
      storm_401s: storm401,
      storm_503s: storm503,
      storm_wall_s: Number(stormWall.toFixed(1)),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
