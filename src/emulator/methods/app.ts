/** app.info, profile, user.current, user.get, user.admin (reference §1.6, §4.6, §6.4). */
import { asObject, RestError, type MethodCtx, type MethodTable } from '../envelope.js';
import { matches, page, sortRows } from '../list.js';
import type { Row } from '../types.js';

const USER_SCOPES = ['user', 'user_brief', 'user_basic'];

function user(ctx: MethodCtx, id: string): Row {
  const u = ctx.portal.users.find((x) => String(x.ID) === id);
  if (!u) throw new RestError(400, 'ERROR_NOT_FOUND', 'User not found');
  return u;
}

export const appMethods: MethodTable = {
  'app.info': {
    handler: ({ app, portal }) => ({
      result: {
        ID: 1,
        CODE: app.code,
        VERSION: Number(app.version) || app.version,
        STATUS: app.status,
        INSTALLED: app.installed,
        PAYMENT_EXPIRED: 'N',
        DAYS: null,
        LANGUAGE_ID: app.languageId,
        LICENSE: portal.license,
        LICENSE_TYPE: portal.plan === 'enterprise' ? 'ent' : 'project',
        LICENSE_FAMILY: portal.plan === 'enterprise' ? 'ent' : 'project',
      },
    }),
  },
  profile: {
    handler: (ctx) => {
      const u = user(ctx, ctx.token.userId);
      return {
        result: {
          ID: String(u.ID), ADMIN: ctx.isAdmin, NAME: u.NAME, LAST_NAME: u.LAST_NAME, PERSONAL_GENDER: u.PERSONAL_GENDER ?? '',
          TIME_ZONE: u.TIME_ZONE ?? '',
        },
      };
    },
  },
  'user.current': { scope: USER_SCOPES, handler: (ctx) => ({ result: user(ctx, ctx.token.userId) }) },
  'user.admin': { scope: USER_SCOPES, handler: (ctx) => ({ result: ctx.isAdmin }) },
  'user.get': {
    scope: USER_SCOPES,
    handler: ({ portal, params }) => {
      const reserved = new Set(['SORT', 'ORDER', 'FILTER', 'ADMIN_MODE', 'START', 'SELECT', 'IMAGE_RESIZE']);
      const filter: Row = { ...asObject(params.FILTER ?? params.filter) };
      for (const [k, v] of Object.entries(params)) if (/^[!<>=%@]*[A-Z_]+$/.test(k) && !reserved.has(k)) filter[k] = v;
      const sortField = String(params.SORT ?? params.sort ?? 'ID');
      const rows = sortRows(
        portal.users.filter((u) => matches(u, filter)),
        { [sortField]: String(params.ORDER ?? params.order ?? 'ASC') },
      );
      const p = page(rows, params.start ?? params.START);
      return { result: p.items, total: p.total, next: p.next };
    },
  },
};
