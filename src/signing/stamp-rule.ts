import type { EnvelopeField } from '../db/schema/envelopes.js';
import type { RecipientRole } from '../db/schema/recipients.js';

/**
 * Whether a recipient is asked for a company stamp: 'none', 'optional' or 'required'. The signing
 * page (src/doors/sign.tsx) offers the upload and the server (flow.ts) accepts it by this one rule,
 * so the page never offers what the server refuses. A stamp is only ever drawn into a stamp field
 * (completion.ts), so a signer is asked for one exactly when one of their fields is a stamp field —
 * whichever party they sign for (a client that is a company stamps too).
 */
export type StampNeed = 'none' | 'optional' | 'required';

export function stampNeed(role: RecipientRole, fields: readonly Pick<EnvelopeField, 'type' | 'required'>[]): StampNeed {
  if (role !== 'signer') return 'none';
  const stamps = fields.filter((f) => f.type === 'stamp');
  if (!stamps.length) return 'none';
  return stamps.some((f) => f.required) ? 'required' : 'optional';
}
