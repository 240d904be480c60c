/**
 * `app.info` on the OAuth server (server_endpoint, e.g. https://oauth.bitrix.info/rest/app.info): which app
 * and portal a token belongs to. No b24restdocs page describes this variant; the official Python SDK's parser
 * does: b24pysdk b24pysdk/api/responses/bitrix_app_info_response.py (`B24AppInfoResult`, `B24AppInfoInstall`,
 * which read every field below as required and `version`/`user_id` with int()), statuses from
 * b24pysdk/constants/__init__.py `B24AppStatus`. The portal is only under `install`.
 */
import { z } from 'zod';
import { contract, SYSTEM_ERRORS, zInt } from './types.js';

const STATUS = z.enum(['F', 'D', 'T', 'P', 'L', 'S']);

export const oauthAppInfoContract = contract({
  method: 'app.info',
  source: ['b24pysdk b24pysdk/api/responses/bitrix_app_info_response.py', 'b24pysdk b24pysdk/constants/__init__.py'],
  scope: ['basic'],
  params: z.looseObject({}),
  result: z.looseObject({
    client_id: z.string().min(1),
    // Comma-separated, as the SDK splits it.
    scope: z.string(),
    // ISO 8601 (datetime.fromisoformat).
    expires: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/),
    user_id: zInt,
    install: z.looseObject({
      installed: z.boolean(),
      version: zInt,
      status: STATUS,
      scope: z.string(),
      domain: z.string().min(1),
      uri: z.string().min(1),
      client_endpoint: z.string().regex(/^https?:\/\/.+\/$/),
      member_id: z.string().min(1),
      member_type: z.string().min(1),
    }),
  }),
  errors: SYSTEM_ERRORS.filter((e) => e.status === 401),
});
