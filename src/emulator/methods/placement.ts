/** placement.bind / unbind / get / list (reference §4.1–§4.2): admin only, app context, duplicates refused. */
import { asObject, param, RestError, type MethodTable } from '../envelope.js';

const ENTITIES: Record<string, string[]> = {
  DETAIL_TAB: ['LEAD', 'DEAL', 'CONTACT', 'COMPANY', 'QUOTE', 'SMART_INVOICE', 'ORDER'],
  DETAIL_TOOLBAR: ['LEAD', 'DEAL', 'CONTACT', 'COMPANY', 'QUOTE', 'SMART_INVOICE'],
  DETAIL_ACTIVITY: ['LEAD', 'CONTACT', 'COMPANY', 'DEAL', 'QUOTE', 'SMART_INVOICE', 'ORDER'],
  ACTIVITY_TIMELINE_MENU: ['LEAD', 'DEAL', 'QUOTE', 'SMART_INVOICE'],
  DOCUMENTGENERATOR_BUTTON: ['LEAD', 'CONTACT', 'COMPANY', 'DEAL', 'SMART_INVOICE', 'QUOTE'],
  LIST_MENU: ['LEAD', 'CONTACT', 'COMPANY', 'DEAL', 'SMART_INVOICE', 'QUOTE', 'ACTIVITY'],
  LIST_TOOLBAR: ['LEAD', 'CONTACT', 'COMPANY', 'DEAL', 'QUOTE', 'SMART_INVOICE', 'ORDER'],
  ROBOT_DESIGNER_TOOLBAR: ['LEAD', 'DEAL', 'SMART_INVOICE'],
};
const OTHER = ['REST_APP_URI', 'PAGE_BACKGROUND_WORKER', 'LEFT_MENU', 'USER_PROFILE_MENU', 'USER_PROFILE_TOOLBAR', 'IM_NAVIGATION', 'IM_TEXTAREA', 'IM_SIDEBAR', 'CALENDAR_GRIDVIEW', 'TASK_VIEW_TAB', 'TASK_VIEW_SIDEBAR', 'CONTACT_CENTER', 'TELEPHONY_ANALYTICS_MENU'];
const SINGLE = new Set(['REST_APP_URI']);

export function isKnownPlacement(code: string): boolean {
  if (OTHER.includes(code)) return true;
  const m = /^CRM_(.+?)_(DETAIL_TAB|DETAIL_TOOLBAR|DETAIL_ACTIVITY|ACTIVITY_TIMELINE_MENU|DOCUMENTGENERATOR_BUTTON|LIST_MENU|LIST_TOOLBAR|ROBOT_DESIGNER_TOOLBAR)$/.exec(code);
  if (!m) return false;
  return ENTITIES[m[2]!]!.includes(m[1]!) || /^DYNAMIC_\d+$/.test(m[1]!);
}

const adminError = () => new RestError(403, 'ACCESS_DENIED', 'Access denied! Administrator permissions required');
const argError = (name: string) => new RestError(400, 'ERROR_ARGUMENT', `Argument '${name}' is null or empty`, { argument: name });

export const placementMethods: MethodTable = {
  'placement.bind': {
    scope: ['placement'],
    admin: true,
    adminError,
    handler: ({ portal, app, params, token, st }) => {
      const code = String(param(params, 'PLACEMENT') ?? '').toUpperCase();
      const handler = String(param(params, 'HANDLER') ?? '');
      if (!code) throw argError('PLACEMENT');
      if (!handler) throw argError('HANDLER');
      if (!isKnownPlacement(code) || (code.startsWith('CRM_') && !token.scope.includes('crm'))) {
        throw new RestError(400, 'ERROR_PLACEMENT_NOT_FOUND', 'Placement not found');
      }
      if (!/^https?:\/\//i.test(handler)) throw new RestError(400, 'ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
      const userId = param(params, 'USER_ID');
      if (userId !== undefined && code !== 'PAGE_BACKGROUND_WORKER') {
        throw new RestError(400, 'ERROR_PLACEMENT_USER_MODE', 'User mode is not available for this placement');
      }
      const mine = portal.placements.filter((p) => p.clientId === app.clientId && p.placement === code);
      if (mine.some((p) => p.handler === handler)) {
        throw new RestError(400, 'ERROR_CORE', 'Unable to set placement handler: Handler already binded');
      }
      if (SINGLE.has(code) && mine.length) throw new RestError(400, 'ERROR_PLACEMENT_MAX_COUNT', 'Placement max count exceeded');
      // Only the activity placements keep OPTIONS; the others accept and drop them (reference §4.1).
      const keepsOptions = /_DETAIL_ACTIVITY$/.test(code);
      portal.placements.push({
        id: ++portal.seq, clientId: app.clientId, placement: code, handler,
        title: String(param(params, 'TITLE') ?? ''), description: String(param(params, 'DESCRIPTION') ?? ''),
        groupName: String(param(params, 'GROUP_NAME') ?? ''), langAll: asObject(param(params, 'LANG_ALL')) as never,
        options: keepsOptions ? asObject(param(params, 'OPTIONS')) : {}, userId: Number(userId ?? 0),
      });
      void st;
      return { result: true };
    },
  },
  'placement.unbind': {
    scope: ['placement'],
    admin: true,
    adminError,
    handler: ({ portal, app, params }) => {
      const code = String(param(params, 'PLACEMENT') ?? '').toUpperCase();
      if (!code) throw argError('PLACEMENT');
      const handler = param(params, 'HANDLER');
      const hit = (p: (typeof portal.placements)[number]) =>
        p.clientId === app.clientId && p.placement === code && (handler === undefined || handler === '' || p.handler === String(handler));
      const found = portal.placements.filter(hit).length;
      portal.placements = portal.placements.filter((p) => !hit(p));
      // count grows by one per found record and one more per deleted record (reference §4.1).
      return { result: { count: found * 2 } };
    },
  },
  'placement.get': {
    scope: ['placement'],
    admin: true,
    adminError,
    handler: ({ portal, app }) => ({
      result: portal.placements
        .filter((p) => p.clientId === app.clientId)
        .map((p) => ({
          placement: p.placement, userId: p.userId, handler: p.handler,
          options: Object.keys(p.options).length ? p.options : [], title: p.title, description: p.description,
          langAll: Object.keys(p.langAll).length ? p.langAll : [],
        })),
    }),
  },
  'placement.list': {
    scope: ['placement'],
    handler: () => ({
      result: [
        ...OTHER,
        ...Object.entries(ENTITIES).flatMap(([fam, ents]) => ents.map((e) => `CRM_${e}_${fam}`)),
      ],
    }),
  },
};
