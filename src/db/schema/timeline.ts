import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';

/**
 * Per envelope: the one configurable activity we keep up to date, how far the audit log has been
 * reported, and the hash of the layout last sent (an unchanged layout is not sent again).
 */
export const timelineState = pgTable(
  'timeline_state',
  {
    envelopeId: text('envelope_id').primaryKey(),
    portalId: portalIdColumn(),
    activityId: integer('activity_id'),
    /** Audit seq up to which every event has been reported (or judged not worth reporting). */
    reportedSeq: integer('reported_seq').notNull().default(0),
    layoutHash: text('layout_hash'),
    ...timestamps,
  },
  (t) => [index('timeline_state_portal_idx').on(t.portalId)],
);

export type TimelineWriteStatus = 'pending' | 'done' | 'failed';

/**
 * Every write the outbox made for an envelope, under an idempotency key (`log:12`, `comment:sealed`,
 * `robot:reply`, `trigger:signed`…), recorded `pending` before the call (write-ahead). A settled key
 * is never written again, so a retried flush repeats only what did not go through; a `pending` one
 * is looked up in Bitrix24 first (src/timeline/reconcile.ts). `failed` keeps writes Bitrix24 refused
 * for good (a stale robot token) so they are not retried either.
 */
export const timelineWrites = pgTable(
  'timeline_writes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    portalId: portalIdColumn(),
    envelopeId: text('envelope_id').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    status: text('status').$type<TimelineWriteStatus>().notNull(),
    /** What Bitrix24 answered (an id) or why it refused. */
    result: jsonb('result').$type<unknown>(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('timeline_writes_key').on(t.envelopeId, t.key), index('timeline_writes_portal_idx').on(t.portalId, t.at)],
);

export type TimelineWrite = typeof timelineWrites.$inferSelect;
