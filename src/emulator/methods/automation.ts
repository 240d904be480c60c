/**
 * crm.automation.trigger.add / execute / list / delete (reference §5.2, §14). All four are for an
 * administrator in the application context, and their errors carry an empty code with a text
 * (b24restdocs api-reference/crm/automation/triggers/crm-automation-trigger-{add,execute,list,delete}.md).
 */
import { legacyError, param, RestError, type MethodTable } from '../envelope.js';
import { moveDeal } from '../robots.js';

/** `[a-z0-9\.\-_]` per the docs' CODE parameter. */
const TRIGGER_CODE = /^[a-z0-9._-]+$/;

// The docs show this refusal with HTTP 400 (crm-automation-trigger-list.md, "Error Handling").
const adminError = () => new RestError(400, 'ACCESS_DENIED', 'Access denied! Admin permissions required');

/** Lead 1, deal 2, quote 7, smart invoice 31 and smart processes (≥ 128); old invoices (5) too, as the docs list "invoices". */
export function hasTriggers(ownerTypeId: number): boolean {
  return [1, 2, 5, 7, 31].includes(ownerTypeId) || ownerTypeId >= 128;
}

export const automationMethods: MethodTable = {
  'crm.automation.trigger.add': {
    scope: ['crm'],
    admin: true,
    adminError,
    handler: ({ portal, app, params }) => {
      const code = String(param(params, 'CODE') ?? '');
      const name = String(param(params, 'NAME') ?? '');
      if (!code) throw legacyError('Empty trigger code!');
      if (!TRIGGER_CODE.test(code)) throw legacyError('Wrong trigger code!');
      if (!name) throw legacyError('Empty trigger name!');
      const existing = portal.triggers.find((t) => t.clientId === app.clientId && t.code === code);
      if (existing) existing.name = name;
      else portal.triggers.push({ clientId: app.clientId, code, name });
      return { result: true };
    },
  },
  'crm.automation.trigger.list': {
    scope: ['crm'],
    admin: true,
    adminError,
    handler: ({ portal, app }) => ({
      result: portal.triggers.filter((t) => t.clientId === app.clientId).map((t) => ({ NAME: t.name, CODE: t.code })),
    }),
  },
  'crm.automation.trigger.delete': {
    scope: ['crm'],
    admin: true,
    adminError,
    handler: ({ portal, app, params }) => {
      const code = String(param(params, 'CODE') ?? '');
      if (!portal.triggers.some((t) => t.clientId === app.clientId && t.code === code)) throw legacyError('Trigger not found');
      portal.triggers = portal.triggers.filter((t) => !(t.clientId === app.clientId && t.code === code));
      return { result: true };
    },
  },
  'crm.automation.trigger.execute': {
    scope: ['crm'],
    admin: true,
    adminError,
    handler: ({ st, portal, app, params }) => {
      const code = String(param(params, 'CODE') ?? '');
      const ownerTypeId = Number(param(params, 'OWNER_TYPE_ID'));
      const ownerId = Number(param(params, 'OWNER_ID'));
      if (!code) throw legacyError('Empty trigger code!');
      if (!TRIGGER_CODE.test(code)) throw legacyError('Wrong trigger code!');
      if (!portal.triggers.some((t) => t.clientId === app.clientId && t.code === code)) throw legacyError(`Trigger with code ${code} is not registered.`);
      // "Triggers exist in leads, deals, estimates, invoices, and SPAs": a contact or a company has none.
      if (!hasTriggers(ownerTypeId)) throw legacyError('Incorrect parameter OWNER_TYPE_ID.');
      if (!(ownerId > 0)) throw legacyError('Incorrect parameter OWNER_ID.');
      const rec = { at: st.now(), code, ownerTypeId, ownerId } as (typeof portal.triggerExecutions)[number];
      portal.triggerExecutions.push(rec);
      const deal = ownerTypeId === 2 ? portal.deals.get(String(ownerId)) : undefined;
      const target = deal
        ? portal.triggerAttachments.find((a) => a.code === code && a.categoryId === String(deal.CATEGORY_ID))
        : undefined;
      if (deal && target && deal.STAGE_ID !== target.stageId) {
        rec.movedTo = target.stageId;
        // The portal moves the deal after answering; its robots run from the queue, not inside this call.
        st.background(moveDeal(st, portal, String(ownerId), target.stageId));
      }
      return { result: true };
    },
  },
};
