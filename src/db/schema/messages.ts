import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { portalIdColumn } from './columns.js';

export type MessageChannel = 'email' | 'im';
/**
 * recorded = no transport configured (the sandbox mailbox shows it); queued = a `notify.deliver` job
 * will send it (or is retrying: `error` holds the last transient failure); sent / failed = the
 * transport's verdict (failed: refused for good, or still failing on the last attempt).
 */
export type MessageStatus = 'recorded' | 'queued' | 'sent' | 'failed';
export type MessageTemplate = 'invitation' | 'reminder' | 'code' | 'completed' | 'declined' | 'voided' | 'expired';

export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    envelopeId: text('envelope_id'),
    recipientId: text('recipient_id'),
    channel: text('channel').$type<MessageChannel>().notNull(),
    template: text('template').$type<MessageTemplate>().notNull(),
    /** E-mail address or 'b24user:<id>'. */
    to: text('to').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    html: text('html'),
    status: text('status').$type<MessageStatus>().notNull(),
    providerId: text('provider_id'),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('messages_portal_idx').on(t.portalId, t.createdAt),
    index('messages_envelope_idx').on(t.envelopeId),
    // The final-copy message goes out once per recipient and channel, however often completion runs.
    uniqueIndex('messages_completed_once_key').on(t.envelopeId, t.recipientId, t.channel).where(sql`template = 'completed'`),
  ],
);

export type Message = typeof messages.$inferSelect;
