import { bigserial, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';

/** What a person may do in b24-sign (src/roles/policy.ts), lowest to highest. */
export type AppRole = 'viewer' | 'sender' | 'manager' | 'admin';
/** `everyone`: the portal's default for employees with no assignment of their own ('none' = no access). */
export type RoleSubjectType = 'user' | 'department' | 'everyone';
export type AssignedRole = AppRole | 'none';

/**
 * Who has which role on a portal, like Bitrix24.Sign's access settings: a user, a department (it
 * applies to the department's sub-departments too) or everyone (subject id 0). One row per subject;
 * a person's highest role wins. A portal without an `everyone` row uses the default in policy.ts.
 */
export const roleAssignments = pgTable(
  'role_assignments',
  {
    portalId: portalIdColumn(),
    subjectType: text('subject_type').$type<RoleSubjectType>().notNull(),
    /** Bitrix24 user id or department id; 0 for everyone. */
    subjectId: integer('subject_id').notNull(),
    role: text('role').$type<AssignedRole>().notNull(),
    /** Bitrix24 user who set it last. */
    updatedByUserId: integer('updated_by_user_id').notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('role_assignments_subject_key').on(t.portalId, t.subjectType, t.subjectId)],
);

/** Every change of a role assignment: who, when, the subject, and the role before and after (null = none set). */
export const roleChanges = pgTable(
  'role_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    portalId: portalIdColumn(),
    actorUserId: integer('actor_user_id').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    subjectType: text('subject_type').$type<RoleSubjectType>().notNull(),
    subjectId: integer('subject_id').notNull(),
    before: text('before').$type<AssignedRole>(),
    after: text('after').$type<AssignedRole>(),
    ip: text('ip'),
  },
  (t) => [index('role_changes_portal_idx').on(t.portalId, t.at)],
);

export type RoleAssignment = typeof roleAssignments.$inferSelect;
export type RoleChange = typeof roleChanges.$inferSelect;
