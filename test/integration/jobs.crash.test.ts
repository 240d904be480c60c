import { sql } from 'drizzle-orm';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf, type DbHandle } from '../../src/db/client.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { enqueue, findJob, type Job, type JobContext } from '../../src/jobs/queue.js';
import { createJobRunner, type JobRunner } from '../../src/jobs/runner.js';
import { silentLogger } from '../../src/lib/logger.js';
import { pino } from 'pino';
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

/**
 * The same promise across a real process boundary: a runner in a child process (production
 * defaults: heartbeat 2 s, takeover 8 s, lease 60 s) is killed with SIGKILL while it holds a job.
 */
const CHILD = fileURLToPath(new URL('../fixtures/jobs/runner-process.ts', import.meta.url));

interface ChildRunner {
  lines: string[];
  kill(signal: NodeJS.Signals): void;
  exited: Promise<unknown>;
  waitForLine(line: string, timeoutMs?: number): Promise<void>;
}

function spawnRunner(url: string): ChildRunner {
  // The test's own Node (22) with tsx's loader: the fixture is TypeScript, like the code it runs.
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
      lines.push(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    lines,
    kill: (signal) => void child.kill(signal),
    exited,
    async waitForLine(line, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!lines.includes(line)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`runner process exited before "${line}": ${stderr}`);
        if (Date.now() > deadline) throw new Error(`runner process never said "${line}" (said ${JSON.stringify(lines)}): ${stderr}`);
        await sleep(20);
      }
    },
  };
}

describe.runIf(POSTGRES_REACHABLE)('a runner process killed with -9', () => {
  let own: TestDb;
  let survivorPool: DbHandle;
  let child: ChildRunner | undefined;
  let survivor: JobRunner | undefined;
  beforeAll(async () => {
    own = await createTestDb('postgres');
    survivorPool = createPostgresDb(own.url!, { max: 3 });
  });
  afterAll(async () => {
    await survivorPool?.close();
    await own?.close();
  });

  async function stopBoth() {
    child?.kill('SIGKILL');
    await child?.exited;
    await survivor?.stop({ timeoutMs: 2_000 });
    child = undefined;
    survivor = undefined;
  }

  /** A runner in this process with the production timings, recording what it ran and when. */
  function startSurvivor(ran: Array<{ id: number; at: number }>, pollMs: number): JobRunner {
    const record = async (job: Job) => void ran.push({ id: job.id, at: Date.now() });
    const r = createJobRunner<NoServices>({
      db: survivorPool.db,
      handlers: { block: record, stall: record, step: record },
      services: {},
      logger: silentLogger(),
      concurrency: 2,
      pollMs,
      leaseMs: 60_000,
      workerId: 'survivor',
    });
    r.start();
    return r;
  }

  it('its job is taken over within 10 s by its missed heartbeat, exactly once, and the rest of its key follows at once', { timeout: 60_000 }, async () => {
    const key = 'env-killed';
    const { job: held } = await enqueue(own.db, { kind: 'block', orderKey: key });
    const later: number[] = [];
    for (let n = 0; n < 3; n++) later.push((await enqueue(own.db, { kind: 'step', orderKey: key, payload: { n } })).job.id);
    const ran: Array<{ id: number; at: number }> = [];
    try {
      child = spawnRunner(own.url!);
      await child.waitForLine(`started ${held.id} 1`);
      // The production poll interval (JOBS_POLL_MS): the takeover bound includes one poll.
      survivor = startSurvivor(ran, 1_000);
      await sleep(1_500);
      expect(ran, 'nothing moves while the holder is alive').toEqual([]);

      child.kill('SIGKILL');
      await child.exited;
      const killedAt = Date.now();
      const deadline = killedAt + 20_000;
      while ((await findJob(own.db, later.at(-1)!))!.status !== 'done') {
        if (Date.now() > deadline) throw new Error(`the key did not finish 20 s after the kill: ${JSON.stringify(ran)}`);
        await sleep(25);
      }
      const takenAt = ran.find((r) => r.id === held.id)!.at;
      console.log(`takeover ${takenAt - killedAt} ms after kill -9; rest of the key ${ran.at(-1)!.at - takenAt} ms later`);
      expect(takenAt - killedAt).toBeLessThan(10_000);
      // By the heartbeat, not the lease (60 s) and not at once: the last heartbeat was at most 2 s old.
      expect(takenAt - killedAt).toBeGreaterThan(5_000);
      // The rest of the key right after, in order, each once.
      expect(ran.map((r) => r.id)).toEqual([held.id, ...later]);
      expect(ran.at(-1)!.at - takenAt).toBeLessThan(1_500);
    } finally {
      await stopBoth();
    }
    const row = (await findJob(own.db, held.id))!;
    expect(row).toMatchObject({ status: 'done', attempts: 2, lockedBy: null, heartbeatAt: null });
    expect(row.lastError).toMatch(/^heartbeat missed \(runner child:\d+ silent for \d+(\.\d)? s\)$/);
    for (const id of later) expect((await findJob(own.db, id))!.attempts).toBe(1);
  });

  it('a live runner whose event loop stalls for 5 s keeps its job: no second run', { timeout: 60_000 }, async () => {
    const ran: Array<{ id: number; at: number }> = [];
    try {
      child = spawnRunner(own.url!);
      await child.waitForLine('ready');
      const { job } = await enqueue(own.db, { kind: 'stall', payload: { stallMs: 5_000 } });
      await child.waitForLine(`started ${job.id} 1`);
      // An eager neighbour polling every 100 ms: it would take the job if silence alone were enough.
      survivor = startSurvivor(ran, 100);
      await child.waitForLine(`finished ${job.id}`, 20_000);
      const deadline = Date.now() + 5_000;
      while ((await findJob(own.db, job.id))!.status !== 'done') {
        if (Date.now() > deadline) throw new Error('the stalled runner never recorded its outcome');
        await sleep(25);
      }
      expect(ran).toEqual([]);
      expect(await findJob(own.db, job.id)).toMatchObject({ status: 'done', attempts: 1, lastError: null });
    } finally {
      await stopBoth();
    }
  });
});

describe.runIf(POSTGRES_REACHABLE)('the outcome write loses its connection', () => {
  it('pg_terminate_backend during the write: it is retried on a new connection at once, and the job runs once', { timeout: 30_000 }, async () => {
    const own = await createTestDb('postgres');
    const runnerPool = createPostgresDb(own.url!, { max: 2 });
    let runs = 0;
    const warnings: string[] = [];
    let endHandler!: () => void;
    const handlerMayEnd = new Promise<void>((resolve) => (endHandler = resolve));
    const r = createJobRunner<NoServices>({
      db: runnerPool.db,
      handlers: {
        'cut-write': async () => {
          runs++;
          await handlerMayEnd;
        },
      },
      services: {},
      logger: pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) }),
      concurrency: 1,
      pollMs: 20,
      leaseMs: 60_000,
      workerId: 'victim',
    });
    let unlock!: () => void;
    const unlocked = new Promise<void>((resolve) => (unlock = resolve));
    let holder: Promise<void> | undefined;
    try {
      const { job } = await enqueue(own.db, { kind: 'cut-write' });
      r.start();
      while (runs === 0) await sleep(10);
      // Hold the job's row, so the outcome write has to wait on its own connection, where we cut it.
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      holder = own.db.transaction(async (tx) => {
        await tx.execute(sql`select id from jobs where id = ${job.id} for update`);
        locked();
        await unlocked;
      });
      await isLocked;
      endHandler();
      let cut: number[] = [];
      for (const deadline = Date.now() + 5_000; cut.length === 0; await sleep(10)) {
        if (Date.now() > deadline) throw new Error('the outcome write never waited on the row');
        cut = rowsOf<{ pid: number }>(
          await own.db.execute(sql`select pid from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query like 'update "jobs" set "status"%'`),
        ).map((x) => x.pid);
      }
      await own.db.execute(sql`select pg_terminate_backend(pid) from unnest(${sql.raw(`array[${cut.join(',')}]::int[]`)}) as pid`);
      const cutAt = Date.now();
      unlock();
      await holder;
      while ((await findJob(own.db, job.id))!.status !== 'done') {
        if (Date.now() - cutAt > 10_000) throw new Error('the outcome was not recorded 10 s after its connection was cut');
        await sleep(10);
      }
      // The first retry comes 100 ms later on a fresh connection: nothing like the 60 s lease.
      expect(Date.now() - cutAt).toBeLessThan(2_000);
      expect(runs).toBe(1);
      expect(warnings).toContain('recording job outcome failed; retrying');
      expect(await findJob(own.db, job.id)).toMatchObject({ status: 'done', attempts: 1, lockedBy: null });
    } finally {
      unlock();
      await holder?.catch(() => undefined);
      await r.stop({ timeoutMs: 2_000 });
      await runnerPool.close();
      await own.close();
    }
  });
});
