import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';

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
    lastError: text('last_error'),
    doneAt: timestamp('done_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('jobs_dedupe_key_key').on(t.dedupeKey),
    index('jobs_due_idx').on(t.status, t.runAt),
    index('jobs_order_key_idx').on(t.orderKey, t.id),
  ],
);

export type Job = typeof jobs.$inferSelect;
