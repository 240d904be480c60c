import type { CardKey } from '../../src/i18n/card.js';

/** Why a code was refused besides a wrong guess (src/signing/flow.ts verifyCode), each with its own label. */
const CODE_REASONS = new Set(['expired', 'no_code', 'locked']);

/**
 * The message key for one audit row. Most types have one label; a refused code says why: an expired
 * code, none sent yet or a lock is not a wrong guess, and the history must not call it one.
 */
export function auditLabelKey(type: string, data?: Record<string, unknown> | null): CardKey {
  // Signed or approved inside Bitrix24 (src/signing/in-portal.ts): the label names the user and portal.
  if ((type === 'signed' || type === 'approved') && inPortalOf(data)) return `audit.${type}.inPortal` as CardKey;
  const reason = data?.reason;
  if (type === 'code_failed' && typeof reason === 'string' && CODE_REASONS.has(reason)) return `audit.code_failed.${reason}` as CardKey;
  return `audit.${type}` as CardKey;
}

function inPortalOf(data?: Record<string, unknown> | null): { userId: number; name?: unknown; domain?: unknown } | undefined {
  const p = data?.inPortal as { userId?: unknown; name?: unknown; domain?: unknown } | undefined;
  return p && typeof p === 'object' && typeof p.userId === 'number' ? (p as { userId: number }) : undefined;
}

/** What the label's placeholders take: for an in-portal signature, the Bitrix24 user id, name and portal. */
export function auditLabelVars(data?: Record<string, unknown> | null): Record<string, string> {
  const p = inPortalOf(data);
  if (!p) return {};
  return { id: String(p.userId), name: typeof p.name === 'string' && p.name ? p.name : '—', portal: typeof p.domain === 'string' ? p.domain : '' };
}
