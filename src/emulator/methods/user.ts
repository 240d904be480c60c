/**
 * user.current, user.get, user.search, user.admin (reference §6.4, §14).
 *
 * The fields a user record shows depend on the token's scope (b24restdocs api-reference/user/user-scope.md):
 * `user_brief` gives names, photo, position, activity and department but no EMAIL and no phones;
 * `user_basic` adds EMAIL and the phones; `user` gives every field.
 */
import { userFieldsFor } from '../contracts/user.js';
import { asObject, RestError, type MethodCtx, type MethodTable } from '../envelope.js';
import { matches, page, sortRows } from '../list.js';
import type { Row } from '../types.js';

const USER_SCOPES = ['user', 'user_brief', 'user_basic'];

/** A user record as a token with these scopes sees it: the field sets are the contract's (contracts/user.ts). */
export function userAsScoped(u: Row, scope: readonly string[]): Row {
  const allowed = userFieldsFor(scope);
  if (!allowed) return u;
  return Object.fromEntries(Object.entries(u).filter(([k]) => allowed.has(k)));
}

function user(ctx: MethodCtx, id: string): Row {
  const u = ctx.portal.users.find((x) => String(x.ID) === id);
  if (!u) throw new RestError(400, 'ERROR_NOT_FOUND', 'User not found');
  return u;
}

const RESERVED = new Set(['SORT', 'ORDER', 'FILTER', 'ADMIN_MODE', 'START', 'SELECT', 'IMAGE_RESIZE']);

/** FILTER plus filter fields given at the top level (the docs' own user.get/user.search examples do that). */
function filterOf(params: Row): Row {
  const filter: Row = { ...asObject(params.FILTER ?? params.filter) };
  for (const [k, v] of Object.entries(params)) if (/^[!<>=%@]*[A-Z_]+$/.test(k) && !RESERVED.has(k)) filter[k] = v;
  return filter;
}

function listUsers(ctx: MethodCtx, rows: Row[]) {
  const { params } = ctx;
  const sortField = String(params.SORT ?? params.sort ?? 'ID');
  const sorted = sortRows(rows, { [sortField]: String(params.ORDER ?? params.order ?? 'ASC') });
  const p = page(sorted, params.start ?? params.START);
  return { result: p.items.map((u) => userAsScoped(u, ctx.token.scope)), total: p.total, next: p.next };
}

/** Fields FIND looks in (b24restdocs api-reference/user/user-search.md), matched from the start of a word ("right LIKE"). */
const FIND_FIELDS = ['NAME', 'LAST_NAME', 'SECOND_NAME', 'WORK_POSITION', 'UF_DEPARTMENT_NAME'];

function findMatches(u: Row, find: string): boolean {
  const words = FIND_FIELDS.flatMap((f) => String(u[f] ?? '').toLowerCase().split(/[\s,.-]+/)).filter(Boolean);
  return find.toLowerCase().split(/\s+/).filter(Boolean).every((t) => words.some((w) => w.startsWith(t)));
}

export const userMethods: MethodTable = {
  'user.current': { scope: USER_SCOPES, handler: (ctx) => ({ result: userAsScoped(user(ctx, ctx.token.userId), ctx.token.scope) }) },
  'user.admin': { scope: USER_SCOPES, handler: (ctx) => ({ result: ctx.isAdmin }) },
  'user.get': {
    scope: USER_SCOPES,
    handler: (ctx) => {
      const filter = filterOf(ctx.params);
      // Filtering on a field the scope hides would reveal it; the portal filters only on what the token may see.
      const visible = ctx.portal.users.map((u) => ({ u, seen: userAsScoped(u, ctx.token.scope) }));
      return listUsers(ctx, visible.filter((x) => matches(x.seen, filter)).map((x) => x.u));
    },
  },
  'user.search': {
    scope: USER_SCOPES,
    handler: (ctx) => {
      const filter = filterOf(ctx.params);
      const find = filter.FIND;
      if (find === undefined) return userMethods['user.get']!.handler(ctx);
      // "It is not possible to use FIND and any other field simultaneously" (b24restdocs
      // api-reference/user/user-search.md). The docs name no error for it; the emulator refuses the
      // combination so a client that mixes them is caught here rather than on a real portal.
      const others = Object.keys(filter).filter((k) => k !== 'FIND');
      if (others.length) throw new RestError(400, 'INVALID_ARG_VALUE', `FIND cannot be combined with other filter fields (${others.join(', ')})`);
      return listUsers(ctx, ctx.portal.users.filter((u) => findMatches(u, String(find))));
    },
  },
};
