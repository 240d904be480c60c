/**
 * Per-user CRM read rights, as Bitrix24 applies them to a REST call made with a user's own token: an
 * administrator reads everything; an employee with a rule reads only what it allows, and a read of
 * anything else is refused the way each method's page says (crm.deal.get & co.: HTTP 400, empty code,
 * "Access denied" — b24restdocs api-reference/crm/deals/crm-deal-get.md; crm.item.get: 400
 * ACCESS_DENIED "You do not have permission to view this item" —
 * api-reference/crm/universal/crm-item-get.md). Lists simply leave the rows out. An employee without
 * a rule reads everything, which is what a fresh portal's default role ("all") gives.
 */
import type { MethodCtx } from './envelope.js';
import type { Row } from './types.js';

export type CrmKind = 'deal' | 'lead' | 'contact' | 'company';

/** `ids`: exactly these records (`deal:2`, `contact:3`); `own`: records whose ASSIGNED_BY_ID is the user. */
export type ReadRule = { kind: 'ids'; ids: ReadonlySet<string> } | { kind: 'own' };

export function canRead(ctx: Pick<MethodCtx, 'portal' | 'token' | 'isAdmin'>, kind: CrmKind, row: Row): boolean {
  if (ctx.isAdmin) return true;
  const rule = ctx.portal.readRights?.get(ctx.token.userId);
  if (!rule) return true;
  if (rule.kind === 'own') return String(row.ASSIGNED_BY_ID ?? '') === ctx.token.userId;
  return rule.ids.has(`${kind}:${String(row.ID)}`);
}
