import { and, desc, eq, gte, inArray, isNotNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { envelopes, type EnvelopeStatus } from '../db/schema/envelopes.js';
import { recipients } from '../db/schema/recipients.js';
import { templates } from '../db/schema/templates.js';
import { AppError } from '../lib/app-error.js';
import { findPortal } from '../portals/store.js';
import { readableItems, refKey } from '../roles/envelope-access.js';
import type { Person } from '../roles/person.js';
import { canManage, seesWithoutCrm, type Access } from '../roles/policy.js';
import type { Services } from '../services.js';
import { crmPath } from '../card/proposal.js';

/**
 * The registry (issue 17 item 5): every envelope of the portal the person's role shows them, newest
 * first, filtered by status, template, responsible (the sender), CRM item and creation dates. Pages by
 * keyset (created_at, id) so a page is one indexed range read whatever the depth. Admins' pages are
 * one query; for others rows their role does not show outright (another sender's document on a CRM
 * item) are kept when Bitrix24 says the person can open the item — asked in one batch per chunk.
 */
const STATUSES = ['draft', 'sent', 'in_progress', 'completed', 'declined', 'expired', 'voided'] as const satisfies readonly EnvelopeStatus[];

const list = <T extends z.ZodType>(item: T) => z.preprocess((v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v), z.array(item).max(20));
export const ZRegistryFilter = z.object({
  status: list(z.enum(STATUSES)).optional(),
  templateId: z.string().max(100).optional(),
  responsible: z.coerce.number().int().positive().optional(),
  entityTypeId: z.coerce.number().int().positive().max(1_000_000).optional(),
  entityId: z.coerce.number().int().positive().optional(),
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional(),
});
export type RegistryFilter = z.infer<typeof ZRegistryFilter>;

export interface RegistryRow {
  id: string;
  title: string;
  status: EnvelopeStatus;
  publicId: string;
  template: { id: string; name: string | null } | null;
  responsibleUserId: number | null;
  crm: { entityTypeId: number; entityId: number; url: string } | null;
  createdAt: string;
  sentAt: string | null;
  completedAt: string | null;
  endedAt: string | null;
  recipients: { total: number; done: number; names: string[] };
  sealed: boolean;
  canManage: boolean;
}

const encodeCursor = (at: Date, id: string) => Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
function decodeCursor(s: string): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [string, string];
    const d = new Date(at);
    if (Number.isNaN(d.getTime()) || typeof id !== 'string') throw new Error('bad');
    return { at: d, id };
  } catch {
    throw new AppError('VALIDATION_FAILED', 'cursor: not a cursor this registry gave.');
  }
}

/** Rows examined per request for a non-admin at most (a page may then come back short, with a cursor). */
const SCAN_LIMIT = 500;

export async function listRegistry(services: Services, session: Person, access: Access, f: RegistryFilter): Promise<{ rows: RegistryRow[]; next: string | null }> {
  const where: SQL[] = [eq(envelopes.portalId, session.portalId)];
  if (f.status?.length) where.push(inArray(envelopes.status, f.status));
  if (f.templateId) where.push(eq(envelopes.templateId, f.templateId));
  if (f.responsible) where.push(eq(envelopes.createdByUserId, f.responsible));
  if (f.entityTypeId) where.push(eq(envelopes.crmEntityTypeId, f.entityTypeId));
  if (f.entityId) where.push(eq(envelopes.crmEntityId, f.entityId));
  if (f.from) where.push(gte(envelopes.createdAt, new Date(`${f.from}T00:00:00Z`)));
  if (f.to) where.push(lt(envelopes.createdAt, new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000)));
  // What the role can never show is left to the database: without a CRM item, only one's own (or a
  // manager's people's) documents can be seen.
  if (access.role !== 'admin') {
    const people = access.team === 'all' ? [] : [...access.team];
    where.push(or(isNotNull(envelopes.crmEntityId), people.length ? inArray(envelopes.createdByUserId, people) : sql`false`)!);
  }
  let cursor = f.cursor ? decodeCursor(f.cursor) : null;
  const picked: Awaited<ReturnType<typeof page>> = [];
  let scanned = 0;
  let next: string | null = null;

  async function page(after: { at: Date; id: string } | null, n: number) {
    const w = after ? [...where, or(lt(envelopes.createdAt, after.at), and(eq(envelopes.createdAt, after.at), lt(envelopes.id, after.id)))!] : where;
    return services.db
      .select({
        id: envelopes.id, title: envelopes.title, status: envelopes.status, publicId: envelopes.publicId, templateId: envelopes.templateId,
        createdByUserId: envelopes.createdByUserId, crmEntityTypeId: envelopes.crmEntityTypeId, crmEntityId: envelopes.crmEntityId,
        createdAt: envelopes.createdAt, sentAt: envelopes.sentAt, completedAt: envelopes.completedAt, endedAt: envelopes.endedAt, sealedSha256: envelopes.sealedSha256,
      })
      .from(envelopes)
      .where(and(...w))
      .orderBy(desc(envelopes.createdAt), desc(envelopes.id))
      .limit(n);
  }

  for (;;) {
    const want = f.limit - picked.length;
    const chunk = await page(cursor, access.role === 'admin' ? want + 1 : Math.max(want * 2, 20));
    if (!chunk.length) break;
    let rows = chunk;
    if (access.role === 'admin') {
      if (chunk.length > want) {
        rows = chunk.slice(0, want);
        const last = rows.at(-1)!;
        next = encodeCursor(last.createdAt, last.id);
      }
      picked.push(...rows);
      break;
    }
    const unsure = chunk.filter((e) => !seesWithoutCrm(access, e) && e.crmEntityTypeId && e.crmEntityId).map((e) => ({ entityTypeId: e.crmEntityTypeId!, entityId: e.crmEntityId! }));
    const readable = await readableItems(services, session, unsure);
    let stoppedAt = chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const e = chunk[i]!;
      const ok = seesWithoutCrm(access, e) || (e.crmEntityTypeId && e.crmEntityId && readable.has(refKey({ entityTypeId: e.crmEntityTypeId, entityId: e.crmEntityId })));
      if (ok) picked.push(e);
      if (picked.length === f.limit) {
        stoppedAt = i + 1;
        break;
      }
    }
    scanned += stoppedAt;
    const last = chunk[stoppedAt - 1]!;
    cursor = { at: last.createdAt, id: last.id };
    const exhausted = chunk.length < Math.max(want * 2, 20) && stoppedAt === chunk.length;
    if (exhausted) break;
    if (picked.length === f.limit || scanned >= SCAN_LIMIT) {
      next = encodeCursor(last.createdAt, last.id);
      break;
    }
  }

  const ids = picked.map((e) => e.id);
  const rs = ids.length ? await services.db.select({ envelopeId: recipients.envelopeId, name: recipients.name, status: recipients.status, role: recipients.role }).from(recipients).where(and(eq(recipients.portalId, session.portalId), inArray(recipients.envelopeId, ids))) : [];
  const tplIds = [...new Set(picked.map((e) => e.templateId).filter((x): x is string => !!x))];
  const tpls = tplIds.length ? await services.db.select({ id: templates.id, name: templates.name }).from(templates).where(and(eq(templates.portalId, session.portalId), inArray(templates.id, tplIds))) : [];
  const portal = await findPortal(services.db, session.portalId);
  const origin = portal ? `https://${portal.domain}` : '';
  const rows: RegistryRow[] = picked.map((e) => {
    const mine = rs.filter((r) => r.envelopeId === e.id);
    return {
      id: e.id, title: e.title, status: e.status, publicId: e.publicId,
      template: e.templateId ? { id: e.templateId, name: tpls.find((t) => t.id === e.templateId)?.name ?? null } : null,
      responsibleUserId: e.createdByUserId,
      crm: e.crmEntityTypeId && e.crmEntityId ? { entityTypeId: e.crmEntityTypeId, entityId: e.crmEntityId, url: `${origin}${crmPath(e.crmEntityTypeId, e.crmEntityId)}` } : null,
      createdAt: e.createdAt.toISOString(), sentAt: e.sentAt?.toISOString() ?? null, completedAt: e.completedAt?.toISOString() ?? null, endedAt: e.endedAt?.toISOString() ?? null,
      recipients: { total: mine.length, done: mine.filter((r) => r.status === 'signed' || r.status === 'approved').length, names: mine.map((r) => r.name) },
      sealed: Boolean(e.sealedSha256),
      canManage: canManage(access, e),
    };
  });
  return { rows, next };
}

/**
 * A spreadsheet cell that cannot run: every cell quoted; one starting like a formula (= + - @, tab,
 * carriage return) is prefixed with an apostrophe, as OWASP's CSV-injection advice says.
 */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

export const CSV_COLUMNS = ['id', 'title', 'status', 'template', 'responsible', 'crm', 'crmUrl', 'createdAt', 'sentAt', 'completedAt', 'endedAt', 'recipients', 'signed', 'publicId'] as const;

export function csvLine(r: RegistryRow): string {
  return [
    r.id, r.title, r.status, r.template?.name ?? r.template?.id ?? '', r.responsibleUserId ?? '', r.crm ? `${r.crm.entityTypeId}:${r.crm.entityId}` : '', r.crm?.url ?? '',
    r.createdAt, r.sentAt ?? '', r.completedAt ?? '', r.endedAt ?? '', r.recipients.names.join('; '), `${r.recipients.done}/${r.recipients.total}`, r.publicId,
  ].map(csvCell).join(',');
}
