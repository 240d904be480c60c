/** crm.automation.trigger.add / execute / list / delete (reference §5.2). */
import { param, RestError, type MethodTable } from '../envelope.js';
import { moveDeal } from '../robots.js';

export const automationMethods: MethodTable = {
  'crm.automation.trigger.add': {
    scope: ['crm'],
    admin: true,
    handler: ({ portal, app, params }) => {
      const code = String(param(params, 'CODE') ?? '');
      const name = String(param(params, 'NAME') ?? '');
      if (!code || !/^[a-zA-Z0-9._-]+$/.test(code)) throw new RestError(400, 'ERROR_ARGUMENT', 'Wrong trigger code', { argument: 'CODE' });
      if (!name) throw new RestError(400, 'ERROR_ARGUMENT', 'Empty trigger name', { argument: 'NAME' });
      const existing = portal.triggers.find((t) => t.clientId === app.clientId && t.code === code);
      if (existing) existing.name = name;
      else portal.triggers.push({ clientId: app.clientId, code, name });
      return { result: true };
    },
  },
  'crm.automation.trigger.list': {
    scope: ['crm'],
    handler: ({ portal, app }) => ({
      result: portal.triggers.filter((t) => t.clientId === app.clientId).map((t) => ({ NAME: t.name, CODE: t.code })),
    }),
  },
  'crm.automation.trigger.delete': {
    scope: ['crm'],
    admin: true,
    handler: ({ portal, app, params }) => {
      const code = String(param(params, 'CODE') ?? '');
      if (!portal.triggers.some((t) => t.clientId === app.clientId && t.code === code)) throw new RestError(400, 'ERROR_NOT_FOUND', 'Trigger not found');
      portal.triggers = portal.triggers.filter((t) => !(t.clientId === app.clientId && t.code === code));
      return { result: true };
    },
  },
  'crm.automation.trigger.execute': {
    scope: ['crm'],
    handler: ({ st, portal, app, params }) => {
      const code = String(param(params, 'CODE') ?? '');
      const ownerTypeId = Number(param(params, 'OWNER_TYPE_ID'));
      const ownerId = Number(param(params, 'OWNER_ID'));
      if (!code) throw new RestError(400, 'ERROR_ARGUMENT', 'Empty trigger code', { argument: 'CODE' });
      if (!(ownerTypeId > 0) || !(ownerId > 0)) throw new RestError(400, 'ERROR_ARGUMENT', 'Wrong owner', { argument: 'OWNER_ID' });
      const rec = { at: st.now(), code, ownerTypeId, ownerId } as (typeof portal.triggerExecutions)[number];
      portal.triggerExecutions.push(rec);
      const deal = ownerTypeId === 2 ? portal.deals.get(String(ownerId)) : undefined;
      const known = portal.triggers.some((t) => t.clientId === app.clientId && t.code === code);
      const target = deal && known
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
