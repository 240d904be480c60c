import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppRole } from '../db/schema/roles.js';
import { resolveAccess } from '../roles/access.js';
import { demand, type Access } from '../roles/policy.js';
import type { SessionEnv } from './session.js';

// The HTTP side of roles: the rules (src/roles) take a plain person; here a request's session is that
// person, and its access is resolved once per request.

const perRequest = new WeakMap<object, Promise<Access>>();

/** The request's access, resolved once per request (routes and their checks share it). */
export function accessOf(c: Context<SessionEnv>): Promise<Access> {
  let p = perRequest.get(c);
  if (!p) {
    p = resolveAccess(c.var.services, c.var.session);
    perRequest.set(c, p);
  }
  return p;
}

/** Route guard after requireSession: 403 (FORBIDDEN, details.rule) below `min`. */
export const requireRole = (min: AppRole) =>
  createMiddleware<SessionEnv>(async (c, next) => {
    demand(await accessOf(c), c.var.session, min);
    await next();
  });
