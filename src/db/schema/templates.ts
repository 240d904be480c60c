import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { FieldDef } from '../../documents/fields.js';
import type { TemplateKind, TemplateSource } from '../../documents/templates/model.js';
import type { PdfInfo } from '../../documents/upload.js';
import { portalIdColumn, timestamps } from './columns.js';

/** What a document is made from: a built-in layout, an uploaded PDF, or a Bitrix24 document-generator template. */
export const templates = pgTable(
  'templates',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    name: text('name').notNull(),
    kind: text('kind').$type<TemplateKind>().notNull(),
    language: text('language').$type<'en' | 'it' | 'ru'>().notNull(),
    source: jsonb('source').$type<TemplateSource>().notNull(),
    fields: jsonb('fields').$type<FieldDef[]>().notNull().default(sql`'[]'::jsonb`),
    createdByUserId: integer('created_by_user_id'),
    /** "Same as last time" offers the most recently used template of a kind. */
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    /** Soft delete: envelopes made from a template keep pointing at it. */
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (t) => [index('templates_portal_idx').on(t.portalId, t.kind), index('templates_portal_used_idx').on(t.portalId, t.lastUsedAt)],
);

export type PdfFileOrigin = 'upload' | 'docgen';
export type PdfFileStatus = 'pending' | 'ready' | 'failed';

/**
 * PDFs we keep as template sources: uploads, and document-generator PDFs fetched by a job. A
 * document-generator row starts `pending` and becomes `ready` (bytes stored) or `failed` (error kept).
 */
export const pdfFiles = pgTable(
  'pdf_files',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    origin: text('origin').$type<PdfFileOrigin>().notNull(),
    /** For docgen: the Bitrix24 document id; unique per portal so a repeated fetch reuses the row. */
    originRef: text('origin_ref'),
    status: text('status').$type<PdfFileStatus>().notNull().default('ready'),
    filename: text('filename'),
    /** The PDF's blob key (src/blobs/), once ready. */
    blobKey: text('blob_key'),
    size: integer('size'),
    sha256: text('sha256'),
    pageCount: integer('page_count'),
    info: jsonb('info').$type<PdfInfo>(),
    error: text('error'),
    errorCode: text('error_code'),
    createdByUserId: integer('created_by_user_id'),
    ...timestamps,
  },
  (t) => [
    index('pdf_files_portal_idx').on(t.portalId, t.createdAt),
    uniqueIndex('pdf_files_origin_ref_key').on(t.portalId, t.origin, t.originRef),
    index('pdf_files_blob_key_idx').on(t.blobKey),
  ],
);

export type Template = typeof templates.$inferSelect;
export type NewTemplate = typeof templates.$inferInsert;
export type PdfFile = typeof pdfFiles.$inferSelect;
