import { developmentAssets } from '../../src/assets/development.js';
import { createBitrix24 } from '../../src/bitrix24/client.js';
import { parseConfig, type Config } from '../../src/config.js';
import { ManualClock, systemClock, type Clock } from '../../src/lib/clock.js';
import { realIds } from '../../src/lib/ids.js';
import { silentLogger } from '../../src/lib/logger.js';
import { nodeOffThread } from '../../src/entry/worker-threads.js';
import { installNodeFonts } from '../../src/entry/fonts.js';
import type { Services } from '../../src/services.js';
import { createTestDb, type TestDb } from './db.js';
import { TEST_TOKEN_KEYS } from './portal-tokens.js';
import { createJobHandlers } from '../../src/entry/jobs.js';
import type { JobHandlers } from '../../src/jobs/queue.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { mailerFromConfig } from '../../src/entry/smtp-mailer.js';
import { testSealer } from './sealer.js';
import { postgresBlobStore } from '../../src/blobs/postgres-store.js';
import { and, eq, gt, isNotNull } from 'drizzle-orm';
import { jobs } from '../../src/db/schema/jobs.js';

export const TEST_ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  PUBLIC_URL: 'http://b24sign.test',
  SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
  BITRIX24_ALLOW_INSECURE_ENDPOINTS: '1',
  TOKEN_ENCRYPTION_KEYS: TEST_TOKEN_KEYS,
} satisfies Record<string, string>;

export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig({ ...TEST_ENV, ...overrides });
}

/** Services over a fresh database; callers close `db` when done (e.g. in afterAll). */
export async function createTestServices(opts: { env?: Record<string, string>; clock?: Clock; fetch?: typeof fetch } = {}): Promise<Services & { testDb: TestDb }> {
  const testDb = await createTestDb();
  const config = testConfig(opts.env);
  const logger = silentLogger();
  const clock = opts.clock ?? systemClock;
  // Resolved per call, so an msw server started after these services still sees the traffic.
  const outbound: typeof fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const offThread = nodeOffThread(config);
  return {
    config,
    db: testDb.db,
    dbHandle: testDb,
    logger,
    clock,
    ids: realIds,
    fetch: outbound,
    bitrix24: createBitrix24({ db: testDb.db, fetch: outbound, clock, logger, config }),
    mailer: mailerFromConfig(config),
    sealer: await testSealer(),
    assets: developmentAssets(),
    offThread,
    fonts: installNodeFonts(),
    blobs: postgresBlobStore(testDb.db),
    testDb,
  };
}

/**
 * Runs every due job with the app's handlers, as the Node entry's runner would, until none is due
 * (advance a ManualClock to reach backoffs and later run_at). Pass `handlers` to run other kinds.
 */
export function drainJobs(services: Services, handlers: JobHandlers<Services> = createJobHandlers()): Promise<{ ran: number }> {
  const runner = createJobRunner({ db: services.db, handlers, services, logger: services.logger, clock: services.clock, concurrency: 1, pollMs: 50, leaseMs: 60_000, workerId: 'test-drain' });
  return runner.runUntilIdle();
}

/**
 * Drains jobs until `done()` holds. On a loaded machine a job may fail once (a TSA answering late, a
 * worker past its time limit) and wait out its backoff; that backoff is treated as elapsed, as a later
 * poll of the runner would. Fails with the jobs' last errors when `done()` never holds.
 */
export async function drainJobsUntil(services: Services, done: () => Promise<boolean>, rounds = 5): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await drainJobs(services);
    if (await done()) return;
    await services.db.update(jobs).set({ runAt: services.clock.now() }).where(and(eq(jobs.status, 'queued'), gt(jobs.attempts, 0)));
  }
  const failed = await services.db.select({ kind: jobs.kind, status: jobs.status, attempts: jobs.attempts, lastError: jobs.lastError }).from(jobs).where(isNotNull(jobs.lastError));
  throw new Error(`jobs never reached the expected state; jobs with errors: ${JSON.stringify(failed)}`);
}

export { ManualClock };
