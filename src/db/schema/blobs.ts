import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { portalIdColumn } from './columns.js';
import { bytea } from './envelopes.js';

/**
 * Every stored blob (source and sealed PDFs, uploaded template PDFs, page images), whatever holds its
 * bytes: the registry the sweep reads (src/blobs/sweep.ts) and the portal a key belongs to. Keys are
 * `<portal>/<kind>/<random id>`, new for every write and never reused: once no row names a key, none
 * ever will again, so the sweep may delete it without racing a writer (a content-addressed key could be
 * written again while being deleted).
 */
export const blobs = pgTable(
  'blobs',
  {
    key: text('key').primaryKey(),
    portalId: portalIdColumn(),
    size: integer('size').notNull(),
    contentType: text('content_type').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('blobs_created_idx').on(t.createdAt)],
);

/**
 * The bytes, when PostgreSQL is the blob store (Node; src/blobs/postgres-store.ts). On Workers the
 * bytes live in R2 under the same keys and this table stays empty.
 */
export const blobBytes = pgTable('blob_bytes', {
  key: text('key').primaryKey(),
  bytes: bytea('bytes').notNull(),
});

export type Blob = typeof blobs.$inferSelect;
