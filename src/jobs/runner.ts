import type { Database } from '../db/client.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Services } from '../services.js';
import {
  backoffDelay,
  claimJobs,
  DEFAULT_BACKOFF,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_TAKEOVER_MS,
  describeError,
  disownJob,
  heartbeatJobs,
  JobPermanentFailure,
  JobRetryLater,
  markDead,
  markDone,
  markRetry,
  type BackoffPolicy,
  type Job,
  type JobHandlers,
} from './queue.js';

/** A timer nap without node:timers: the runner is runtime-neutral (its poll loop is started by the Node entry). */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  /**
   * How long a claim lasts without renewal: the backstop for rows whose holder never stamps a heartbeat.
   * Renewed with every heartbeat (at least every leaseMs/3).
   */
  leaseMs: number;
  /** How often the runner stamps `heartbeat_at` on the jobs it holds (default 2 s), from a timer. */
  heartbeatMs?: number;
  /**
   * A job whose holder has been silent this long is taken over by this runner's claims (default 8 s);
   * it must leave room for a few missed heartbeats, or a live runner with a stalled event loop loses its jobs.
   */
  takeoverMs?: number;
  /** How long to keep retrying a failed outcome write before giving the job up to be taken over (default: takeoverMs). */
  settleRetryMs?: number;
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
   * the jobs still running are abandoned (their signal aborts, their heartbeats stop, and another
   * runner takes them over once the takeover window has passed).
   */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /** Claims and runs due jobs until none are due and none are running (tests, Workers' scheduled()). */
  runUntilIdle(): Promise<{ ran: number }>;
  /** Number of jobs running right now. */
  running(): number;
  /** Ends the poll loop's nap at once: a job due now was just queued (a one-time code must not wait a poll). */
  wake(): void;
}

interface InFlight {
  job: Job;
  controller: AbortController;
  /** Our own view of the lease end: if heartbeats keep failing past it, we stop believing we own the job. */
  leaseUntil: number;
  /**
   * performance.now() after which another runner may have taken the job over: takeoverMs after the
   * last heartbeat that succeeded was *sent* (the database stamped it no earlier than that).
   */
  aliveUntil: number;
  /** Set once the handler returned and its outcome is being written: heartbeats keep it held but abort nothing. */
  settling: boolean;
  /** A heartbeat found the job taken over: recording the outcome is pointless (it would be refused). */
  lost: boolean;
  done: Promise<void>;
}

interface Outcome {
  write(now: Date): Promise<boolean>;
  report(): void;
}

export function createJobRunner<S = Services>(opts: JobRunnerOptions<S>): JobRunner {
  const { db, handlers, services, logger, workerId, leaseMs, pollMs } = opts;
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const takeoverMs = opts.takeoverMs ?? DEFAULT_TAKEOVER_MS;
  const settleRetryMs = opts.settleRetryMs ?? takeoverMs;
  if (takeoverMs < 2 * heartbeatMs) {
    throw new Error(`job takeover window (${takeoverMs} ms) must be at least two heartbeats (${heartbeatMs} ms): live runners would lose their jobs`);
  }
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
    // A timer, not the handlers, drives it: a busy handler cannot forget to beat, only a stalled event loop delays it.
    heartbeat = setInterval(() => void beat(), Math.max(20, Math.min(heartbeatMs, Math.floor(leaseMs / 3))));
    heartbeat.unref?.();
  };
  const stopHeartbeat = () => {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = undefined;
  };

  async function beat() {
    if (beating) return;
    // Jobs being settled are beaten too: they stay ours while their outcome write is retried.
    const entries = [...inFlight.values()].filter((e) => !e.lost);
    if (entries.length === 0) return;
    beating = true;
    const sentAt = performance.now();
    try {
      const until = clock.now().getTime() + leaseMs;
      const kept = new Set((await heartbeatJobs(db, workerId, entries.map((e) => e.job), new Date(until))).map((r) => r.id));
      for (const e of entries) {
        if (kept.has(e.job.id)) {
          e.leaseUntil = until;
          e.aliveUntil = sentAt + takeoverMs;
        } else if (inFlight.get(e.job.id) === e) loseLease(e, 'lease lost: the job was taken over by another runner');
      }
    } catch (err) {
      logger.warn({ err }, 'job heartbeat failed');
      const now = clock.now().getTime();
      const mono = performance.now();
      for (const e of entries) {
        if (!e.settling && (now > e.leaseUntil || mono > e.aliveUntil)) loseLease(e, 'lease lapsed: heartbeats failed for longer than the takeover window');
      }
    } finally {
      beating = false;
    }
  }

  function loseLease(e: InFlight, why: string) {
    e.lost = true;
    if (e.settling || e.controller.signal.aborted) return;
    logger.warn({ jobId: e.job.id, kind: e.job.kind }, why);
    e.controller.abort(new Error(why));
  }

  /** Claims as many jobs as there are free slots and starts them; one claim at a time per runner. */
  function fill(): Promise<number> {
    const next = claiming.then(async () => {
      const free = concurrency - inFlight.size;
      if (free <= 0) return 0;
      const sentAt = performance.now();
      const claimed = await claimJobs(db, { workerId, limit: free, kinds, now: clock.now(), leaseMs, takeoverMs, exclude: [...inFlight.keys()] });
      for (const job of claimed) launch(job, sentAt);
      return claimed.length;
    });
    claiming = next.catch(() => undefined);
    return next;
  }

  function launch(job: Job, claimSentAt: number) {
    const entry: InFlight = {
      job,
      controller: new AbortController(),
      leaseUntil: job.lockedUntil?.getTime() ?? 0,
      // The claim stamped the first heartbeat, no earlier than it was sent.
      aliveUntil: claimSentAt + takeoverMs,
      settling: false,
      lost: false,
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
    let outcome: Outcome;
    if (job.attempts > job.maxAttempts) {
      // Taken over after its runner died on the last allowed attempt: do not run it again.
      const error = job.lastError ?? 'out of attempts';
      outcome = { write: (now) => markDead(db, job, workerId, { error, now }), report: () => log.error({ lastError: error }, 'job dead: its last attempt never finished') };
    } else {
      let failure: { error: unknown } | undefined;
      try {
        const handler = handlers[job.kind];
        if (!handler) throw new JobPermanentFailure(`no handler for job kind ${job.kind}`);
        await handler(job, { services, db, logger: log, clock, signal: entry.controller.signal, workerId });
      } catch (error) {
        failure = { error };
      }
      outcome = outcomeOf(job, failure, log);
    }
    entry.settling = true;
    const held = await record(entry, log, outcome.write);
    if (held === true) outcome.report();
    else if (held === false) log.warn('job finished after it was taken over; another runner owns it now');
  }

  /** What to write once the handler returned, and what to log once it is written. */
  function outcomeOf(job: Job, failure: { error: unknown } | undefined, log: Logger): Outcome {
    if (!failure) return { write: (now) => markDone(db, job, workerId, now), report: () => log.debug('job done') };
    const err = failure.error;
    const error = describeError(err);
    if (err instanceof JobRetryLater) {
      return {
        write: (now) => markRetry(db, job, workerId, { runAt: err.at, error, countAttempt: false, now }),
        report: () => log.info({ runAt: err.at.toISOString(), reason: err.message }, 'job deferred'),
      };
    }
    if (err instanceof JobPermanentFailure || job.attempts >= job.maxAttempts) {
      return { write: (now) => markDead(db, job, workerId, { error, now }), report: () => log.error({ err }, 'job dead') };
    }
    let runAt = new Date(0);
    return {
      write: (now) => {
        runAt = new Date(now.getTime() + backoffDelay(job.attempts, policy, random));
        return markRetry(db, job, workerId, { runAt, error, countAttempt: true, now });
      },
      report: () => log.warn({ err, runAt: runAt.toISOString() }, 'job failed; will retry'),
    };
  }

  /**
   * Writes an outcome, retrying a failed write (a dropped connection, a restarting database) with a
   * short backoff for up to settleRetryMs; the heartbeat keeps the job ours meanwhile. Returns whether
   * we still held the job, or undefined when we gave up: the job is then disowned (claimable at once)
   * or, if even that write fails, left to be taken over once its heartbeat is stale — seconds either way,
   * never the full lease.
   */
  async function record(entry: InFlight, log: Logger, write: (now: Date) => Promise<boolean>): Promise<boolean | undefined> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await write(clock.now());
      } catch (err) {
        if (entry.lost) return false;
        const wait = Math.min(2_000, 100 * 2 ** attempt);
        if (performance.now() - started + wait > settleRetryMs) {
          log.error({ err }, 'could not record job outcome; giving the job up to be run again');
          await disownJob(db, entry.job, workerId, clock.now()).catch(() => false);
          return undefined;
        }
        log.warn({ err, retryInMs: wait }, 'recording job outcome failed; retrying');
        await sleep(wait);
      }
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
    wake: nudge,
  };
}
