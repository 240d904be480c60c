import { bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';
import { bytea } from './envelopes.js';

/**
 * A portal's own seal certificates (issue 17 item 4, src/settings/). The PKCS#12 file and its
 * passphrase are sealed with TOKEN_ENCRYPTION_KEYS (src/lib/token-keyring.ts) and wiped when the
 * certificate is removed or replaced; the public chain stays, so the verify door keeps trusting it
 * for this portal's documents sealed while it was active (and only for this portal's).
 * At most one row per portal is `active`.
 */
export const portalSealCertificates = pgTable(
  'portal_seal_certificates',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    /** Lowercase hex SHA-256 of the leaf certificate's DER. */
    leafSha256: text('leaf_sha256').notNull(),
    /** DER certificates, leaf first, base64. */
    chain: jsonb('chain').$type<string[]>().notNull(),
    subject: text('subject').notNull(),
    commonName: text('common_name').notNull(),
    /** The subject's organisation (O), else its common name: the seal says "<company> via b24-sign". */
    company: text('company').notNull(),
    issuer: text('issuer').notNull(),
    notBefore: timestamp('not_before', { withTimezone: true, mode: 'date' }).notNull(),
    notAfter: timestamp('not_after', { withTimezone: true, mode: 'date' }).notNull(),
    /** Sealed (`v1.…`) base64 of the PKCS#12 file; null once retired. */
    p12Sealed: text('p12_sealed'),
    /** Sealed passphrase; null once retired. */
    passphraseSealed: text('passphrase_sealed'),
    active: boolean('active').notNull().default(true),
    addedByUserId: integer('added_by_user_id').notNull(),
    retiredAt: timestamp('retired_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (t) => [index('portal_seal_certificates_portal_idx').on(t.portalId, t.active), index('portal_seal_certificates_leaf_idx').on(t.leafSha256)],
);

/** The portal's logo for e-mails and the signing page (PNG or JPEG, size-capped like signature images). */
export const portalLogos = pgTable('portal_logos', {
  portalId: text('portal_id').primaryKey(),
  image: bytea('image').notNull(),
  kind: text('kind').$type<'png' | 'jpeg'>().notNull(),
  width: integer('width').notNull(),
  height: integer('height').notNull(),
  sha256: text('sha256').notNull(),
  ...timestamps,
});

/**
 * Every settings change: who, when, which setting, before → after. Secrets never appear: a
 * certificate is recorded by its subject, issuer, expiry and fingerprint, a logo by its hash.
 */
export const settingsChanges = pgTable(
  'settings_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    portalId: portalIdColumn(),
    actorUserId: integer('actor_user_id').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    setting: text('setting').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    ip: text('ip'),
  },
  (t) => [index('settings_changes_portal_idx').on(t.portalId, t.at)],
);

export type PortalSealCertificate = typeof portalSealCertificates.$inferSelect;
export type SettingsChange = typeof settingsChanges.$inferSelect;
