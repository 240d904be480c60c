/** app.info and profile on the portal (the OAuth server's app.info is oauth-app-info.ts). */
import { z } from 'zod';
import { contract, documented } from './types.js';

export const appContracts = [
  contract({
    method: 'app.info',
    source: ['b24restdocs api-reference/common/system/app-info.md'],
    scope: ['basic'],
    params: z.looseObject({}),
    // The docs' example: ID, CODE, VERSION, STATUS, INSTALLED, PAYMENT_EXPIRED, DAYS, LANGUAGE_ID, LICENSE*.
    result: z.looseObject({
      ID: z.number(),
      CODE: z.string(),
      VERSION: z.union([z.number(), z.string()]),
      STATUS: z.enum(['F', 'D', 'T', 'P', 'L', 'S']),
      INSTALLED: z.boolean(),
      PAYMENT_EXPIRED: z.enum(['Y', 'N']),
      DAYS: z.number().nullable(),
      LANGUAGE_ID: z.string(),
      LICENSE: z.string(),
      LICENSE_TYPE: z.string(),
      LICENSE_FAMILY: z.string(),
    }),
    errors: documented('app.info'),
  }),
  contract({
    method: 'profile',
    source: ['b24restdocs api-reference/common/users/profile.md'],
    scope: ['basic'],
    params: z.looseObject({}),
    result: z.looseObject({
      ID: z.string(), ADMIN: z.boolean(), NAME: z.string(), LAST_NAME: z.string(), PERSONAL_GENDER: z.string(), TIME_ZONE: z.string(),
    }),
    errors: documented('profile'),
  }),
  contract({
    method: 'user.admin',
    source: ['b24restdocs api-reference/common/users/user-admin.md'],
    scope: ['basic'],
    params: z.looseObject({}),
    result: z.boolean(),
    errors: documented('user.admin'),
  }),
];

