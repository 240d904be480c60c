import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';

/**
 * One recipient slot of a remembered set-up. It records *who to pick* (the item's responsible user,
 * the item's first contact, a fixed portal user), not the people themselves, so "same as last time"
 * resolves fresh recipients from whichever CRM item the card is open on.
 */
export interface RecipientSlot {
  role: 'signer' | 'approver' | 'viewer';
  party: 'company' | 'client';
  order: number;
  source: 'responsible' | 'contact' | 'user' | 'manual';
  /** For `user`: the fixed Bitrix24 user (e.g. the director signs every contract). */
  userId?: number;
  /** For `manual`: the person typed in last time (a guarantor's lawyer, an accountant on CC). */
  name?: string;
  email?: string;
  phone?: string;
}

/**
 * "Same as last time": the last template and recipient set-up the portal used per document kind
 * (contract, invoice, act…). templates.last_used_at alone cannot say who the recipients were.
 */
export const cardPrefs = pgTable(
  'card_prefs',
  {
    portalId: portalIdColumn(),
    kind: text('kind').notNull(),
    templateId: text('template_id').notNull(),
    /** Name at the time of use: shown even if the template is later renamed or deleted. */
    templateName: text('template_name').notNull(),
    /** The CRM entity type it was last used on: a deal's set-up is offered on deals first. */
    entityTypeId: integer('entity_type_id'),
    slots: jsonb('slots').$type<RecipientSlot[]>().notNull().default(sql`'[]'::jsonb`),
    /** People of the last send, for the sentence "last time … was sent to …". */
    lastRecipientNames: jsonb('last_recipient_names').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    usedByUserId: integer('used_by_user_id'),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    ...timestamps,
  },
  (t) => [uniqueIndex('card_prefs_portal_kind_key').on(t.portalId, t.kind), index('card_prefs_portal_idx').on(t.portalId, t.usedAt)],
);

export type CardPref = typeof cardPrefs.$inferSelect;
