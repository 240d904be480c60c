import { AppError } from '../lib/app-error.js';
import type { EnvelopeStatus } from '../db/schema/envelopes.js';
import type { RecipientStatus } from '../db/schema/recipients.js';

/**
 * The two state machines. Every change of `status` goes through `assert…Transition`, so a move
 * the table does not list is a typed ILLEGAL_TRANSITION error, never a silent no-op.
 */
export const ENVELOPE_TRANSITIONS: Record<EnvelopeStatus, readonly EnvelopeStatus[]> = {
  draft: ['sent', 'voided'],
  sent: ['in_progress', 'completed', 'declined', 'expired', 'voided'],
  in_progress: ['completed', 'declined', 'expired', 'voided'],
  completed: [],
  declined: [],
  expired: [],
  voided: [],
};

export const RECIPIENT_TRANSITIONS: Record<RecipientStatus, readonly RecipientStatus[]> = {
  waiting: ['invited', 'expired'],
  invited: ['opened', 'declined', 'expired'],
  // A code can be verified straight after opening; opening again is not a transition.
  opened: ['verified', 'declined', 'expired'],
  verified: ['signed', 'approved', 'declined', 'expired'],
  signed: [],
  approved: [],
  declined: [],
  expired: [],
};

export const ENVELOPE_FINAL: readonly EnvelopeStatus[] = ['completed', 'declined', 'expired', 'voided'];
export const RECIPIENT_DONE: readonly RecipientStatus[] = ['signed', 'approved'];
export const RECIPIENT_FINAL: readonly RecipientStatus[] = ['signed', 'approved', 'declined', 'expired'];

export const isEnvelopeFinal = (s: EnvelopeStatus) => ENVELOPE_FINAL.includes(s);

export function canEnvelopeMove(from: EnvelopeStatus, to: EnvelopeStatus): boolean {
  return ENVELOPE_TRANSITIONS[from].includes(to);
}
export function canRecipientMove(from: RecipientStatus, to: RecipientStatus): boolean {
  return RECIPIENT_TRANSITIONS[from].includes(to);
}

export function assertEnvelopeTransition(from: EnvelopeStatus, to: EnvelopeStatus): void {
  if (!canEnvelopeMove(from, to)) {
    throw new AppError('ILLEGAL_TRANSITION', `An envelope cannot go from "${from}" to "${to}".`, { entity: 'envelope', from, to });
  }
}
export function assertRecipientTransition(from: RecipientStatus, to: RecipientStatus): void {
  if (!canRecipientMove(from, to)) {
    throw new AppError('ILLEGAL_TRANSITION', `A recipient cannot go from "${from}" to "${to}".`, { entity: 'recipient', from, to });
  }
}
