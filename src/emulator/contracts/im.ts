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
    // MESSAGE takes the messenger's formatting codes ([URL=…]…[/URL], [B], [BR]…): chats/messages/index.md,
    // modelled for display in src/emulator/im-text.ts; MESSAGE_OUT is the plain text for external channels (e-mail).
    source: ['b24restdocs api-reference/chats/notifications/im-notify-personal-add.md', 'b24restdocs api-reference/chats/messages/index.md'],
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
