import type { AppRole, AssignedRole } from '../db/schema/roles.js';
import { format, type Lang } from '../i18n/index.js';
import { AppError } from '../lib/app-error.js';
import { ROLE_MESSAGES } from './texts.js';

/**
 * Roles, like Bitrix24.Sign's access settings (issue 17 item 3):
 * - viewer: sees the documents of CRM items they can read (and their own); downloads sealed PDFs;
 * - sender: viewer + creates and sends documents on items they can read; resends and voids their own;
 * - manager: sender + sees, resends and voids every document of their departments' people (their
 *   departments and the sub-departments); edits templates;
 * - admin: everything, including settings and roles. Portal administrators are always admins.
 * A person's highest role wins (their own, their departments' and their parents', everyone's).
 */
export const ROLES: readonly AppRole[] = ['viewer', 'sender', 'manager', 'admin'];
const RANK: Record<AssignedRole, number> = { none: 0, viewer: 1, sender: 2, manager: 3, admin: 4 };

/**
 * A portal without an `everyone` assignment: every employee is a sender, so a portal that never opened
 * the roles page works as before roles existed.
 */
export const DEFAULT_EVERYONE_ROLE: AssignedRole = 'sender';

export const rankOf = (r: AssignedRole | null | undefined) => RANK[r ?? 'none'] ?? 0;
export const highest = (roles: readonly (AssignedRole | null | undefined)[]): AssignedRole =>
  roles.reduce<AssignedRole>((best, r) => (r && rankOf(r) > rankOf(best) ? r : best), 'none');
export const atLeast = (r: AssignedRole, min: AppRole) => rankOf(r) >= rankOf(min);

/** What the person at the keyboard may do: their effective role and whose documents they manage. */
export interface Access {
  portalId: string;
  userId: number;
  role: AssignedRole;
  /** Why: 'portal-admin', or the assignments that gave the role. */
  via: string[];
  /** A manager's people (their departments and sub-departments, themselves included); admins: 'all'. */
  team: ReadonlySet<number> | 'all';
}

/** The envelope facts a rule needs. */
export interface EnvelopeFacts {
  createdByUserId: number | null;
  crmEntityTypeId: number | null;
  crmEntityId: number | null;
}

const isOwner = (a: Access, e: EnvelopeFacts) => e.createdByUserId !== null && e.createdByUserId === a.userId;
const inTeam = (a: Access, e: EnvelopeFacts) => a.team === 'all' || (e.createdByUserId !== null && a.team.has(e.createdByUserId));

/**
 * Seen without asking Bitrix24: admins see all; anyone with a role sees their own; managers their
 * people's. Otherwise the envelope is seen only when its CRM item is readable by the user (asked by the caller).
 */
export function seesWithoutCrm(a: Access, e: EnvelopeFacts): boolean {
  if (a.role === 'none') return false;
  if (a.role === 'admin') return true;
  if (isOwner(a, e)) return true;
  return a.role === 'manager' && inTeam(a, e);
}

/** Resend, void, change recipients, send: own (sender), people's (manager), all (admin). */
export function canManage(a: Access, e: EnvelopeFacts): boolean {
  if (a.role === 'admin') return true;
  if (!atLeast(a.role, 'sender')) return false;
  if (isOwner(a, e)) return true;
  return a.role === 'manager' && inTeam(a, e);
}

export const roleName = (lang: Lang, r: AssignedRole) => ROLE_MESSAGES[`role_${r}`][lang];

/** The one refusal: 403 FORBIDDEN, a rule code machines can branch on, a message in the user's language. */
export function forbidden(lang: Lang, rule: 'ROLE_REQUIRED' | 'NO_ROLE' | 'NOT_YOURS' | 'NOT_VISIBLE' | 'ITEM_NOT_READABLE', vars: { role?: AssignedRole; required?: AppRole } = {}): AppError {
  const m = ROLE_MESSAGES;
  const message =
    rule === 'NO_ROLE' ? m.noAccess[lang]
    : rule === 'ROLE_REQUIRED' ? format(m.roleRequired[lang], { role: roleName(lang, vars.role ?? 'none'), required: roleName(lang, vars.required ?? 'admin') })
    : rule === 'NOT_YOURS' ? format(m.notYours[lang], { team: vars.role === 'manager' ? m.notYoursTeam[lang] : '' })
    : rule === 'NOT_VISIBLE' ? m.notVisible[lang]
    : m.itemNotReadable[lang];
  return new AppError('FORBIDDEN', message, { rule, ...(vars.role ? { role: vars.role } : {}), ...(vars.required ? { required: vars.required } : {}) });
}

/** Throws unless the access reaches `min`. */
export function demand(a: Access, person: { lang: Lang }, min: AppRole): void {
  if (a.role === 'none') throw forbidden(person.lang, 'NO_ROLE');
  if (!atLeast(a.role, min)) throw forbidden(person.lang, 'ROLE_REQUIRED', { role: a.role, required: min });
}
