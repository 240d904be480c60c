import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';

/** What the public verify door may show about a party: never e-mails, phones, IPs or tokens. */
export interface SealedParty {
  name: string;
  role: string;
  party: string;
  signedAt: string | null;
}

/**
 * One row per sealed document, written by the signing flow when it seals an envelope. The verify
 * door finds documents here by `sha256` (an uploaded file) or `public_id` (printed on every page).
 * Rows outlive the envelope and an uninstall until `retention_until`: third parties rely on them.
 */
export const sealedDocuments = pgTable(
  'sealed_documents',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    envelopeId: text('envelope_id').notNull(),
    publicId: text('public_id').notNull(),
    /** Lowercase hex SHA-256 of the sealed bytes. */
    sha256: text('sha256').notNull(),
    /**
     * SHA-256 of the original file when the seal was appended to it incrementally (uploads, document
     * generator): those bytes are a prefix of the sealed file, so a holder of the original can prove it.
     * Null for documents rendered from a built-in layout and saved once.
     */
    originalSha256: text('original_sha256'),
    /**
     * SHA-256 of the same sealed document before long-term evidence (PAdES B-LT/B-LTA) was appended
     * by a later retry (src/signing/long-term.ts): parties may already hold that B-T file, and it stays
     * a byte-identical prefix of `sha256`'s file. Null when the evidence was added at sealing time.
     */
    earlierSha256: text('earlier_sha256'),
    title: text('title').notNull(),
    lang: text('lang').notNull().default('en'),
    /** completed | revoked (a revoked record still verifies, with that status shown). */
    status: text('status').notNull().default('completed'),
    parties: jsonb('parties').$type<SealedParty[]>().notNull().default(sql`'[]'::jsonb`),
    signerName: text('signer_name'),
    development: boolean('development').notNull().default(false),
    timestamped: boolean('timestamped').notNull().default(false),
    sealedAt: timestamp('sealed_at', { withTimezone: true, mode: 'date' }).notNull(),
    retentionUntil: timestamp('retention_until', { withTimezone: true, mode: 'date' }).notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    /** A copy of the sealed PDF kept apart from its envelope (a blob key, src/blobs/); usually null: the envelope holds it. */
    storageKey: text('storage_key'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('sealed_documents_public_id_key').on(t.publicId),
    uniqueIndex('sealed_documents_sha256_key').on(t.sha256),
    index('sealed_documents_original_sha256_idx').on(t.originalSha256),
    index('sealed_documents_storage_key_idx').on(t.storageKey),
    index('sealed_documents_earlier_sha256_idx').on(t.earlierSha256),
    index('sealed_documents_portal_idx').on(t.portalId, t.sealedAt),
    index('sealed_documents_retention_idx').on(t.retentionUntil),
  ],
);

export type SealedDocument = typeof sealedDocuments.$inferSelect;
export type NewSealedDocument = typeof sealedDocuments.$inferInsert;
