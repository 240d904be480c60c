import { findPortal } from '../portals/store.js';
import { grantsScope, scopeList } from '../bitrix24/scopes.js';
import type { Services } from '../services.js';

/**
 * The portal's organisation as roles need it: each user's departments (user.get's UF_DEPARTMENT) and
 * the department tree (department.get's PARENT, scope `department`). Read with the app's token — who
 * belongs where is not a CRM record the user's rights should narrow — and kept a minute per portal.
 * Without the `department` scope the tree is unknown: a department's role then reaches only the
 * people directly in it, and a manager's people are those of their own departments.
 */
export interface Org {
  /** user id → department ids. */
  userDepartments: ReadonlyMap<number, readonly number[]>;
  /** department id → parent id. */
  parent: ReadonlyMap<number, number>;
  departments: readonly { id: number; name: string; parent: number | null }[];
}

const TTL_MS = 60_000;
const FAILED_TTL_MS = 5_000;
const cache = new Map<string, { at: number; ttl: number; org: Promise<Org> }>();

const ids = (v: unknown): number[] => (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]).map(Number).filter((n) => Number.isInteger(n) && n > 0);

async function readOrg(services: Pick<Services, 'bitrix24' | 'db' | 'logger'>, portalId: string): Promise<{ org: Org; complete: boolean }> {
  const client = services.bitrix24.forPortal(portalId);
  const portal = await findPortal(services.db, portalId);
  let complete = true;
  const users = await Promise.resolve().then(() => client.listAll<Record<string, unknown>>('user.get', {})).catch((e: unknown) => {
    complete = false;
    services.logger.warn({ err: e, portalId }, 'roles: user.get failed; department roles and teams are left out');
    return [];
  });
  const userDepartments = new Map<number, number[]>();
  for (const u of users) userDepartments.set(Number(u.ID), ids(u.UF_DEPARTMENT));
  let deps: Record<string, unknown>[] = [];
  if (grantsScope(scopeList(portal?.scope), 'department')) {
    deps = await Promise.resolve().then(() => client.listAll<Record<string, unknown>>('department.get', {})).catch((e: unknown) => {
      complete = false;
      services.logger.warn({ err: e, portalId }, 'roles: department.get failed; sub-departments are left out');
      return [];
    });
  }
  const parent = new Map<number, number>();
  const departments = deps.map((d) => {
    const id = Number(d.ID);
    const p = Number(d.PARENT);
    if (Number.isInteger(p) && p > 0 && p !== id) parent.set(id, p);
    return { id, name: typeof d.NAME === 'string' ? d.NAME : String(d.ID), parent: parent.get(id) ?? null };
  });
  return { org: { userDepartments, parent, departments }, complete };
}

export function orgOf(services: Pick<Services, 'bitrix24' | 'db' | 'logger' | 'clock'>, portalId: string): Promise<Org> {
  const now = services.clock.now().getTime();
  const hit = cache.get(portalId);
  if (hit && now - hit.at < hit.ttl) return hit.org;
  const entry = { at: now, ttl: TTL_MS, org: Promise.resolve<Org>({ userDepartments: new Map(), parent: new Map(), departments: [] }) };
  entry.org = readOrg(services, portalId).then(({ org, complete }) => {
    if (!complete) entry.ttl = FAILED_TTL_MS;
    return org;
  });
  cache.set(portalId, entry);
  return entry.org;
}

/** After a role change or in tests: the next request reads the organisation again. */
export function forgetOrg(portalId?: string): void {
  if (portalId) cache.delete(portalId);
  else cache.clear();
}

/** A department and every department above it (loops in a broken tree end). */
export function withAncestors(org: Org, deps: readonly number[]): Set<number> {
  const out = new Set<number>();
  for (const d of deps) {
    let cur: number | undefined = d;
    while (cur !== undefined && !out.has(cur)) {
      out.add(cur);
      cur = org.parent.get(cur);
    }
  }
  return out;
}

/** The people of these departments and of every department below them. */
export function peopleUnder(org: Org, deps: readonly number[]): Set<number> {
  const roots = new Set(deps);
  const out = new Set<number>();
  for (const [user, theirs] of org.userDepartments) {
    if (theirs.some((d) => [...withAncestors(org, [d])].some((a) => roots.has(a)))) out.add(user);
  }
  return out;
}
