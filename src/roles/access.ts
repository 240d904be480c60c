import type { AssignedRole } from '../db/schema/roles.js';
import type { Services } from '../services.js';
import { peopleUnder, orgOf, withAncestors } from './people.js';
import type { Person } from './person.js';
import { DEFAULT_EVERYONE_ROLE, highest, type Access } from './policy.js';
import { listAssignments } from './store.js';

/**
 * The effective role of a person (a session's, or the app page's frame user): portal administrators (the frame's admin flag, which
 * Bitrix24 answers as user.admin) are admins; anyone else gets the highest of their own assignment,
 * their departments' (a department's role reaches its sub-departments), and everyone's (default:
 * DEFAULT_EVERYONE_ROLE). Bitrix24 is asked about departments only when a department role exists or
 * the person is a manager (whose people are their departments').
 */
export async function resolveAccess(services: Pick<Services, 'db' | 'bitrix24' | 'logger' | 'clock'>, session: Pick<Person, 'portalId' | 'userId' | 'isAdmin'>): Promise<Access> {
  const base = { portalId: session.portalId, userId: session.userId };
  if (session.isAdmin) return { ...base, role: 'admin', via: ['portal-admin'], team: 'all' };
  const rows = await listAssignments(services.db, session.portalId);
  const everyone = rows.find((r) => r.subjectType === 'everyone');
  const own = rows.find((r) => r.subjectType === 'user' && r.subjectId === session.userId);
  const depRows = rows.filter((r) => r.subjectType === 'department');
  const found: { role: AssignedRole; via: string }[] = [{ role: everyone?.role ?? DEFAULT_EVERYONE_ROLE, via: everyone ? 'everyone' : 'default' }];
  if (own) found.push({ role: own.role, via: `user:${own.subjectId}` });
  const mayBeManager = [...found, ...depRows].some((r) => r.role === 'manager');
  let org: Awaited<ReturnType<typeof orgOf>> | undefined;
  if (depRows.length || mayBeManager) {
    org = await orgOf(services, session.portalId);
    const mine = withAncestors(org, org.userDepartments.get(session.userId) ?? []);
    for (const r of depRows) if (mine.has(r.subjectId)) found.push({ role: r.role, via: `department:${r.subjectId}` });
  }
  const role = highest(found.map((f) => f.role));
  const via = found.filter((f) => f.role === role).map((f) => f.via);
  if (role === 'admin') return { ...base, role, via, team: 'all' };
  if (role === 'manager' && org) {
    const team = peopleUnder(org, org.userDepartments.get(session.userId) ?? []);
    team.add(session.userId);
    return { ...base, role, via, team };
  }
  return { ...base, role, via, team: new Set([session.userId]) };
}
