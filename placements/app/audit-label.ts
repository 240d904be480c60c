import type { CardKey } from '../../src/i18n/card.js';

/** Why a code was refused besides a wrong guess (src/signing/flow.ts verifyCode), each with its own label. */
const CODE_REASONS = new Set(['expired', 'no_code', 'locked']);

/**
 * The message key for one audit row. Most types have one label; a refused code says why: an expired
 * code, none sent yet or a lock is not a wrong guess, and the history must not call it one.
 */
export function auditLabelKey(type: string, data?: Record<string, unknown> | null): CardKey {
  const reason = data?.reason;
  if (type === 'code_failed' && typeof reason === 'string' && CODE_REASONS.has(reason)) return `audit.code_failed.${reason}` as CardKey;
  return `audit.${type}` as CardKey;
}
