import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';

/**
 * queued → running → done | dead; a failed attempt goes back to queued with a later run_at.
 * A running row whose heartbeat_at is stale, or whose locked_until has passed, belongs to a runner
 * that died or lost touch: it is claimable again.
 */
export type JobStatus = 'queued' | 'running' | 'done' | 'dead';

export const jobs = pgTable(
  'jobs',
  {
    /** A sequence, not a random id: per-key ordering is "lowest id first". */
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    portalId: text('portal_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    /** Enqueueing the same dedupe key twice yields one job. */
    dedupeKey: text('dedupe_key'),
    /** Jobs sharing an order key (e.g. one envelope) run one at a time, in id order. */
    orderKey: text('order_key'),
    status: text('status').$type<JobStatus>().notNull().default('queued'),
    runAt: timestamp('run_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(10),
    lockedBy: text('locked_by'),
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    /**
     * When the holder last proved it is alive, by the database's clock (one clock for every host).
     * Renewed every couple of seconds; a running job whose heartbeat is older than the takeover
     * window is claimable even though its lease has not lapsed. Null when nobody holds the job.
     */
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true, mode: 'date' }),
    lastError: text('last_error'),
    doneAt: timestamp('done_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (t) => [
    /** Dedupe is forever: a key that once ran is never enqueued again (idempotency for retried callers). */
    uniqueIndex('jobs_dedupe_key_key').on(t.dedupeKey),
    index('jobs_due_idx').on(t.status, t.runAt),
    /** "Is an earlier job of this key still unfinished?" only ever looks at live rows. */
    index('jobs_order_key_idx').on(t.orderKey, t.id).where(sql`${t.status} in ('queued', 'running')`),
    index('jobs_portal_id_idx').on(t.portalId),
  ],
);

export type Job = typeof jobs.$inferSelect;
