/**
 * Classic CRM reads (UPPER_CASE, strings, legacy empty-code errors) and the universal crm.item.get
 * (camelCase, numbers) for deals, leads, contacts and companies (reference §6.1–§6.2).
 */
import { legacyError, param, RestError, type MethodCtx, type MethodTable } from '../envelope.js';
import { listRows } from '../list.js';
import { canRead } from '../rights.js';
import type { Portal, Row } from '../types.js';

const MULTI = ['PHONE', 'EMAIL', 'WEB', 'IM', 'LINK'];
type Kind = 'deal' | 'lead' | 'contact' | 'company';
const store = (p: Portal, k: Kind) => ({ deal: p.deals, lead: p.leads, contact: p.contacts, company: p.companies })[k];
export const ENTITY_TYPE: Record<Kind, number> = { lead: 1, deal: 2, contact: 3, company: 4 };
export const KIND_BY_TYPE: Record<number, Kind> = { 1: 'lead', 2: 'deal', 3: 'contact', 4: 'company' };

function idParam(ctx: MethodCtx): string {
  const id = param(ctx.params, 'id', 'ID');
  if (id === undefined || !/^[1-9]\d*$/.test(String(id))) throw legacyError('ID is not defined or invalid.');
  return String(id);
}

function classic(kind: Kind): MethodTable {
  return {
    [`crm.${kind}.get`]: {
      scope: ['crm'],
      handler: (ctx) => {
        const row = store(ctx.portal, kind).get(idParam(ctx));
        if (!row) throw legacyError('Not found');
        if (!canRead(ctx, kind, row)) throw legacyError('Access denied');
        return { result: row };
      },
    },
    [`crm.${kind}.list`]: {
      scope: ['crm'],
      handler: (ctx) => {
        const r = listRows([...store(ctx.portal, kind).values()].filter((row) => canRead(ctx, kind, row)), ctx.params, MULTI);
        return { result: r.items, total: r.total, next: r.next };
      },
    },
  };
}

const RENAME: Record<string, string> = {
  DATE_CREATE: 'createdTime', DATE_MODIFY: 'updatedTime', CREATED_BY_ID: 'createdBy', MODIFY_BY_ID: 'updatedBy',
  STATUS_ID: 'stageId', STATUS_SEMANTIC_ID: 'stageSemanticId', STAGE_SEMANTIC_ID: 'stageSemanticId', BEGINDATE: 'begindate', CLOSEDATE: 'closedate',
};
const INTS = new Set(['id', 'categoryId', 'companyId', 'contactId', 'assignedById', 'createdBy', 'updatedBy', 'leadId', 'probability', 'movedBy']);
const FLOATS = new Set(['opportunity', 'taxValue', 'revenue']);

const camel = (k: string) => RENAME[k] ?? k.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** crm.item shape of a classic row. */
export function toItem(portal: Portal, kind: Kind, row: Row): Row {
  const item: Row = {};
  const fm: Row[] = [];
  for (const [k, v] of Object.entries(row)) {
    if (MULTI.includes(k)) {
      for (const m of (v as Row[]) ?? []) fm.push({ id: Number(m.ID), valueType: m.VALUE_TYPE, value: m.VALUE, typeId: m.TYPE_ID });
      continue;
    }
    const c = camel(k);
    item[c] = v === null || v === undefined ? null : INTS.has(c) ? Number(v) : FLOATS.has(c) ? Number(v) : v;
  }
  item.entityTypeId = ENTITY_TYPE[kind];
  item.fm = fm;
  for (const t of ['EMAIL', 'PHONE'] as const) {
    const first = fm.find((m) => m.typeId === t);
    if (first) item[t.toLowerCase()] = first.value;
  }
  if (kind === 'deal') {
    item.contactIds = (portal.dealContacts.get(String(row.ID)) ?? []).map((c) => c.CONTACT_ID);
    item.mycompanyId = Number(portal.myCompanyId);
  }
  return item;
}

export const crmMethods: MethodTable = {
  ...classic('deal'),
  ...classic('lead'),
  ...classic('contact'),
  ...classic('company'),
  'crm.item.get': {
    scope: ['crm'],
    handler: (ctx) => {
      const type = Number(param(ctx.params, 'entityTypeId'));
      const kind = KIND_BY_TYPE[type];
      if (!kind) throw new RestError(400, 'NOT_FOUND', 'Smart process not found');
      const row = store(ctx.portal, kind).get(String(param(ctx.params, 'id') ?? ''));
      if (!row) throw new RestError(400, 'NOT_FOUND', 'Item not found');
      if (!canRead(ctx, kind, row)) throw new RestError(400, 'ACCESS_DENIED', 'You do not have permission to view this item');
      return { result: { item: toItem(ctx.portal, kind, row) } };
    },
  },
  'crm.deal.contact.items.get': {
    scope: ['crm'],
    handler: (ctx) => {
      const id = idParam(ctx);
      const deal = ctx.portal.deals.get(id);
      if (!deal) throw legacyError('Not found');
      if (!canRead(ctx, 'deal', deal)) throw legacyError('Access denied.');
      return { result: ctx.portal.dealContacts.get(id) ?? [] };
    },
  },
  'crm.status.list': {
    scope: ['crm'],
    handler: (ctx) => {
      const r = listRows(ctx.portal.statuses, { ...ctx.params, order: ctx.params.order ?? { SORT: 'ASC' } });
      return { result: r.items, total: r.total, next: r.next };
    },
  },
};
