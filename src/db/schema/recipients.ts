import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';
import { bytea, envelopes } from './envelopes.js';

export type RecipientRole = 'signer' | 'approver' | 'viewer';
export type RecipientParty = 'company' | 'client';
export type RecipientStatus = 'waiting' | 'invited' | 'opened' | 'verified' | 'signed' | 'approved' | 'declined' | 'expired';
export type SignatureMethod = 'typed' | 'drawn' | 'uploaded';

export const recipients = pgTable(
  'recipients',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    envelopeId: text('envelope_id')
      .notNull()
      .references(() => envelopes.id, { onDelete: 'cascade' }),
    role: text('role').$type<RecipientRole>().notNull(),
    party: text('party').$type<RecipientParty>().notNull(),
    /** Equal numbers act in parallel; lower numbers go first. */
    signOrder: integer('sign_order').notNull(),
    name: text('name').notNull(),
    /** Null only for an employee (b24UserId), who signs inside Bitrix24 and needs neither an e-mail nor a code. */
    email: text('email'),
    phone: text('phone'),
    /** A portal user (company signer): invited through the Bitrix24 messenger too. */
    b24UserId: integer('b24_user_id'),
    /** An employee's PERSONAL_GENDER from user.get ('M' | 'F'), for Russian texts that agree with the person; null otherwise. */
    gender: text('gender').$type<'M' | 'F'>(),
    crmContactId: integer('crm_contact_id'),
    status: text('status').$type<RecipientStatus>().notNull().default('waiting'),
    /** Bumped to revoke every link issued before (resend, e-mail change, void, decline, completion). */
    tokenVersion: integer('token_version').notNull().default(1),
    invitedAt: timestamp('invited_at', { withTimezone: true, mode: 'date' }),
    openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }),
    verifiedAt: timestamp('verified_at', { withTimezone: true, mode: 'date' }),
    doneAt: timestamp('done_at', { withTimezone: true, mode: 'date' }),
    declineReason: text('decline_reason'),
    signatureMethod: text('signature_method').$type<SignatureMethod>(),
    /** PNG bytes of the signature as applied, and the company stamp if any. */
    signatureImage: bytea('signature_image'),
    /** The typed name for the `typed` method, drawn in the handwriting font at completion. */
    signatureText: text('signature_text'),
    stampImage: bytea('stamp_image'),
    signedIp: text('signed_ip'),
    signedUserAgent: text('signed_user_agent'),
    /** One-time code: only an HMAC of it is stored. */
    otpHash: text('otp_hash'),
    otpExpiresAt: timestamp('otp_expires_at', { withTimezone: true, mode: 'date' }),
    otpSentAt: timestamp('otp_sent_at', { withTimezone: true, mode: 'date' }),
    /** Wrong codes since the counter was last idle for a day; a new code does not reset it (src/signing/otp.ts). */
    otpAttempts: integer('otp_attempts').notNull().default(0),
    otpLockedUntil: timestamp('otp_locked_until', { withTimezone: true, mode: 'date' }),
    otpLastFailedAt: timestamp('otp_last_failed_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (t) => [index('recipients_portal_idx').on(t.portalId), index('recipients_envelope_idx').on(t.envelopeId, t.signOrder)],
);

export type Recipient = typeof recipients.$inferSelect;
export type NewRecipient = typeof recipients.$inferInsert;
