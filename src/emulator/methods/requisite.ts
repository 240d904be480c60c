/** crm.requisite.list, crm.requisite.bankdetail.list, crm.requisite.link.get (reference §6.3). */
import { legacyError, param, type MethodTable } from '../envelope.js';
import { listRows } from '../list.js';

export const requisiteMethods: MethodTable = {
  'crm.requisite.list': {
    scope: ['crm'],
    handler: (ctx) => {
      const r = listRows([...ctx.portal.requisites.values()], ctx.params);
      return { result: r.items, total: r.total, next: r.next };
    },
  },
  'crm.requisite.bankdetail.list': {
    scope: ['crm'],
    handler: (ctx) => {
      const r = listRows([...ctx.portal.bankDetails.values()], ctx.params);
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
