import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';

/**
 * received → (job) → sent | failed. `sent` means an envelope went out; the workflow's answer
 * (bizproc.event.send) is the timeline outbox's business and is recorded in timeline_writes.
 * `failed` means the robot was ended with an error LOG_MESSAGE (bad properties, CRM refused…).
 */
/** stopping: the error reply and its timeline note are due (recorded before they are sent; see robots/send.ts stop()). */
export type RobotCallStatus = 'received' | 'stopping' | 'sent' | 'failed';

/** One row per robot delivery. The unique (portal, event_token) key makes a replayed delivery a no-op. */
export const robotCalls = pgTable(
  'robot_calls',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    code: text('code').notNull(),
    eventToken: text('event_token').notNull(),
    workflowId: text('workflow_id').notNull(),
    /** ['crm', 'CCrmDocumentDeal', 'DEAL_8061'] as delivered. */
    documentId: jsonb('document_id').$type<string[]>().notNull(),
    entityTypeId: integer('entity_type_id'),
    entityId: integer('entity_id'),
    properties: jsonb('properties').$type<Record<string, unknown>>().notNull(),
    /** The robot waits for the outcome (USE_SUBSCRIPTION=Y and the "wait" property on). */
    wait: text('wait').$type<'Y' | 'N'>().notNull(),
    /** USE_SUBSCRIPTION as delivered: only then may bizproc.event.send be called at all. */
    subscribed: text('subscribed').$type<'Y' | 'N'>().notNull(),
    /** The user whose token Bitrix24 sent (AUTH_USER_ID): the default sender. */
    userId: integer('user_id'),
    status: text('status').$type<RobotCallStatus>().notNull().default('received'),
    envelopeId: text('envelope_id'),
    error: text('error'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('robot_calls_event_token_key').on(t.portalId, t.eventToken),
    index('robot_calls_portal_idx').on(t.portalId, t.createdAt),
    index('robot_calls_envelope_idx').on(t.portalId, t.envelopeId),
  ],
);

export type RobotCall = typeof robotCalls.$inferSelect;

/**
 * What the robot's template list last looked like in the portal (a hash of its Options), so the
 * sync job calls bizproc.robot.update only when the portal's templates really changed.
 */
export const robotTemplateSync = pgTable('robot_template_sync', {
  portalId: portalIdColumn().primaryKey(),
  optionsHash: text('options_hash').notNull(),
  syncedAt: timestamp('synced_at', { withTimezone: true, mode: 'date' }).notNull(),
});
