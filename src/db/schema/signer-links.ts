import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';
import { envelopes } from './envelopes.js';

/**
 * The short links invitations carry (`/l/<id>`, src/signing/short-links.ts) instead of the ~430-character
 * signer token. The id is 128 random bits; only its SHA-256 is stored, so a database dump holds no live
 * link. A row opens the link of one recipient at one token version until `expires_at`; revokeAllLinks
 * deletes the envelope's rows, and a resend or e-mail change (version bump) leaves older rows dead.
 */
export const signerLinks = pgTable(
  'signer_links',
  {
    /** Lowercase hex SHA-256 of the link id. */
    idHash: text('id_hash').primaryKey(),
    portalId: portalIdColumn(),
    envelopeId: text('envelope_id')
      .notNull()
      .references(() => envelopes.id, { onDelete: 'cascade' }),
    recipientId: text('recipient_id').notNull(),
    tokenVersion: integer('token_version').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    ...timestamps,
  },
  (t) => [index('signer_links_envelope_idx').on(t.portalId, t.envelopeId)],
);

export type SignerLink = typeof signerLinks.$inferSelect;
