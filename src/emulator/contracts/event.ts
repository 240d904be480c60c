/** event.bind / unbind / get and `events` (b24restdocs api-reference/events/). No scope: every app has them. */
import { z } from 'zod';
import { contract, documented, zInt } from './types.js';

export const eventContracts = [
  contract({
    method: 'event.bind',
    source: ['b24restdocs api-reference/events/event-bind.md'],
    scope: ['basic'],
    params: z.looseObject({
      event: z.string().optional(),
      handler: z.string().optional(),
      auth_type: zInt.optional(),
      event_type: z.enum(['online', 'offline']).optional(),
      auth_connector: z.string().optional(),
      options: z.unknown().optional(),
    }),
    result: z.literal(true),
    errors: documented('event.bind'),
    unlisted: [
      { code: 'ERROR_ARGUMENT', status: 400, message: 'Handler URL is required', why: 'an online event without an http(s) handler (reference §9.1)' },
      { code: 'ERROR_CORE', status: 400, message: 'Unable to set event handler: Handler already binded', why: 'a duplicate binding (reference §9.1)' },
    ],
  }),
  contract({
    method: 'event.unbind',
    source: ['b24restdocs api-reference/events/event-unbind.md'],
    scope: ['basic'],
    params: z.looseObject({ event: z.string().optional(), handler: z.string().optional(), auth_type: zInt.optional(), event_type: z.string().optional() }),
    result: z.looseObject({ count: z.number().int().nonnegative() }),
    errors: documented('event.unbind'),
  }),
  contract({
    method: 'event.get',
    source: ['b24restdocs api-reference/events/event-get.md'],
    scope: ['basic'],
    params: z.looseObject({}),
    result: z.array(z.looseObject({ event: z.string(), handler: z.string(), auth_type: z.union([z.string(), z.number()]), offline: z.number() })),
    errors: documented('event.get'),
  }),
  contract({
    method: 'events',
    source: ['b24restdocs api-reference/events/events.md'],
    scope: ['basic'],
    params: z.looseObject({ SCOPE: z.string().optional(), FULL: z.unknown().optional() }),
    result: z.array(z.string()),
    errors: documented('events'),
  }),
];
