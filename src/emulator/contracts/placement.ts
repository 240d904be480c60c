/** placement.bind / unbind / get / list (b24restdocs api-reference/widgets/). */
import { z } from 'zod';
import { contract, documented, zInt, zLocalized, zPhpArray } from './types.js';

const handlerUrl = z.string();

export const placementContracts = [
  contract({
    method: 'placement.bind',
    source: ['b24restdocs api-reference/widgets/placement-bind.md'],
    scope: ['placement'],
    admin: true,
    params: z.looseObject({
      PLACEMENT: z.string().optional(),
      HANDLER: handlerUrl.optional(),
      TITLE: zLocalized.optional(),
      DESCRIPTION: zLocalized.optional(),
      GROUP_NAME: z.string().optional(),
      LANG_ALL: zPhpArray.optional(),
      OPTIONS: zPhpArray.optional(),
      USER_ID: zInt.optional(),
    }),
    result: z.literal(true),
    errors: documented('placement.bind'),
    unlisted: [
      // The page's table gives status 200 for these; real portals answer an error body with 400 like every
      // other REST refusal (reference §4.1) and the app reads the code, not the status.
      { code: 'ERROR_ARGUMENT', status: 400, message: "Argument 'PLACEMENT' is null or empty", why: 'docs table says 200; reference §4.1: 400' },
      { code: 'ERROR_PLACEMENT_USER_MODE', status: 400, message: 'User mode is not available for this placement', why: 'docs table says 200; reference §4.1: 400' },
      { code: 'ERROR_PLACEMENT_MAX_COUNT', status: 400, message: 'Placement max count exceeded', why: 'docs table says 200; reference §4.1: 400' },
      { code: 'ERROR_PLACEMENT_NOT_FOUND', status: 400, message: 'Placement not found', why: 'an unknown code, or a CRM placement without the crm scope (reference §4.1)' },
      { code: 'ERROR_WRONG_HANDLER_URL', status: 400, message: 'Wrong handler URL', why: 'a handler that is not http(s) (reference §4.1)' },
      { code: 'ERROR_CORE', status: 400, message: 'Unable to set placement handler: Handler already binded', why: 'a duplicate binding (reference §4.1)' },
      { code: 'ACCESS_DENIED', status: 403, message: 'Access denied! Administrator permissions required', why: 'non-admin caller; placement-unbind.md lists 403 ACCESS_DENIED for the same family' },
    ],
  }),
  contract({
    method: 'placement.unbind',
    source: ['b24restdocs api-reference/widgets/placement-unbind.md'],
    scope: ['placement'],
    admin: true,
    params: z.looseObject({ PLACEMENT: z.string().optional(), HANDLER: z.string().optional(), USER_ID: zInt.optional() }),
    result: z.looseObject({ count: z.number().int().nonnegative() }),
    errors: documented('placement.unbind'),
  }),
  contract({
    method: 'placement.get',
    source: ['b24restdocs api-reference/widgets/placement-get.md'],
    scope: ['placement'],
    admin: true,
    params: z.looseObject({}),
    result: z.array(
      z.looseObject({
        placement: z.string(),
        userId: z.number(),
        handler: z.string(),
        options: zPhpArray,
        title: z.string(),
        description: z.string(),
        langAll: zPhpArray,
      }),
    ),
    errors: documented('placement.get'),
    unlisted: [{ code: 'ACCESS_DENIED', status: 403, message: 'Access denied! Administrator permissions required', why: 'non-admin caller (placement-unbind.md lists it for the family)' }],
  }),
  contract({
    method: 'placement.list',
    source: ['b24restdocs api-reference/widgets/placement-list.md'],
    scope: ['placement'],
    params: z.looseObject({}),
    result: z.array(z.string()),
    errors: documented('placement.list'),
  }),
];
