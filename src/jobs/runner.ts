import type { Database } from '../db/client.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Services } from '../services.js';
import {
  backoffDelay,
  claimJobs,
  DEFAULT_BACKOFF,
  describeError,
  extendLeases,
  JobPermanentFailure,
  JobRetryLater,
  markDead,
  markDone,
  markRetry,
  type BackoffPolicy,
  type Job,
  type JobHandlers,
} from './queue.js';

export interface JobRunnerOptions<S = Services> {
  db: Database;
  handlers: JobHandlers<S>;
  /** Handed to every handler as ctx.services. */
  services: S;
  logger: Logger;
  clock?: Clock;
  /** Jobs this runner runs at once. */
  concurrency: number;
  /** How long to sleep when nothing is due (a finished job wakes the loop early). */
  pollMs: number;
  /** How long a claim lasts without a heartbeat; the heartbeat renews it every leaseMs/3. */
  leaseMs: number;
  /** Recorded in locked_by; unique per process (host:pid:random). */
  workerId: string;
  backoff?: BackoffPolicy;
  random?: () => number;
}

export interface JobRunner {
  readonly workerId: string;
  /** Starts the poll loop (idempotent). */
  start(): void;
  /**
   * Stops claiming and waits for running jobs. With `timeoutMs`, gives up waiting after that long:
   * the jobs still running are abandoned (their signal aborts, their leases stop being renewed, and
   * another runner reclaims them once the lease lapses).
   */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /** Claims and runs due jobs until none are due and none are running (tests, Workers' scheduled()). */
  runUntilIdle(): Promise<{ ran: number }>;
  /** Number of jobs running right now. */
  running(): number;
}

interface InFlight {
  job: Job;
  controller: AbortController;
  /** Our own view of the lease end: if heartbeats keep failing past it, we stop believing we own the job. */
  leaseUntil: number;
  /** Set once the handler returned and its outcome is being written: heartbeats leave it alone. */
  settling: boolean;
  done: Promise<void>;
}

export function createJobRunner<S = Services>(opts: JobRunnerOptions<S>): JobRunner {
  const { db, handlers, services, logger, workerId, leaseMs, pollMs } = opts;
  const clock = opts.clock ?? systemClock;
  const concurrency = Math.max(1, opts.concurrency);
  const policy = opts.backoff ?? DEFAULT_BACKOFF;
  const random = opts.random ?? Math.random;
  const kinds = Object.keys(handlers);
  const inFlight = new Map<number, InFlight>();

  let loop: Promise<void> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let beating = false;
  let claiming: Promise<unknown> = Promise.resolve();
  /**
   * Bumped whenever a job settles. A job that settles while a claim is in flight may have unblocked
   * the next job of its key after the claim's snapshot was taken; callers compare before and after
   * so that "nothing claimed" is only trusted when nothing settled meanwhile.
   */
  let settled = 0;

  const nudge = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        if (wake === finish) wake = undefined;
        resolve();
      }
      wake = finish;
    });

  const startHeartbeat = () => {
    if (heartbeat) return;
    heartbeat = setInterval(() => void beat(), Math.max(20, Math.floor(leaseMs / 3)));
    heartbeat.unref?.();
  };
  const stopHeartbeat = () => {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = undefined;
  };

  async function beat() {
    if (beating) return;
    const entries = [...inFlight.values()].filter((e) => !e.settling);
    if (entries.length === 0) return;
    beating = true;
    try {
      const until = clock.now().getTime() + leaseMs;
      const kept = new Set((await extendLeases(db, workerId, entries.map((e) => e.job), new Date(until))).map((r) => r.id));
      for (const e of entries) {
        if (kept.has(e.job.id)) e.leaseUntil = until;
        else if (!e.settling && inFlight.get(e.job.id) === e) loseLease(e, 'lease lost: the job was reclaimed by another runner');
      }
    } catch (err) {
      logger.warn({ err }, 'job heartbeat failed');
      const now = clock.now().getTime();
      for (const e of entries) if (now > e.leaseUntil && !e.settling) loseLease(e, 'lease lapsed: heartbeats failed');
    } finally {
      beating = false;
    }
  }

  function loseLease(e: InFlight, why: string) {
    if (e.controller.signal.aborted) return;
    logger.warn({ jobId: e.job.id, kind: e.job.kind }, why);
    e.controller.abort(new Error(why));
  }

  /** Claims as many jobs as there are free slots and starts them; one claim at a time per runner. */
  function fill(): Promise<number> {
    const next = claiming.then(async () => {
      const free = concurrency - inFlight.size;
      if (free <= 0) return 0;
      const claimed = await claimJobs(db, { workerId, limit: free, kinds, now: clock.now(), leaseMs, exclude: [...inFlight.keys()] });
      for (const job of claimed) launch(job);
      return claimed.length;
    });
    claiming = next.catch(() => undefined);
    return next;
  }

  function launch(job: Job) {
    const entry: InFlight = {
      job,
      controller: new AbortController(),
      leaseUntil: job.lockedUntil?.getTime() ?? 0,
      settling: false,
      done: Promise.resolve(),
    };
    inFlight.set(job.id, entry);
    startHeartbeat();
    entry.done = execute(entry).finally(() => {
      inFlight.delete(job.id);
      settled++;
      if (inFlight.size === 0) stopHeartbeat();
      nudge();
    });
  }

  async function execute(entry: InFlight): Promise<void> {
    const { job } = entry;
    const log = logger.child({ jobId: job.id, kind: job.kind, attempt: job.attempts });
    try {
      // Reclaimed after its runner died on the last allowed attempt: do not run it again.
      if (job.attempts > job.maxAttempts) {
        entry.settling = true;
        await markDead(db, job, workerId, { error: job.lastError ?? 'out of attempts', now: clock.now() });
        log.error({ lastError: job.lastError }, 'job dead: its last attempt never finished');
        return;
      }
      let failure: unknown;
      let failed = false;
      try {
        const handler = handlers[job.kind];
        if (!handler) throw new JobPermanentFailure(`no handler for job kind ${job.kind}`);
        await handler(job, { services, db, logger: log, clock, signal: entry.controller.signal, workerId });
      } catch (err) {
        failed = true;
        failure = err;
      }
      entry.settling = true;
      const now = clock.now();
      let held: boolean;
      if (!failed) {
        held = await markDone(db, job, workerId, now);
        if (held) log.debug('job done');
      } else if (failure instanceof JobRetryLater) {
        held = await markRetry(db, job, workerId, { runAt: failure.at, error: describeError(failure), countAttempt: false, now });
        if (held) log.info({ runAt: failure.at.toISOString(), reason: failure.message }, 'job deferred');
      } else if (failure instanceof JobPermanentFailure || job.attempts >= job.maxAttempts) {
        held = await markDead(db, job, workerId, { error: describeError(failure), now });
        if (held) log.error({ err: failure }, 'job dead');
      } else {
        const runAt = new Date(now.getTime() + backoffDelay(job.attempts, policy, random));
        held = await markRetry(db, job, workerId, { runAt, error: describeError(failure), countAttempt: true, now });
        if (held) log.warn({ err: failure, runAt: runAt.toISOString() }, 'job failed; will retry');
      }
      if (!held) log.warn('job finished after its lease was lost; another runner owns it now');
    } catch (err) {
      // The database failed while settling: the lease will lapse and the job will run again.
      log.error({ err }, 'could not record job outcome');
    }
  }

  async function pollLoop() {
    while (!stopping) {
      let claimed = 0;
      let free = 0;
      const settledBefore = settled;
      try {
        free = concurrency - inFlight.size;
        claimed = await fill();
      } catch (err) {
        logger.error({ err }, 'claiming jobs failed');
      }
      if (stopping) break;
      // A full batch means more may be due: go again at once (a full runner naps until a job ends).
      if (claimed > 0 && claimed === free && inFlight.size < concurrency) continue;
      if (settled !== settledBefore && inFlight.size < concurrency) continue;
      await nap(pollMs);
    }
  }

  return {
    workerId,
    start() {
      if (loop) return;
      stopping = false;
      loop = pollLoop();
    },
    async stop(stopOpts = {}) {
      stopping = true;
      nudge();
      await loop;
      loop = undefined;
      const drained = Promise.allSettled([...inFlight.values()].map((e) => e.done));
      if (stopOpts.timeoutMs === undefined) await drained;
      else {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, stopOpts.timeoutMs)))]);
        clearTimeout(timer);
      }
      if (inFlight.size > 0) {
        logger.warn({ jobIds: [...inFlight.keys()] }, 'runner stopped with jobs still running; they will be reclaimed');
        for (const e of inFlight.values()) e.controller.abort(new Error('runner stopped'));
        stopHeartbeat();
      }
    },
    async runUntilIdle() {
      let ran = 0;
      for (;;) {
        const settledBefore = settled;
        const claimed = await fill();
        ran += claimed;
        if (settled !== settledBefore) continue;
        if (inFlight.size === 0) {
          if (claimed === 0) return { ran };
          continue;
        }
        if (claimed === 0 || inFlight.size >= concurrency) await Promise.race([...inFlight.values()].map((e) => e.done));
      }
    },
    running: () => inFlight.size,
  };
}
