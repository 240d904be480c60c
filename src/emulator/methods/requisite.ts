/** crm.requisite.list, crm.requisite.bankdetail.list, crm.requisite.link.get (reference §6.3). */
import { legacyError, param, type MethodCtx, type MethodTable } from '../envelope.js';
import { listRows } from '../list.js';
import { canRead } from '../rights.js';
import type { Row } from '../types.js';

/**
 * Requisites are read with their owner's rights ("a user with read access permission for contacts and
 * companies", b24restdocs crm-requisite-list.md and crm-requisite-bank-detail-list.md): a user's list
 * leaves out the requisites of a contact or company they may not read, and those requisites' bank details.
 */
function requisiteVisible(ctx: MethodCtx, rq: Row | undefined): boolean {
  if (!rq) return false;
  const type = String(rq.ENTITY_TYPE_ID);
  const owner = type === '3' ? ctx.portal.contacts.get(String(rq.ENTITY_ID)) : type === '4' ? ctx.portal.companies.get(String(rq.ENTITY_ID)) : undefined;
  if (!owner) return true;
  return canRead(ctx, type === '3' ? 'contact' : 'company', owner);
}

export const requisiteMethods: MethodTable = {
  'crm.requisite.list': {
    scope: ['crm'],
    handler: (ctx) => {
      const r = listRows([...ctx.portal.requisites.values()].filter((rq) => requisiteVisible(ctx, rq)), ctx.params);
      return { result: r.items, total: r.total, next: r.next };
    },
  },
  'crm.requisite.bankdetail.list': {
    scope: ['crm'],
    handler: (ctx) => {
      const r = listRows([...ctx.portal.bankDetails.values()].filter((b) => requisiteVisible(ctx, ctx.portal.requisites.get(String(b.ENTITY_ID)))), ctx.params);
      return { result: r.items, total: r.total, next: r.next };
    },
  },
  'crm.requisite.link.get': {
    scope: ['crm'],
    handler: (ctx) => {
      const type = Number(param(ctx.params, 'entityTypeId'));
      const id = Number(param(ctx.params, 'entityId'));
      // Legacy empty-code errors with these texts (b24restdocs crm-requisite-link-get.md, error table).
      if (![2, 5, 7, 31].includes(type) && type < 128) throw legacyError('entityTypeId is not defined or invalid');
      if (!(id > 0)) throw legacyError('entityId is not defined or invalid');
      if (type === 2 && !ctx.portal.deals.has(String(id))) throw legacyError('Not found');
      // No link stored → zeros ([unverified] what a real portal answers for an unlinked item).
      const link = ctx.portal.requisiteLinks.get(`${type}:${id}`) ?? {
        ENTITY_TYPE_ID: type, ENTITY_ID: id, REQUISITE_ID: '0', BANK_DETAIL_ID: '0', MC_REQUISITE_ID: '0', MC_BANK_DETAIL_ID: '0',
      };
      return { result: link };
    },
  },
};
