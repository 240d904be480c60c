/** Timeline writes and the look-ups that find them again (b24restdocs api-reference/crm/timeline/). */
import { z } from 'zod';
import { contract, documented, zFilter, zId, zInt, zPhpArray, zRows, zSelect, zStart } from './types.js';

export const timelineContracts = [
  contract({
    method: 'crm.timeline.comment.add',
    source: ['b24restdocs api-reference/crm/timeline/comments/crm-timeline-comment-add.md'],
    scope: ['crm'],
    params: z.looseObject({
      fields: z.looseObject({
        ENTITY_ID: zInt.optional(),
        ENTITY_TYPE: z.string().optional(),
        COMMENT: z.string().optional(),
        AUTHOR_ID: zInt.optional(),
        // [[name, base64], …]: the docs' FILES is a list of pairs (form encoding gives objects keyed 0, 1).
        FILES: zPhpArray.optional(),
      }).optional(),
    }),
    result: z.number().int().positive(),
    errors: documented('crm.timeline.comment.add'),
  }),
  contract({
    method: 'crm.timeline.logmessage.add',
    source: ['b24restdocs api-reference/crm/timeline/logmessage/crm-timeline-logmessage-add.md'],
    scope: ['crm'],
    params: z.looseObject({
      fields: z.looseObject({
        entityTypeId: zInt.optional(), entityId: zInt.optional(), title: z.string().optional(), text: z.string().optional(), iconCode: z.string().optional(),
      }).optional(),
    }),
    result: z.looseObject({
      logMessage: z.looseObject({ id: z.number(), created: z.string(), authorId: z.number(), title: z.string(), text: z.string(), iconCode: z.string() }),
    }),
    errors: documented('crm.timeline.logmessage.add'),
    unlisted: [
      { code: 'FIELD_IS_REQUIRED', status: 400, message: 'Field `…` is required', why: 'a missing field: the page lists "100 Required fields are not provided"; reference §7.3 saw FIELD_IS_REQUIRED' },
    ],
  }),
  ...(['add', 'update'] as const).map((op) =>
    contract({
      method: `crm.activity.configurable.${op}`,
      source: [`b24restdocs api-reference/crm/timeline/activities/configurable/crm-activity-configurable-${op}.md`],
      scope: ['crm'],
      params: z.looseObject({
        ...(op === 'add' ? { ownerTypeId: zInt.optional(), ownerId: zInt.optional() } : { id: zInt.optional() }),
        fields: zPhpArray.optional(),
        layout: zPhpArray.optional(),
      }),
      result: z.looseObject({ activity: z.looseObject({ id: z.number() }) }),
      errors: documented(`crm.activity.configurable.${op}`),
      unlisted: [{ code: 'NOT_FOUND', status: 400, message: 'Not found.', why: "the page's own error example (NOT_FOUND) for an owner or activity that does not exist" }],
    }),
  ),
  contract({
    method: 'crm.activity.list',
    source: ['b24restdocs api-reference/crm/timeline/activities/activity-base/crm-activity-list.md'],
    scope: ['crm'],
    params: z.looseObject({ order: zFilter.optional(), filter: zFilter.optional(), select: zSelect.optional(), start: zStart.optional() }),
    result: zRows,
    errors: documented('crm.activity.list'),
  }),
  contract({
    method: 'crm.timeline.logmessage.list',
    source: ['b24restdocs api-reference/crm/timeline/logmessage/crm-timeline-logmessage-list.md'],
    scope: ['crm'],
    params: z.looseObject({ entityTypeId: zId.optional(), entityId: zId.optional(), order: zFilter.optional(), start: zStart.optional() }),
    result: z.array(z.looseObject({ id: z.number(), created: z.string(), authorId: z.number() })),
    errors: documented('crm.timeline.logmessage.list'),
  }),
  contract({
    method: 'crm.timeline.comment.list',
    source: ['b24restdocs api-reference/crm/timeline/comments/crm-timeline-comment-list.md'],
    scope: ['crm'],
    params: z.looseObject({ filter: zFilter.optional(), order: zFilter.optional(), select: zSelect.optional(), start: zStart.optional() }),
    result: z.array(z.looseObject({ ID: z.string(), ENTITY_ID: z.string(), ENTITY_TYPE: z.string(), COMMENT: z.string() })),
    errors: documented('crm.timeline.comment.list'),
  }),
];
