import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf, type DbHandle } from '../../src/db/client.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { enqueue, type Job, type JobContext } from '../../src/jobs/queue.js';
import { createJobRunner, type JobRunner } from '../../src/jobs/runner.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createTestDb, POSTGRES_REACHABLE, type TestDb } from '../helpers/db.js';

/**
 * The queue's promise under failure, on the real server whatever TEST_DB says: two runners on two
 * separate connection pools (as two app instances would be) share 200 jobs; one of them crashes in
 * the middle of its jobs. Every job must still finish, and finish exactly once.
 */

type NoServices = Record<string, never>;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const never = () => new Promise<never>(() => {});

const TOTAL = 200;
const LEASE_MS = 600;
const KIND = 'crash-test';

let testDb: TestDb;
let poolA: DbHandle;
let poolB: DbHandle;
beforeAll(async () => {
  if (!POSTGRES_REACHABLE) return;
  testDb = await createTestDb('postgres');
  poolA = createPostgresDb(testDb.url!, { max: 5 });
  poolB = createPostgresDb(testDb.url!, { max: 5 });
});
afterAll(async () => {
  await poolA?.close();
  await poolB?.close();
  await testDb?.close();
});

describe.runIf(POSTGRES_REACHABLE)('two runners, one dies mid-job', () => {
  it('runs every one of 200 jobs to completion exactly once', { timeout: 60_000 }, async () => {
    // Every 20th job outlives the lease several times over: only the heartbeat keeps it single.
    // A quarter of the jobs belong to 10 order keys, so reclaiming must also respect order.
    const expected: number[] = [];
    for (let i = 0; i < TOTAL; i++) {
      const slow = i % 20 === 7;
      const orderKey = i % 4 === 0 ? `env-${i % 10}` : undefined;
      const { job } = await enqueue(testDb.db, { kind: KIND, orderKey, payload: { i, slow } });
      expected.push(job.id);
    }

    const starts: Array<{ id: number; by: string; at: number }> = [];
    const finishes: Array<{ id: number; by: string; key: string | null }> = [];
    const crashed = new Set<string>();
    let crash: (() => void) | undefined;

    const handler = async (job: Job, ctx: JobContext<NoServices>) => {
      starts.push({ id: job.id, by: ctx.workerId, at: Date.now() });
      const { slow } = job.payload as { slow: boolean };
      await sleep(slow ? LEASE_MS * 2.5 : 3 + Math.random() * 12);
      // A crashed process runs no more code: its jobs stop here, unrecorded and unsettled.
      if (crashed.has(ctx.workerId)) return never();
      // Runner A crashes inside its 41st job (with other jobs of its own still in flight).
      if (ctx.workerId === 'runner-a' && finishes.filter((f) => f.by === 'runner-a').length >= 40 && crash) {
        crash();
        return never();
      }
      finishes.push({ id: job.id, by: ctx.workerId, key: job.orderKey });
    };

    const make = (db: DbHandle, workerId: string): JobRunner =>
      createJobRunner<NoServices>({
        db: db.db,
        handlers: { [KIND]: handler },
        services: {},
        logger: silentLogger(),
        concurrency: 4,
        pollMs: 10,
        leaseMs: LEASE_MS,
        workerId,
      });
    const a = make(poolA, 'runner-a');
    const b = make(poolB, 'runner-b');

    let crashedAt = 0;
    const aDown = new Promise<void>((resolve) => {
      crash = () => {
        crash = undefined;
        crashed.add('runner-a');
        crashedAt = Date.now();
        // Stop claiming and heartbeating at once, and do not wait for the jobs in flight.
        void a.stop({ timeoutMs: 0 }).then(resolve);
      };
    });

    a.start();
    b.start();
    try {
      await aDown;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const [row] = rowsOf<{ done: number }>(await testDb.db.execute(sql`select count(*)::int as done from jobs where status = 'done'`));
        if (Number(row!.done) === TOTAL) break;
        if (Date.now() > deadline) throw new Error(`only ${row!.done} of ${TOTAL} jobs done 30 s after the crash`);
        await sleep(25);
      }
    } finally {
      await b.stop();
    }

    // Exactly once, none lost.
    const finishedIds = finishes.map((f) => f.id).sort((x, y) => x - y);
    expect(new Set(finishedIds).size, 'a job finished twice').toBe(finishedIds.length);
    expect(finishedIds).toEqual([...expected].sort((x, y) => x - y));

    // The crash really left jobs behind, and runner B picked them up once A's lease lapsed.
    const startsOf = (id: number) => starts.filter((s) => s.id === id);
    const abandoned = [...new Set(starts.filter((s) => s.by === 'runner-a').map((s) => s.id))].filter(
      (id) => !finishes.some((f) => f.id === id && f.by === 'runner-a'),
    );
    expect(abandoned.length).toBeGreaterThanOrEqual(1);
    for (const id of abandoned) {
      expect(startsOf(id).map((s) => s.by)).toEqual(['runner-a', 'runner-b']);
      expect(finishes.find((f) => f.id === id)!.by).toBe('runner-b');
    }
    // Nothing else started twice: the slow jobs were kept by their heartbeats.
    const restarted = [...new Set(starts.map((s) => s.id))].filter((id) => startsOf(id).length > 1);
    expect(restarted.sort()).toEqual([...abandoned].sort());
    expect(finishes.filter((f) => f.by === 'runner-a').length).toBeGreaterThanOrEqual(40);

    console.log('DIAG', { abandoned, a: finishes.filter((f) => f.by === 'runner-a').length, b: finishes.filter((f) => f.by === 'runner-b').length });
    // The rows agree: all done, the abandoned ones on their second attempt, saying why.
    const rows = rowsOf<{ id: number | string; attempts: number; last_error: string | null; locked_by: string | null }>(
      await testDb.db.execute(sql`select id, attempts, last_error, locked_by from jobs where status = 'done' order by id`),
    );
    expect(rows).toHaveLength(TOTAL);
    for (const r of rows) {
      const id = Number(r.id);
      expect(r.locked_by).toBeNull();
      if (abandoned.includes(id)) {
        expect(r.attempts).toBe(2);
        expect(r.last_error).toMatch(/lease expired \(runner runner-a/);
      } else {
        expect(r.attempts).toBe(1);
      }
    }

    // Per-key order held through the takeover.
    const byKey = new Map<string, number[]>();
    for (const f of finishes) if (f.key) byKey.set(f.key, [...(byKey.get(f.key) ?? []), f.id]);
    for (const [key, ids] of byKey) expect(ids, key).toEqual([...ids].sort((x, y) => x - y));

    // The takeover came from the lapsed lease: not before A's last renewal could have run out.
    for (const id of abandoned) {
      const retake = startsOf(id).find((s) => s.by === 'runner-b')!;
      expect(retake.at - crashedAt).toBeGreaterThanOrEqual(LEASE_MS / 2);
    }
  });
});
