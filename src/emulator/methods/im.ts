/** im.notify.personal.add (and its older alias im.notify): personal notifications are only recorded. */
import { param, RestError, type MethodCtx, type MethodTable } from '../envelope.js';

function notify(ctx: MethodCtx) {
  const to = String(param(ctx.params, 'USER_ID', 'to') ?? '');
  const message = String(param(ctx.params, 'MESSAGE', 'message') ?? '');
  if (!ctx.portal.users.some((u) => String(u.ID) === to)) throw new RestError(400, 'USER_ID_EMPTY', "User ID can't be empty");
  if (!message.trim()) throw new RestError(400, 'MESSAGE_EMPTY', "Message can't be empty");
  // "A unique tag for the notification within the application. When adding a notification with an
  // existing tag, other notifications will be removed" (b24restdocs
  // api-reference/chats/notifications/im-notify-personal-add.md): a repeat under one tag leaves one.
  const tag = param(ctx.params, 'TAG', 'tag');
  if (tag) ctx.portal.notifications = ctx.portal.notifications.filter((n) => !(n.clientId === ctx.app.clientId && String(n.params.TAG ?? n.params.tag ?? '') === String(tag)));
  const id = ++ctx.portal.seq;
  ctx.portal.notifications.push({ id, at: ctx.st.now(), clientId: ctx.app.clientId, fromUserId: ctx.token.userId, toUserId: to, message, params: ctx.params });
  return { result: id };
}

export const imMethods: MethodTable = {
  'im.notify.personal.add': { scope: ['im'], handler: notify },
  'im.notify': { scope: ['im'], handler: notify },
};
