import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rowsOf, type Database } from '../../src/db/client.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { jobs } from '../../src/db/schema/jobs.js';
import {
  backoffDelay,
  claimJobs,
  defineJob,
  enqueue,
  enqueueJob,
  findJob,
  handlersFrom,
  JobPermanentFailure,
  JobRetryLater,
  markDone,
  retryDeadJob,
  type Job,
  type JobHandlers,
} from '../../src/jobs/queue.js';
import { createJobRunner, type JobRunner, type JobRunnerOptions } from '../../src/jobs/runner.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger, silentLogger } from '../../src/lib/logger.js';
import { createJobHandlers, noopJob } from '../../src/entry/jobs.js';
import { createTestDb, POSTGRES_REACHABLE, type TestDb } from '../helpers/db.js';
import { createTestServices, drainJobs } from '../helpers/services.js';

type NoServices = Record<string, never>;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let testDb: TestDb;
let db: Database;
beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
});
afterAll(() => testDb.close());

// Each test uses its own kinds, so runners of one test never pick up another test's jobs.
let kindSeq = 0;
const freshKind = (name: string) => `${name}.${++kindSeq}`;

function runner(handlers: JobHandlers<NoServices>, opts: Partial<JobRunnerOptions<NoServices>> = {}) {
  return createJobRunner<NoServices>({
    db,
    handlers,
    services: {},
    logger: process.env.JOBS_DEBUG ? createLogger({ level: 'debug' }) : silentLogger(),
    concurrency: 2,
    pollMs: 20,
    leaseMs: 5_000,
    workerId: `w-${kindSeq}-${Math.random().toString(36).slice(2, 8)}`,
    ...opts,
  });
}

/** A hand-moved clock a minute ahead of the database, so jobs enqueued with the default run_at (now()) are due. */
const aheadClock = () => new ManualClock(new Date(Date.now() + 60_000));

const reload = async (id: number) => (await findJob(db, id))!;

describe('enqueue', () => {
  it('the same dedupe key twice gives one job and returns the first', async () => {
    const kind = freshKind('dedupe');
    const a = await enqueue(db, { kind, payload: { n: 1 }, dedupeKey: `${kind}:k` });
    const b = await enqueue(db, { kind, payload: { n: 2 }, dedupeKey: `${kind}:k` });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.job.id).toBe(a.job.id);
    expect(b.job.payload).toEqual({ n: 1 });
    const rows = await db.select().from(jobs).where(eq(jobs.kind, kind));
    expect(rows).toHaveLength(1);
  });

  it('dedupes with an order key too, and inside a transaction', async () => {
    const kind = freshKind('dedupe-tx');
    const first = await db.transaction(async (tx) => {
      const x = await enqueue(tx, { kind, dedupeKey: `${kind}:k`, orderKey: `${kind}:o` });
      const y = await enqueue(tx, { kind, dedupeKey: `${kind}:k`, orderKey: `${kind}:o` });
      expect(y.created).toBe(false);
      expect(y.job.id).toBe(x.job.id);
      return x.job;
    });
    const again = await enqueue(db, { kind, dedupeKey: `${kind}:k`, orderKey: `${kind}:o` });
    expect(again).toMatchObject({ created: false, job: { id: first.id } });
  });

  it('is atomic with the caller\'s transaction: a rollback leaves no job', async () => {
    const kind = freshKind('rollback');
    await expect(
      db.transaction(async (tx) => {
        await enqueue(tx, { kind, orderKey: `${kind}:o` });
        await enqueue(tx, { kind });
        throw new Error('domain write failed');
      }),
    ).rejects.toThrow('domain write failed');
    expect(await db.select().from(jobs).where(eq(jobs.kind, kind))).toHaveLength(0);
  });

  it.runIf(POSTGRES_REACHABLE)('enqueuers of one order key take turns until commit, so id order is commit order (on PostgreSQL)', async () => {
    // Needs concurrent transactions, which PGlite's single connection cannot have: on the PGlite run
    // this test opens a PostgreSQL database of its own.
    const own = testDb.url ? undefined : await createTestDb('postgres');
    const db = own?.db ?? testDb.db;
    try {
      await turns(db);
    } finally {
      await own?.close();
    }
  });

  async function turns(db: Database) {
    const kind = freshKind('turns');
    const key = `${kind}:env`;
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((r) => (releaseFirst = r));
    const first = db.transaction(async (tx) => {
      const { job } = await enqueue(tx, { kind, orderKey: key });
      events.push('first enqueued');
      await firstHolds;
      events.push('first commits');
      return job;
    });
    await waitFor('the first enqueue', () => events.length === 1);
    const second = db.transaction(async (tx) => {
      const { job } = await enqueue(tx, { kind, orderKey: key });
      events.push('second enqueued');
      return job;
    });
    // Another key is not held up.
    await enqueue(db, { kind, orderKey: `${kind}:other` });
    await sleep(150);
    expect(events).toEqual(['first enqueued']);
    releaseFirst();
    const [a, b] = await Promise.all([first, second]);
    expect(events).toEqual(['first enqueued', 'first commits', 'second enqueued']);
    expect(b.id).toBeGreaterThan(a.id);
  }

  it('enqueueJob type-checks the payload; a payload that does not parse goes dead without retries', async () => {
    const kind = freshKind('typed');
    const seen: string[] = [];
    const def = defineJob<{ name: string }, NoServices>(kind, z.object({ name: z.string() }), async (p) => {
      seen.push(p.name);
    });
    const ok = await enqueueJob(db, def, { name: 'Anna' });
    // A payload written by an older version, say, with the wrong shape:
    const bad = await enqueue(db, { kind, payload: { name: 42 } });
    await runner(handlersFrom([def])).runUntilIdle();
    expect(seen).toEqual(['Anna']);
    expect((await reload(ok.job.id)).status).toBe('done');
    const dead = await reload(bad.job.id);
    expect(dead.status).toBe('dead');
    expect(dead.attempts).toBe(1);
    expect(dead.lastError).toMatch(/invalid payload/);
  });
});

describe('the app\'s handlers', () => {
  it('drainJobs runs due jobs of the registered kinds with the app\'s services', async () => {
    const services = await createTestServices();
    try {
      const { job } = await enqueue(services.db, { kind: noopJob.kind });
      expect(createJobHandlers()).toHaveProperty(noopJob.kind);
      expect(await drainJobs(services)).toEqual({ ran: 1 });
      expect((await findJob(services.db, job.id))!.status).toBe('done');
    } finally {
      await services.testDb.close();
    }
  });
});

describe('scheduling and retries', () => {
  it('does not run a job before its run_at', async () => {
    const clock = aheadClock();
    const kind = freshKind('run-at');
    const ran: number[] = [];
    const r = runner({ [kind]: async (job) => void ran.push(job.id) }, { clock });
    const { job } = await enqueue(db, { kind, runAt: new Date(clock.now().getTime() + 60_000) });
    expect(await r.runUntilIdle()).toEqual({ ran: 0 });
    clock.advance(59_999);
    expect(await r.runUntilIdle()).toEqual({ ran: 0 });
    clock.advance(1);
    expect(await r.runUntilIdle()).toEqual({ ran: 1 });
    expect(ran).toEqual([job.id]);
    const done = await reload(job.id);
    expect(done.status).toBe('done');
    expect(done.doneAt).toEqual(clock.now());
    expect(done.lockedBy).toBeNull();
  });

  it('backs off exponentially with jitter, then goes dead keeping the last error', async () => {
    const clock = aheadClock();
    const kind = freshKind('backoff');
    let calls = 0;
    const policy = { baseMs: 1_000, maxMs: 3_600_000 };
    const r = runner(
      {
        [kind]: async () => {
          calls++;
          throw new Error(`boom ${calls}`);
        },
      },
      { clock, backoff: policy },
    );
    const { job } = await enqueue(db, { kind, maxAttempts: 5 });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect(await r.runUntilIdle()).toEqual({ ran: 1 });
      const j = await reload(job.id);
      expect(j).toMatchObject({ status: 'queued', attempts: attempt, lastError: `Error: boom ${attempt}`, lockedBy: null });
      const delay = j.runAt.getTime() - clock.now().getTime();
      const full = policy.baseMs * 2 ** (attempt - 1);
      expect(delay).toBeGreaterThanOrEqual(full / 2);
      expect(delay).toBeLessThanOrEqual(full);
      delays.push(delay);
      // Not a moment early…
      clock.advance(delay - 1);
      expect(await r.runUntilIdle()).toEqual({ ran: 0 });
      clock.advance(1);
    }
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays[3]).toBeGreaterThan(delays[0]! * 2);
    expect(await r.runUntilIdle()).toEqual({ ran: 1 });
    const dead = await reload(job.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 5, lastError: 'Error: boom 5', lockedBy: null, lockedUntil: null });
    clock.advance(10 * 3_600_000);
    expect(await r.runUntilIdle()).toEqual({ ran: 0 });
    expect(calls).toBe(5);
  });

  it('backoffDelay stays within [d/2, d] and respects the cap', () => {
    const p = { baseMs: 100, maxMs: 1_000 };
    expect(backoffDelay(1, p, () => 0)).toBe(50);
    expect(backoffDelay(1, p, () => 1)).toBe(100);
    expect(backoffDelay(3, p, () => 0.5)).toBe(300);
    expect(backoffDelay(30, p, () => 1)).toBe(1_000);
  });

  it('"retry later" does not count an attempt', async () => {
    const clock = aheadClock();
    const kind = freshKind('later');
    let calls = 0;
    const r = runner(
      {
        [kind]: async (_job, ctx) => {
          calls++;
          if (calls <= 3) throw new JobRetryLater(new Date(ctx.clock.now().getTime() + 30_000), 'QUERY_LIMIT_EXCEEDED');
        },
      },
      { clock },
    );
    // One attempt only: if deferrals counted, the second run would already be out of attempts.
    const { job } = await enqueue(db, { kind, maxAttempts: 1 });
    for (let i = 0; i < 3; i++) {
      expect(await r.runUntilIdle()).toEqual({ ran: 1 });
      const j = await reload(job.id);
      expect(j).toMatchObject({ status: 'queued', attempts: 0, lastError: 'JobRetryLater: QUERY_LIMIT_EXCEEDED' });
      expect(j.runAt.getTime()).toBe(clock.now().getTime() + 30_000);
      clock.advance(30_000);
    }
    expect(await r.runUntilIdle()).toEqual({ ran: 1 });
    expect(await reload(job.id)).toMatchObject({ status: 'done', attempts: 1 });
    expect(calls).toBe(4);
  });

  it('a permanent failure goes dead at once', async () => {
    const clock = aheadClock();
    const kind = freshKind('permanent');
    const r = runner({ [kind]: async () => Promise.reject(new JobPermanentFailure('portal uninstalled')) }, { clock });
    const { job } = await enqueue(db, { kind, maxAttempts: 10 });
    await r.runUntilIdle();
    expect(await reload(job.id)).toMatchObject({ status: 'dead', attempts: 1, lastError: 'JobPermanentFailure: portal uninstalled' });
    // An operator can put it back.
    expect(await retryDeadJob(db, job.id, clock.now())).toBe(true);
    expect(await reload(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('only claims kinds it has handlers for', async () => {
    const kind = freshKind('unknown');
    const { job } = await enqueue(db, { kind });
    expect(await runner({ [freshKind('other')]: async () => {} }).runUntilIdle()).toEqual({ ran: 0 });
    expect((await reload(job.id)).status).toBe('queued');
  });
});

describe('leases', () => {
  it('a lapsed lease is reclaimed; the old holder can no longer settle the job', async () => {
    const clock = aheadClock();
    const kind = freshKind('fence');
    const { job } = await enqueue(db, { kind });
    const [mine] = await claimJobs(db, { workerId: 'crashed', limit: 1, kinds: [kind], now: clock.now(), leaseMs: 1_000 });
    expect(mine).toMatchObject({ id: job.id, status: 'running', attempts: 1, lockedBy: 'crashed' });
    // Within the lease nobody else gets it.
    clock.advance(999);
    expect(await claimJobs(db, { workerId: 'other', limit: 1, kinds: [kind], now: clock.now(), leaseMs: 1_000 })).toHaveLength(0);
    clock.advance(2);
    const [theirs] = await claimJobs(db, { workerId: 'other', limit: 1, kinds: [kind], now: clock.now(), leaseMs: 1_000 });
    expect(theirs).toMatchObject({ id: job.id, attempts: 2, lockedBy: 'other' });
    expect(theirs!.lastError).toMatch(/lease expired \(runner crashed/);
    expect(await markDone(db, mine!, 'crashed', clock.now())).toBe(false);
    expect(await markDone(db, theirs!, 'other', clock.now())).toBe(true);
  });

  it('a job whose runner died on its last attempt goes dead instead of running again', async () => {
    const clock = aheadClock();
    const kind = freshKind('last-attempt');
    let calls = 0;
    const { job } = await enqueue(db, { kind, maxAttempts: 1 });
    await claimJobs(db, { workerId: 'crashed', limit: 1, kinds: [kind], now: clock.now(), leaseMs: 1_000 });
    clock.advance(1_001);
    await runner({ [kind]: async () => void calls++ }, { clock }).runUntilIdle();
    expect(calls).toBe(0);
    expect(await reload(job.id)).toMatchObject({ status: 'dead', lastError: expect.stringMatching(/lease expired/) });
  });

  it('the heartbeat keeps a slow but alive job from being run twice', async () => {
    const kind = freshKind('slow');
    const starts: string[] = [];
    const slow = async (_job: Job, ctx: { workerId: string }) => {
      starts.push(ctx.workerId);
      await sleep(1_600);
    };
    // Lease 500 ms, job 1.6 s: without renewal the second runner would take it over after 500 ms.
    // (The lease leaves room for event-loop stalls on a busy machine: renewal comes every 166 ms.)
    const a = runner({ [kind]: slow }, { leaseMs: 500, workerId: 'slow-a' });
    const b = runner({ [kind]: slow }, { leaseMs: 500, workerId: 'slow-b', pollMs: 10 });
    const { job } = await enqueue(db, { kind });
    try {
      a.start();
      await waitFor('a to take the job', () => starts.length === 1);
      b.start();
      await waitFor('the job to finish', async () => (await reload(job.id)).status === 'done', 10_000);
    } finally {
      await Promise.all([a.stop({ timeoutMs: 2_000 }), b.stop({ timeoutMs: 2_000 })]);
    }
    expect(starts).toEqual(['slow-a']);
    expect((await reload(job.id)).attempts).toBe(1);
  });

  it('a runner whose job was taken over is told through ctx.signal and does not settle it', async () => {
    const kind = freshKind('stolen');
    let aborted = '';
    const r = runner(
      {
        [kind]: async (_job, ctx) => {
          await new Promise<void>((resolve) => {
            const give = setTimeout(resolve, 5_000);
            ctx.signal.addEventListener('abort', () => {
              aborted = String((ctx.signal.reason as Error).message);
              clearTimeout(give);
              resolve();
            });
          });
        },
      },
      { leaseMs: 600 },
    );
    const { job } = await enqueue(db, { kind });
    r.start();
    try {
      await waitFor('the job to start', () => r.running() === 1);
      // Another runner reclaimed it (as if our lease had lapsed during a long pause).
      await db.update(jobs).set({ lockedBy: 'thief', attempts: 2 }).where(eq(jobs.id, job.id));
      await waitFor('the abort', () => aborted !== '', 5_000);
    } finally {
      await r.stop();
    }
    expect(aborted).toMatch(/lease lost/);
    expect(await reload(job.id)).toMatchObject({ status: 'running', lockedBy: 'thief' });
  });

  it('stop() waits for running jobs', async () => {
    const kind = freshKind('graceful');
    let finished = false;
    const r = runner({
      [kind]: async () => {
        await sleep(200);
        finished = true;
      },
    });
    const { job } = await enqueue(db, { kind });
    r.start();
    await waitFor('the job to start', () => r.running() === 1);
    await r.stop();
    expect(finished).toBe(true);
    expect((await reload(job.id)).status).toBe('done');
  });
});

describe('per-key ordering', () => {
  it('a later job of a key waits while an earlier one backs off; a dead one does not block', async () => {
    const clock = aheadClock();
    const kind = freshKind('order');
    const log: string[] = [];
    let firstFailures = 1;
    const r = runner(
      {
        [kind]: async (job) => {
          const step = String(job.payload.step);
          log.push(step);
          if (step === 'one' && firstFailures-- > 0) throw new Error('transient');
          if (step === 'two') throw new JobPermanentFailure('broken');
        },
      },
      { clock, concurrency: 4, backoff: { baseMs: 1_000, maxMs: 1_000 } },
    );
    const key = `${kind}:env`;
    const one = await enqueue(db, { kind, orderKey: key, payload: { step: 'one' } });
    await enqueue(db, { kind, orderKey: key, payload: { step: 'two' } });
    await enqueue(db, { kind, orderKey: key, payload: { step: 'three' } });
    await r.runUntilIdle();
    expect(log).toEqual(['one']); // two and three wait behind the backing-off one
    expect((await reload(one.job.id)).status).toBe('queued');
    clock.advance(1_000);
    await r.runUntilIdle();
    expect(log).toEqual(['one', 'one', 'two', 'three']);
    const rows = await db.select().from(jobs).where(eq(jobs.orderKey, key)).orderBy(jobs.id);
    expect(rows.map((j) => j.status)).toEqual(['done', 'dead', 'done']);
  });

  it('holds under two concurrent runners (two connection pools on PostgreSQL, one shared PGlite otherwise)', async () => {
    const kind = freshKind('order2');
    const second = testDb.url ? createPostgresDb(testDb.url, { max: 4 }) : undefined;
    const events: Array<{ key: string; seq: number; what: 'start' | 'ok' | 'fail'; by: string }> = [];
    const ranBy = new Map<string, number>();
    const handler = async (job: Job, ctx: { workerId: string }) => {
      const { key, seq, flaky } = job.payload as { key: string; seq: number; flaky: boolean };
      events.push({ key, seq, what: 'start', by: ctx.workerId });
      ranBy.set(ctx.workerId, (ranBy.get(ctx.workerId) ?? 0) + 1);
      await sleep(Math.random() * 4);
      if (flaky && job.attempts === 1) {
        events.push({ key, seq, what: 'fail', by: ctx.workerId });
        throw new Error('flaky');
      }
      events.push({ key, seq, what: 'ok', by: ctx.workerId });
    };
    const keys = ['a', 'b', 'c', 'd'].map((k) => `${kind}:${k}`);
    const perKey = 20;
    // Interleaved across keys, with some keyless filler that runs freely alongside.
    for (let seq = 0; seq < perKey; seq++) {
      for (const key of keys) await enqueue(db, { kind, orderKey: key, payload: { key, seq, flaky: seq % 7 === 3 } });
      await enqueue(db, { kind, payload: { key: 'none', seq, flaky: false } });
    }
    const opts = { concurrency: 4, pollMs: 5, backoff: { baseMs: 10, maxMs: 20 } };
    const a = runner({ [kind]: handler }, { ...opts, workerId: 'order-a' });
    const b = createJobRunner<NoServices>({ ...opts, db: second?.db ?? db, handlers: { [kind]: handler }, services: {}, logger: silentLogger(), leaseMs: 5_000, workerId: 'order-b' });
    try {
      a.start();
      b.start();
      const total = keys.length * perKey + perKey;
      await waitFor('all jobs done', async () => {
        const rows = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from jobs where kind = ${kind} and status = 'done'`));
        return Number(rows[0]!.n) === total;
      });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await second?.close();
    }
    for (const key of keys) {
      const mine = events.filter((e) => e.key === key);
      let next = 0;
      let open = false;
      for (const e of mine) {
        if (e.what === 'start') {
          expect(open, `${key}: seq ${e.seq} started while another job of the key ran`).toBe(false);
          expect(e.seq, `${key}: started out of order`).toBe(next);
          open = true;
        } else {
          expect(open).toBe(true);
          open = false;
          if (e.what === 'ok') next++;
        }
      }
      expect(next).toBe(perKey);
    }
    // Both runners really took part.
    expect(ranBy.get('order-a') ?? 0).toBeGreaterThan(5);
    expect(ranBy.get('order-b') ?? 0).toBeGreaterThan(5);
  });
});

/**
 * The runner's database, with UPDATE statements failing while `failing(values)` says so: what a
 * dropped connection or a restarting server looks like to the outcome write (or to every write).
 */
function withFailingUpdates(real: Database, failing: (values: Record<string, unknown>) => boolean): Database {
  const rejected = (err: Error): any =>
    new Proxy(() => {}, { get: (_t, p) => (p === 'then' ? (ok: never, fail: never) => Promise.reject(err).then(ok, fail) : () => rejected(err)) });
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'update') return Reflect.get(target, prop, receiver);
      return (table: typeof jobs) => {
        const builder = target.update(table);
        return new Proxy(builder, {
          get(b, p, r) {
            if (p !== 'set') return Reflect.get(b, p, r);
            return (values: Record<string, unknown>) =>
              failing(values) ? rejected(new Error('write failed: connection terminated (injected)')) : b.set(values as never);
          },
        });
      };
    },
  });
}

/** Outcome writes (done, retry, dead) are the updates that set a status; heartbeats and disowning do not. */
const isOutcome = (values: Record<string, unknown>) => 'status' in values && values.status !== 'running';

/** A runs the job and cannot record it; B, started once A ran it, must run it again and record it. */
async function handOver(a: JobRunner, b: JobRunner, jobId: number, ran: unknown[]): Promise<void> {
  try {
    a.start();
    await waitFor('a to run the job', () => ran.length === 1);
    b.start();
    await waitFor('b to run it again', () => ran.length === 2, 10_000);
    await waitFor('the outcome', async () => (await reload(jobId)).status === 'done', 5_000);
  } finally {
    // A may still be retrying its outcome write: it gives up within its settleRetryMs.
    await Promise.all([a.stop({ timeoutMs: 6_000 }), b.stop({ timeoutMs: 2_000 })]);
  }
}

describe('recording the outcome', () => {
  it('a failed outcome write is retried within a second, and the job does not run again', async () => {
    const kind = freshKind('settle-retry');
    let failures = 0;
    let runs = 0;
    let handlerEnd = 0;
    const faulty = withFailingUpdates(db, (values) => isOutcome(values) && failures < 3 && ++failures > 0);
    const r = runner(
      {
        [kind]: async () => {
          runs++;
          handlerEnd = Date.now();
        },
      },
      { db: faulty },
    );
    const { job } = await enqueue(db, { kind });
    r.start();
    try {
      await waitFor('the outcome', async () => (await reload(job.id)).status === 'done', 5_000);
    } finally {
      await r.stop();
    }
    const doneAt = Date.now();
    expect(failures).toBe(3);
    expect(runs).toBe(1);
    // Three failures, then 100 + 200 + 400 ms of backoff: nowhere near the 5 s lease.
    expect(doneAt - handlerEnd).toBeLessThan(2_000);
    expect(await reload(job.id)).toMatchObject({ status: 'done', attempts: 1, lockedBy: null, heartbeatAt: null });
  });

  it('an outcome that cannot be written is given up and the job is run again at once, not after its lease', async () => {
    const kind = freshKind('settle-give-up');
    const ran: Array<{ by: string; at: number }> = [];
    const handler = async (_job: Job, ctx: { workerId: string }) => void ran.push({ by: ctx.workerId, at: Date.now() });
    // A's outcome writes (and, once it ran the job, its claims) fail; its heartbeats and the disowning write go through.
    const failsForA = (values: Record<string, unknown>) => isOutcome(values) || (values.status === 'running' && ran.length > 0);
    const a = runner({ [kind]: handler }, { db: withFailingUpdates(db, failsForA), workerId: 'settle-a', leaseMs: 60_000, settleRetryMs: 500 });
    const b = runner({ [kind]: handler }, { workerId: 'settle-b', leaseMs: 60_000 });
    const { job } = await enqueue(db, { kind });
    await handOver(a, b, job.id, ran);
    expect(ran.map((x) => x.by)).toEqual(['settle-a', 'settle-b']);
    // Retried (after 100 and 200 ms) until the next wait would pass settleRetryMs, then disowned:
    // claimable at once, not after the 8 s takeover window or the 60 s lease.
    expect(ran[1]!.at - ran[0]!.at).toBeGreaterThanOrEqual(300);
    expect(ran[1]!.at - ran[0]!.at).toBeLessThan(2_500);
    expect(await reload(job.id)).toMatchObject({ status: 'done', attempts: 2, lockedBy: null });
  });

  it('when the database is unreachable for the holder, its job is taken over once the heartbeat is stale', async () => {
    const kind = freshKind('settle-outage');
    const ran: Array<{ by: string; at: number }> = [];
    let outage = false;
    const handler = async (_job: Job, ctx: { workerId: string }) => {
      ran.push({ by: ctx.workerId, at: Date.now() });
      // The holder loses the database just as its handler ends: no outcome, no heartbeat, no disowning.
      if (ctx.workerId === 'outage-a') outage = true;
    };
    const timing = { heartbeatMs: 100, takeoverMs: 800, leaseMs: 60_000 };
    const a = runner({ [kind]: handler }, { ...timing, db: withFailingUpdates(db, () => outage), workerId: 'outage-a', settleRetryMs: 5_000 });
    const b = runner({ [kind]: handler }, { ...timing, workerId: 'outage-b' });
    const { job } = await enqueue(db, { kind });
    await handOver(a, b, job.id, ran);
    expect(ran.map((x) => x.by)).toEqual(['outage-a', 'outage-b']);
    expect(ran[1]!.at - ran[0]!.at).toBeGreaterThanOrEqual(600);
    expect(ran[1]!.at - ran[0]!.at).toBeLessThan(3_000);
    const row = await reload(job.id);
    expect(row).toMatchObject({ status: 'done', attempts: 2, lockedBy: null });
    expect(row.lastError).toMatch(/^heartbeat missed \(runner outage-a silent for/);
  });

  it('last_error drops NUL characters, which PostgreSQL text cannot store', async () => {
    const kind = freshKind('nul');
    const r = runner({ [kind]: async () => Promise.reject(new JobPermanentFailure('bad\u0000byte')) });
    const { job } = await enqueue(db, { kind });
    await r.runUntilIdle();
    expect(await reload(job.id)).toMatchObject({ status: 'dead', lastError: 'JobPermanentFailure: badbyte' });
  });
});

describe('heartbeat takeover', () => {
  it('a silent holder\'s job is taken over before its lease lapses; the old holder can no longer settle it', async () => {
    const clock = aheadClock();
    const kind = freshKind('silent');
    const { job } = await enqueue(db, { kind });
    const claim = (workerId: string) => claimJobs(db, { workerId, limit: 1, kinds: [kind], now: clock.now(), leaseMs: 60_000, takeoverMs: 300 });
    const [mine] = await claim('silent');
    expect(mine).toMatchObject({ id: job.id, lockedBy: 'silent', heartbeatAt: expect.any(Date) });
    expect(await claim('eager')).toHaveLength(0);
    await sleep(450);
    // The lease (60 s by the hand-set clock) has not lapsed: only the heartbeat's age lets this happen.
    const [theirs] = await claim('other');
    expect(theirs).toMatchObject({ id: job.id, attempts: 2, lockedBy: 'other' });
    expect(theirs!.lastError).toMatch(/^heartbeat missed \(runner silent silent for 0\.\d s\)$/);
    expect(await markDone(db, mine!, 'silent', clock.now())).toBe(false);
    expect(await markDone(db, theirs!, 'other', clock.now())).toBe(true);
  });

  it('refuses a takeover window shorter than two heartbeats', () => {
    expect(() => runner({}, { heartbeatMs: 1_000, takeoverMs: 1_500 })).toThrow(/at least two heartbeats/);
  });
});
