/**
 * The card's view of envelopes: only what the list shows, already joined with recipients and ordered.
 * Server pages render it, the JSON API returns it, the client script re-renders from the HTML fragment.
 */
import type { EnvelopeStatus } from '../db/schema/envelopes.js';
import type { RecipientStatus } from '../db/schema/recipients.js';

export type { EnvelopeStatus, RecipientStatus };

export interface CardRecipient {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  role: 'signer' | 'approver' | 'viewer';
  party: 'company' | 'client';
  order: number;
  status: RecipientStatus;
  /** The moment of the current status (invited, opened, signed…), ISO. */
  at: string | null;
  declineReason: string | null;
  /** The latest message to this recipient per channel: queued (with the last transient error), sent, failed. */
  delivery: CardDelivery[];
}

export interface CardDelivery {
  channel: 'email' | 'im';
  status: 'recorded' | 'queued' | 'sent' | 'failed';
  error: string | null;
}

export interface CardEnvelope {
  id: string;
  title: string;
  status: EnvelopeStatus;
  kind: string | null;
  templateId: string | null;
  createdAt: string;
  createdByName: string | null;
  completedAt: string | null;
  /** Public verification page of a sealed envelope. */
  verifyUrl: string | null;
  /** Where the sealed PDF downloads from (session-authenticated API path), when sealed. */
  sealedPdfPath: string | null;
  /** Where the evidence package (ZIP: sealed PDF, original, hashes, audit chain, TSA tokens) downloads from, when sealed. */
  evidencePath: string | null;
  recipients: CardRecipient[];
}

export const ACTIVE_STATUSES: ReadonlySet<EnvelopeStatus> = new Set(['sent', 'in_progress']);

/** Resending is per recipient and only to someone whose turn it is (the signing domain's rule). */
export function canResend(e: CardEnvelope, r: CardRecipient) {
  return ACTIVE_STATUSES.has(e.status) && (r.status === 'invited' || r.status === 'opened' || r.status === 'verified');
}
export function canVoid(e: CardEnvelope) {
  return e.status === 'draft' || ACTIVE_STATUSES.has(e.status);
}
export function canChangeEmail(e: CardEnvelope, r: CardRecipient) {
  // Allowed until the recipient opens the document: after that the address has proven itself.
  return ACTIVE_STATUSES.has(e.status) && (r.status === 'waiting' || r.status === 'invited');
}

/**
 * Why a message is not delivered, as the card says it: the stored error (notify/jobs.ts: "SMTP 550: …",
 * "Bitrix24 CODE (HTTP 503): …", "gave up after 5 attempts: …") is for the log and the audit trail;
 * people get a translated reason, never a status code.
 */
export type DeliveryReason = 'refused' | 'mailServer' | 'noMail' | 'bitrix24' | 'other';

export function deliveryReason(error: string | null): DeliveryReason {
  const e = (error ?? '').replace(/^gave up after \d+ attempts:\s*/, '');
  if (/^no SMTP transport/i.test(e)) return 'noMail';
  if (/^SMTP 5\d\d\b/.test(e)) return 'refused';
  if (/^SMTP\b/.test(e)) return 'mailServer';
  if (/^Bitrix24\b/.test(e)) return 'bitrix24';
  return 'other';
}
