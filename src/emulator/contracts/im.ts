/** Personal notifications (b24restdocs api-reference/chats/notifications/). */
import { z } from 'zod';
import { contract, documented, zInt } from './types.js';

const params = z.looseObject({
  USER_ID: zInt.optional(), MESSAGE: z.string().optional(), MESSAGE_OUT: z.string().optional(), TAG: z.string().optional(),
  SUB_TAG: z.string().optional(), ATTACH: z.unknown().optional(),
});

export const imContracts = [
  contract({
    method: 'im.notify.personal.add',
    source: ['b24restdocs api-reference/chats/notifications/im-notify-personal-add.md'],
    scope: ['im'],
    params,
    result: z.number().int().positive(),
    errors: documented('im.notify.personal.add'),
  }),
  contract({
    method: 'im.notify',
    source: ['b24restdocs api-reference/chats/notifications/im-notify.md'],
    scope: ['im'],
    params: params.extend({ to: zInt.optional(), message: z.string().optional(), type: z.string().optional() }),
    result: z.number().int().positive(),
    errors: documented('im.notify'),
  }),
];
