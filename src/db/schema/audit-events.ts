import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { portalIdColumn } from './columns.js';

export type AuditEventType =
  | 'created'
  | 'recipients_set'
  | 'sent'
  | 'delivered'
  | 'delivery_failed'
  | 'opened'
  | 'code_sent'
  | 'code_verified'
  | 'code_failed'
  | 'code_locked'
  | 'field_filled'
  | 'signed'
  | 'approved'
  | 'declined'
  | 'reminded'
  | 'email_changed'
  | 'resent'
  | 'expired'
  | 'voided'
  | 'completed'
  | 'sealed'
  /** PAdES B-LT/B-LTA evidence appended by the retry job after a B-T seal (signing/long-term.ts). */
  | 'long_term_added'
  /** The retry gave up for good (a revoked certificate, no revocation URL): the document stays B-T. */
  | 'long_term_failed'
  | 'final_sent';

/**
 * One row per event of an envelope, chained: `hash` = SHA-256 over the row's content and
 * `prev_hash`, so editing or deleting any row breaks every hash after it.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    portalId: portalIdColumn(),
    envelopeId: text('envelope_id').notNull(),
    seq: integer('seq').notNull(),
    type: text('type').$type<AuditEventType>().notNull(),
    /** 'user:<b24 id>', 'recipient:<id>', 'system'. */
    actor: text('actor').notNull(),
    recipientId: text('recipient_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_events_portal_idx').on(t.portalId), uniqueIndex('audit_events_envelope_seq_key').on(t.envelopeId, t.seq)],
);

export type AuditEvent = typeof auditEvents.$inferSelect;
