/**
 * Robots and activities (registration), bizproc.event.send, bizproc.activity.log
 * (b24restdocs api-reference/bizproc/bizproc-robot/, …/bizproc-activity/).
 */
import { z } from 'zod';
import { contract, documented, zInt, zLocalized, zPhpArray, type MethodContract } from './types.js';

/** Fields of add (top level) and update (under FIELDS). */
const robotFields = {
  HANDLER: z.string().optional(),
  AUTH_USER_ID: zInt.optional(),
  USE_SUBSCRIPTION: z.enum(['Y', 'N', '']).optional(),
  NAME: zLocalized.optional(),
  DESCRIPTION: zLocalized.optional(),
  PROPERTIES: zPhpArray.optional(),
  RETURN_PROPERTIES: zPhpArray.optional(),
  DOCUMENT_TYPE: z.array(z.string()).optional(),
  FILTER: zPhpArray.optional(),
  USE_PLACEMENT: z.enum(['Y', 'N']).optional(),
  PLACEMENT_HANDLER: z.string().optional(),
};

function family(prefix: 'bizproc.robot' | 'bizproc.activity', dir: string): MethodContract[] {
  const page = (m: string) => `b24restdocs api-reference/bizproc/${dir}/${m.replace(/\./g, '-')}.md`;
  const extra = prefix === 'bizproc.activity' ? { USE_SUBSCRIPTION: z.enum(['Y', 'N', '']).optional(), DOCUMENT_TYPE: z.array(z.string()).optional() } : {};
  return [
    contract({
      method: `${prefix}.add`, source: [page(`${prefix}.add`)], scope: ['bizproc'], admin: true,
      params: z.looseObject({ CODE: z.string().optional(), ...robotFields, ...extra }),
      result: z.literal(true),
      errors: documented(`${prefix}.add`),
      unlisted: [
        { code: 'ERROR_ACTIVITY_ALREADY_INSTALLED', status: 400, message: 'Activity or Robot already installed!', why: 'the robot page words it "Automation rule"; same code' },
        { code: 'ERROR_ACTIVITY_VALIDATION_FAILURE', status: 400, message: 'Empty PLACEMENT_HANDLER!', why: 'USE_PLACEMENT=Y without PLACEMENT_HANDLER (reference §5.1)' },
      ],
    }),
    contract({
      method: `${prefix}.update`, source: [page(`${prefix}.update`)], scope: ['bizproc'], admin: true,
      params: z.looseObject({ CODE: z.string().optional(), FIELDS: z.looseObject({ ...robotFields }).optional() }),
      result: z.literal(true),
      errors: documented(`${prefix}.update`),
      unlisted: [
        { code: 'ERROR_ACTIVITY_NOT_FOUND', status: 400, message: 'Activity or Robot not found!', why: 'same code as documented, older wording (reference §5.1)' },
        { code: 'ERROR_ACTIVITY_VALIDATION_FAILURE', status: 400, message: 'Empty data!', why: 'empty FIELDS; the page lists "No fields to update" under the same code' },
      ],
    }),
    contract({
      method: `${prefix}.list`, source: [page(`${prefix}.list`)], scope: ['bizproc'], admin: true,
      params: z.looseObject({}),
      result: z.array(z.string()),
      errors: documented(`${prefix}.list`),
    }),
    contract({
      method: `${prefix}.delete`, source: [page(`${prefix}.delete`)], scope: ['bizproc'], admin: true,
      params: z.looseObject({ CODE: z.string().optional() }),
      result: z.literal(true),
      errors: documented(`${prefix}.delete`),
    }),
  ];
}

export const bizprocContracts = [
  ...family('bizproc.robot', 'bizproc-robot'),
  ...family('bizproc.activity', 'bizproc-activity'),
  contract({
    method: 'bizproc.event.send',
    source: ['b24restdocs api-reference/bizproc/bizproc-robot/bizproc-event-send.md'],
    scope: ['bizproc'],
    params: z.looseObject({
      EVENT_TOKEN: z.string().optional(),
      RETURN_VALUES: zPhpArray.optional(),
      LOG_MESSAGE: z.string().optional(),
    }),
    result: z.literal(true),
    errors: documented('bizproc.event.send'),
  }),
  contract({
    method: 'bizproc.activity.log',
    source: ['b24restdocs api-reference/bizproc/bizproc-activity/bizproc-activity-log.md'],
    scope: ['bizproc'],
    params: z.looseObject({ EVENT_TOKEN: z.string().optional(), LOG_MESSAGE: z.string().optional() }),
    result: z.literal(true),
    errors: documented('bizproc.activity.log'),
    unlisted: [{ code: 'ACCESS_DENIED', status: 403, message: 'Access denied!', why: 'a dead EVENT_TOKEN: bizproc-event-send.md documents 403 for it; this page says 400' }],
  }),
];

export const automationContracts = [
  ['crm.automation.trigger.add', { CODE: z.string().optional(), NAME: z.string().optional() }, z.literal(true)],
  ['crm.automation.trigger.list', {}, z.array(z.looseObject({ NAME: z.string(), CODE: z.string() }))],
  ['crm.automation.trigger.delete', { CODE: z.string().optional() }, z.literal(true)],
  ['crm.automation.trigger.execute', { CODE: z.string().optional(), OWNER_TYPE_ID: zInt.optional(), OWNER_ID: zInt.optional() }, z.literal(true)],
].map(([method, params, result]) =>
  contract({
    method: method as string,
    source: [`b24restdocs api-reference/crm/automation/triggers/${(method as string).replace(/\./g, '-')}.md`],
    scope: ['crm'],
    admin: true,
    params: z.looseObject(params as z.ZodRawShape),
    result: result as z.ZodType,
    errors: documented(method as string),
  }),
);
