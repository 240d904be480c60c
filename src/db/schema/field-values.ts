import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { portalIdColumn } from './columns.js';
import { envelopes } from './envelopes.js';

export const fieldValues = pgTable(
  'field_values',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    envelopeId: text('envelope_id')
      .notNull()
      .references(() => envelopes.id, { onDelete: 'cascade' }),
    fieldKey: text('field_key').notNull(),
    /** Who filled it; null for values the sender (CRM) supplied. */
    recipientId: text('recipient_id'),
    value: text('value').notNull(),
    filledAt: timestamp('filled_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('field_values_portal_idx').on(t.portalId), uniqueIndex('field_values_envelope_field_key').on(t.envelopeId, t.fieldKey)],
);

export type FieldValue = typeof fieldValues.$inferSelect;
