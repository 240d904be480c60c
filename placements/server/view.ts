/**
 * The card's view of envelopes: only what the list shows, already joined with recipients and ordered.
 * Server pages render it, the JSON API returns it, the client script re-renders from the HTML fragment.
 */
import type { EnvelopeStatus } from '../../src/db/schema/envelopes.js';
import type { RecipientStatus } from '../../src/db/schema/recipients.js';

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
