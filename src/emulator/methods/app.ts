/** app.info and profile (reference §1.6, §4.6); the user.* methods are in user.ts. */
import { RestError, type MethodCtx, type MethodTable } from '../envelope.js';
import type { Row } from '../types.js';

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
};
