import { and, desc, eq } from 'drizzle-orm';
import type { Database, DbOrTx } from '../db/client.js';
import { roleAssignments, roleChanges, type AssignedRole, type RoleSubjectType } from '../db/schema/roles.js';

/** Every assignment of a portal (a handful: one per user or department someone chose). */
export function listAssignments(db: DbOrTx, portalId: string) {
  return db.select().from(roleAssignments).where(eq(roleAssignments.portalId, portalId));
}

/**
 * Sets (or with null removes) one subject's role and records the change — who, when, before, after —
 * in the same transaction. A change to the same role records nothing.
 */
export async function setAssignment(
  db: Database,
  p: { portalId: string; subjectType: RoleSubjectType; subjectId: number; role: AssignedRole | null; actorUserId: number; at: Date; ip?: string | null },
): Promise<{ before: AssignedRole | null; after: AssignedRole | null; changed: boolean }> {
  return db.transaction(async (tx) => {
    const key = and(eq(roleAssignments.portalId, p.portalId), eq(roleAssignments.subjectType, p.subjectType), eq(roleAssignments.subjectId, p.subjectId));
    const [row] = await tx.select().from(roleAssignments).where(key).for('update');
    const before = row?.role ?? null;
    if (before === p.role) return { before, after: p.role, changed: false };
    if (p.role === null) await tx.delete(roleAssignments).where(key);
    else if (row) await tx.update(roleAssignments).set({ role: p.role, updatedByUserId: p.actorUserId, updatedAt: p.at }).where(key);
    else await tx.insert(roleAssignments).values({ portalId: p.portalId, subjectType: p.subjectType, subjectId: p.subjectId, role: p.role, updatedByUserId: p.actorUserId, createdAt: p.at, updatedAt: p.at });
    await tx.insert(roleChanges).values({ portalId: p.portalId, actorUserId: p.actorUserId, at: p.at, subjectType: p.subjectType, subjectId: p.subjectId, before, after: p.role, ip: p.ip ?? null });
    return { before, after: p.role, changed: true };
  });
}

export function listChanges(db: DbOrTx, portalId: string, limit = 100) {
  return db.select().from(roleChanges).where(eq(roleChanges.portalId, portalId)).orderBy(desc(roleChanges.at), desc(roleChanges.id)).limit(Math.min(Math.max(limit, 1), 500));
}
