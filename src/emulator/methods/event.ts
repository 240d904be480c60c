/** event.bind / unbind / get and `events` (reference §9.1). */
import { param, RestError, type MethodTable } from '../envelope.js';

const CRM_EVENTS = ['DEAL', 'LEAD', 'CONTACT', 'COMPANY'].flatMap((e) => ['ADD', 'UPDATE', 'DELETE'].map((a) => `ONCRM${e}${a}`));
export const KNOWN_EVENTS = [
  'ONAPPINSTALL', 'ONAPPUPDATE', 'ONAPPUNINSTALL', 'ONAPPPAYMENT', 'ONAPPMETHODCONFIRM', 'ONOFFLINEEVENT',
  ...CRM_EVENTS, 'ONCRMTIMELINEITEMACTION', 'ONCRMTIMELINECOMMENTADD', 'ONCRMACTIVITYADD', 'ONCRMACTIVITYUPDATE', 'ONCRMACTIVITYDELETE',
  'ONCRMDOCUMENTGENERATORDOCUMENTADD', 'ONCRMDOCUMENTGENERATORDOCUMENTUPDATE', 'ONCRMDOCUMENTGENERATORDOCUMENTDELETE',
  'ONUSERADD', 'ONIMBOTMESSAGEADD',
];

export const eventMethods: MethodTable = {
  'event.bind': {
    handler: ({ portal, app, params, isAdmin, token }) => {
      const event = String(param(params, 'event', 'EVENT') ?? '').toUpperCase();
      const handler = String(param(params, 'handler', 'HANDLER') ?? '');
      const offline = String(param(params, 'event_type', 'EVENT_TYPE') ?? 'online').toLowerCase() === 'offline';
      const authType = String(param(params, 'auth_type', 'AUTH_TYPE') ?? '0');
      if (!KNOWN_EVENTS.includes(event)) throw new RestError(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
      if (!offline && !/^https?:\/\//i.test(handler)) throw new RestError(400, 'ERROR_ARGUMENT', 'Handler URL is required', { argument: 'handler' });
      // Texts from b24restdocs api-reference/events/event-bind.md, error table.
      if (offline && !isAdmin) throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Offline events binding requires administrator access rights');
      if (authType !== '0' && authType !== token.userId && !isAdmin) throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Event binding with AUTH_TYPE requires administrator access rights');
      const dup = portal.events.some((e) => e.clientId === app.clientId && e.event === event && e.handler === handler && e.authType === authType);
      if (dup) throw new RestError(400, 'ERROR_CORE', 'Unable to set event handler: Handler already binded');
      portal.events.push({ id: ++portal.seq, clientId: app.clientId, event, handler, authType, offline });
      return { result: true };
    },
  },
  'event.unbind': {
    handler: ({ portal, app, params }) => {
      const event = String(param(params, 'event', 'EVENT') ?? '').toUpperCase();
      const handler = param(params, 'handler', 'HANDLER');
      const hit = (e: (typeof portal.events)[number]) =>
        e.clientId === app.clientId && e.event === event && (handler === undefined || handler === '' || e.handler === String(handler));
      const count = portal.events.filter(hit).length;
      portal.events = portal.events.filter((e) => !hit(e));
      return { result: { count } };
    },
  },
  'event.get': {
    handler: ({ portal, app }) => ({
      result: portal.events
        .filter((e) => e.clientId === app.clientId)
        .map((e) => ({ event: e.event, handler: e.handler, auth_type: e.authType, offline: e.offline ? 1 : 0 })),
    }),
  },
  events: { handler: () => ({ result: KNOWN_EVENTS }) },
};
