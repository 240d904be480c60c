import { text, timestamp } from 'drizzle-orm/pg-core';

/** Shared column groups: every table records when rows were made and changed. */
export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

/** Every table that belongs to a portal carries this column, and every query filters by it. */
export const portalIdColumn = () => text('portal_id').notNull();
