import { and, asc, eq, exists, inArray, isNull, lt, lte, not, notInArray, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import type { Database, DbOrTx } from '../db/client.js';
import { jobs, type Job } from '../db/schema/jobs.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { redactDeep, redactTokens } from '../lib/redact.js';
import type { Services } from '../services.js';

export type { Job };

/* ------------------------------------------------------------------------------------------------
 * Handler contract
 * ---------------------------------------------------------------------------------------------- */

/** What a handler gets besides its job. `S` is the services bag (the app's Services in production). */
export interface JobContext<S = Services> {
  services: S;
  /** The runner's database (not a transaction). */
  db: Database;
  /** Child logger carrying jobId, kind and attempt. */
  logger: Logger;
  clock: Clock;
  /**
   * Aborted when this runner no longer owns the job (its lease was lost, or the runner gave up on it
   * at shutdown). Long handlers should pass it to fetch and stop early: another runner may take over.
   */
  signal: AbortSignal;
  workerId: string;
}

export type JobHandler<S = Services> = (job: Job, ctx: JobContext<S>) => Promise<void>;
export type JobHandlers<S = Services> = Record<string, JobHandler<S>>;

/**
 * Thrown by a handler: "not now, try again at `at`" (e.g. Bitrix24 QUERY_LIMIT_EXCEEDED or
 * OPERATION_TIME_LIMIT until operating_reset_at). The attempt is not counted.
 */
export class JobRetryLater extends Error {
  readonly at: Date;
  constructor(at: Date, reason = 'retry later') {
    super(reason);
    this.name = 'JobRetryLater';
    this.at = at;
  }
}

/** Thrown by a handler: retrying cannot help (bad payload, portal uninstalled…). The job goes dead at once. */
export class JobPermanentFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobPermanentFailure';
  }
}

/**
 * A typed job kind: the payload schema is checked when the job runs (a payload that does not parse
 * is a permanent failure), and `enqueueJob` type-checks the payload when it is queued.
 */
export interface JobDefinition<P, S = Services> {
  kind: string;
  payload: z.ZodType<P>;
  run(payload: P, job: Job, ctx: JobContext<S>): Promise<void>;
}

export function defineJob<P, S = Services>(
  kind: string,
  payload: z.ZodType<P>,
  run: (payload: P, job: Job, ctx: JobContext<S>) => Promise<void>,
): JobDefinition<P, S> {
  return { kind, payload, run };
}

/** Turns definitions into the runner's kind → handler map; two definitions of one kind are a bug. */
export function handlersFrom<S = Services>(definitions: ReadonlyArray<JobDefinition<any, S>>): JobHandlers<S> {
  const map: JobHandlers<S> = {};
  for (const def of definitions) {
    if (map[def.kind]) throw new Error(`job kind ${def.kind} is defined twice`);
    map[def.kind] = async (job, ctx) => {
      const parsed = def.payload.safeParse(job.payload);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
        throw new JobPermanentFailure(`invalid payload for ${def.kind}: ${problems}`);
      }
      await def.run(parsed.data, job, ctx);
    };
  }
  return map;
}

/* ------------------------------------------------------------------------------------------------
 * Enqueue
 * ---------------------------------------------------------------------------------------------- */

export interface EnqueueInput {
  kind: string;
  portalId?: string | null;
  payload?: Record<string, unknown>;
  /** Same key twice → one job; the first enqueue's payload wins. Keys are never reused, even after done. */
  dedupeKey?: string;
  /** Jobs sharing this key run one at a time, in enqueue (id) order — e.g. `env_…` for one envelope. */
  orderKey?: string;
  runAt?: Date;
  maxAttempts?: number;
}

export interface EnqueueResult {
  job: Job;
  /** false when the dedupe key already existed and `job` is the earlier one. */
  created: boolean;
}

/** Namespace of the two-int advisory locks taken per order key (that key space never meets the one-bigint form). */
const ORDER_KEY_LOCK_SPACE = 72_731;

/**
 * Queue a job. `db` may be a transaction: the job then commits or rolls back with the caller's own
 * writes, which is how domain code makes "change state + schedule the follow-up" atomic.
 */
const jobRow = (input: EnqueueInput) => ({
  kind: input.kind,
  portalId: input.portalId ?? null,
  // A link's token never sits in a job row: handlers build links from ids (signing/internal.ts linkFor).
  payload: redactDeep(input.payload ?? {}),
  dedupeKey: input.dedupeKey ?? null,
  orderKey: input.orderKey ?? null,
  ...(input.runAt ? { runAt: input.runAt } : {}),
  ...(input.maxAttempts ? { maxAttempts: input.maxAttempts } : {}),
});

/**
 * Makes sure a job with this dedupe key exists, in one statement and without reading it back: for
 * callers that schedule the same job over and over (the daily blob sweep on every stored file).
 */
export async function ensureJob(db: DbOrTx, input: Omit<EnqueueInput, 'orderKey'> & { dedupeKey: string }): Promise<void> {
  await db.insert(jobs).values(jobRow(input)).onConflictDoNothing({ target: jobs.dedupeKey });
}

export async function enqueue(db: DbOrTx, input: EnqueueInput): Promise<EnqueueResult> {
  const values = jobRow(input);
  const insert = async (q: DbOrTx) => {
    if (input.orderKey) {
      // Enqueuers of one key take turns until their transaction ends, so ids (taken from the
      // sequence at insert) follow commit order: a job can never appear *behind* a later one
      // that already ran.
      await q.execute(sql`select pg_advisory_xact_lock(${sql.raw(String(ORDER_KEY_LOCK_SPACE))}, hashtext(${input.orderKey}))`);
    }
    const [row] = await q.insert(jobs).values(values).onConflictDoNothing({ target: jobs.dedupeKey }).returning();
    return row;
  };
  // A transaction (a savepoint when db is already one) only when the lock needs one to live in.
  const row = input.orderKey ? await db.transaction((tx) => insert(tx)) : await insert(db);
  if (row) return { job: row, created: true };
  const [existing] = await db.select().from(jobs).where(eq(jobs.dedupeKey, input.dedupeKey!)).limit(1);
  if (!existing) throw new Error(`job with dedupe key ${input.dedupeKey} conflicted but is not visible`);
  return { job: existing, created: false };
}

/** `enqueue` with the payload type-checked against a definition. */
export function enqueueJob<P extends Record<string, unknown>>(
  db: DbOrTx,
  def: JobDefinition<P, any>,
  payload: P,
  opts: Omit<EnqueueInput, 'kind' | 'payload'> = {},
): Promise<EnqueueResult> {
  return enqueue(db, { ...opts, kind: def.kind, payload });
}

/* ------------------------------------------------------------------------------------------------
 * Claiming and settling (used by the runner; plain functions so tests can drive them)
 * ---------------------------------------------------------------------------------------------- */

/** How often a runner proves it is alive while it holds jobs. */
export const DEFAULT_HEARTBEAT_MS = 2_000;
/**
 * How long a holder may stay silent before its jobs may be taken over: four heartbeats, so a runner
 * whose event loop stalls for up to about 6 s (GC, a CPU-heavy render) keeps its jobs, while a
 * killed one loses them within 8 s (plus the taker's poll interval).
 */
export const DEFAULT_TAKEOVER_MS = 8_000;

export interface ClaimParams {
  workerId: string;
  limit: number;
  kinds: string[];
  now: Date;
  leaseMs: number;
  /** A running job whose heartbeat (database clock) is older than this is taken over, lease or not. */
  takeoverMs?: number;
  /** Ids this worker is still running (a lapsed lease of our own must not start a second copy here). */
  exclude?: number[];
}

/** True for a running row whose holder has been silent longer than `takeoverMs` (database clock). */
const silentFor = (takeoverMs: number) => sql`${jobs.heartbeatAt} < now() - ${Math.round(takeoverMs)}::int * interval '1 millisecond'`;

/**
 * Claims up to `limit` due jobs in one statement: queued with run_at ≤ now, or running with a holder
 * that has been silent for `takeoverMs` or let its lease lapse (it died, stalled or lost the database).
 * A job with an order key is eligible only when no earlier job of that key is still queued or
 * running, so the key runs strictly in id order; dead and done jobs do not block.
 * `FOR UPDATE SKIP LOCKED` lets many runners claim side by side without waiting or double-claiming;
 * a row another runner changed meanwhile is re-checked by PostgreSQL against the new version.
 * Each claim counts an attempt, so a job that kills its runner still runs out of attempts.
 */
export async function claimJobs(db: Database, p: ClaimParams): Promise<Job[]> {
  if (p.limit <= 0 || p.kinds.length === 0) return [];
  const earlier = alias(jobs, 'earlier');
  const stale = silentFor(p.takeoverMs ?? DEFAULT_TAKEOVER_MS);
  const due = or(
    and(eq(jobs.status, 'queued'), lte(jobs.runAt, p.now)),
    and(eq(jobs.status, 'running'), or(lt(jobs.lockedUntil, p.now), stale)),
  );
  const headOfItsKey = or(
    isNull(jobs.orderKey),
    not(
      exists(
        db
          .select({ one: sql`1` })
          .from(earlier)
          .where(and(eq(earlier.orderKey, jobs.orderKey), lt(earlier.id, jobs.id), inArray(earlier.status, ['queued', 'running']))),
      ),
    ),
  );
  const candidates = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(due, headOfItsKey, inArray(jobs.kind, p.kinds), p.exclude?.length ? notInArray(jobs.id, p.exclude) : undefined))
    .orderBy(asc(jobs.runAt), asc(jobs.id))
    .limit(p.limit)
    .for('update', { skipLocked: true });
  return db
    .update(jobs)
    .set({
      status: 'running',
      lockedBy: p.workerId,
      lockedUntil: new Date(p.now.getTime() + p.leaseMs),
      // The claim is the first heartbeat; stamped by the database so every host compares one clock.
      heartbeatAt: sql`now()`,
      attempts: sql`${jobs.attempts} + 1`,
      // A reclaimed job says why it ran again; SET sees the row as it was before this update.
      lastError: sql`case when ${jobs.status} <> 'running' then ${jobs.lastError}
        when ${stale} then 'heartbeat missed (runner ' || coalesce(${jobs.lockedBy}, '?') || ' silent for ' || round(extract(epoch from now() - ${jobs.heartbeatAt})::numeric, 1) || ' s)'
        else 'lease expired (runner ' || coalesce(${jobs.lockedBy}, '?') || ' stopped heartbeating)' end`,
      updatedAt: p.now,
    })
    .where(inArray(jobs.id, candidates))
    .returning();
}

/** Only the runner that holds this attempt may settle it (fencing: a reclaim bumps attempts and locked_by). */
const heldBy = (job: Pick<Job, 'id' | 'attempts'>, workerId: string) =>
  and(eq(jobs.id, job.id), eq(jobs.status, 'running'), eq(jobs.lockedBy, workerId), eq(jobs.attempts, job.attempts));

const released = { lockedBy: null, lockedUntil: null, heartbeatAt: null } as const;

/** Returns false when the lease was lost (another runner owns the job now). */
export async function markDone(db: Database, job: Job, workerId: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({ status: 'done', doneAt: now, updatedAt: now, ...released })
    .where(heldBy(job, workerId))
    .returning({ id: jobs.id });
  return rows.length === 1;
}

export async function markRetry(
  db: Database,
  job: Job,
  workerId: string,
  p: { runAt: Date; error: string; countAttempt: boolean; now: Date },
): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({
      status: 'queued',
      runAt: p.runAt,
      lastError: p.error,
      // The claim counted an attempt; "retry later" gives it back.
      ...(p.countAttempt ? {} : { attempts: sql`${jobs.attempts} - 1` }),
      updatedAt: p.now,
      ...released,
    })
    .where(heldBy(job, workerId))
    .returning({ id: jobs.id });
  return rows.length === 1;
}

export async function markDead(db: Database, job: Job, workerId: string, p: { error: string; now: Date }): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({ status: 'dead', lastError: p.error, doneAt: p.now, updatedAt: p.now, ...released })
    .where(heldBy(job, workerId))
    .returning({ id: jobs.id });
  return rows.length === 1;
}

/**
 * Heartbeat: stamps `heartbeat_at` (database clock) and pushes the leases of the jobs this worker
 * still holds; returns the ones it still holds (a job taken over meanwhile is missing).
 */
export async function heartbeatJobs(db: Database, workerId: string, held: Job[], until: Date): Promise<Array<{ id: number; attempts: number }>> {
  if (held.length === 0) return [];
  const rows = await db
    .update(jobs)
    .set({ lockedUntil: until, heartbeatAt: sql`now()` })
    .where(and(inArray(jobs.id, held.map((j) => j.id)), eq(jobs.status, 'running'), eq(jobs.lockedBy, workerId)))
    .returning({ id: jobs.id, attempts: jobs.attempts });
  const attemptsById = new Map(held.map((j) => [j.id, j.attempts]));
  return rows.filter((r) => attemptsById.get(r.id) === r.attempts);
}

/**
 * The runner gave up recording this attempt's outcome: make the job claimable at once instead of
 * after the takeover window (its lease is set in the past; the claim then counts a new attempt).
 */
export async function disownJob(db: Database, job: Job, workerId: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({ lockedUntil: new Date(0), heartbeatAt: null, updatedAt: now })
    .where(heldBy(job, workerId))
    .returning({ id: jobs.id });
  return rows.length === 1;
}

/** Operator action: put a dead job back in the queue with a fresh set of attempts. */
export async function retryDeadJob(db: DbOrTx, id: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({ status: 'queued', attempts: 0, runAt: now, doneAt: null, updatedAt: now })
    .where(and(eq(jobs.id, id), eq(jobs.status, 'dead')))
    .returning({ id: jobs.id });
  return rows.length === 1;
}

export async function findJob(db: DbOrTx, id: number): Promise<Job | undefined> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  return row;
}

/* ------------------------------------------------------------------------------------------------
 * Backoff
 * ---------------------------------------------------------------------------------------------- */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 60 * 60_000 };

/**
 * Delay before the next try after `attempt` (1-based) failed: exponential with "equal jitter" —
 * uniformly within [d/2, d] where d = base·2^(attempt−1), capped. Half the delay is random, so runners
 * that failed together spread out, yet the delay never shrinks from one attempt to the next.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const d = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + random() * (d / 2));
}

/**
 * last_error keeps the name and message (not the stack: it may carry paths and payload snippets),
 * with any signer or final link's token scrubbed.
 * NUL characters are dropped: PostgreSQL text cannot hold them, and the outcome write would fail.
 */
export function describeError(err: unknown): string {
  const text = redactTokens(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).replaceAll('\u0000', '');
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
