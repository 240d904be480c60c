import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { type AssignedRole } from '../db/schema/roles.js';
import { AppError, toAppError } from '../http/errors.js';
import { jsonBody } from '../http/json-body.js';
import { requireSession, type SessionEnv } from '../http/session.js';
import { CSV_COLUMNS, csvLine, listRegistry, ZRegistryFilter } from '../registry/registry.js';
import { accessOf, requireRole } from '../http/require-role.js';
import { assertManages } from '../http/envelope-access.js';
import { forgetOrg, orgOf } from '../roles/people.js';
import { ROLES } from '../roles/policy.js';
import { listAssignments, listChanges, setAssignment } from '../roles/store.js';
import { listRecipients } from '../signing/internal.js';
import { resendInvitation, voidEnvelope } from '../signing/envelopes.js';
import { requestMeta } from './sign.js';

/**
 * The registry (all the portal's envelopes the role shows, filters, bulk resend/void, CSV) and the
 * roles settings (admins). Session-authenticated JSON; every query is scoped to the session's portal.
 */
const actorOf = (c: Context<SessionEnv>) => {
  const m = requestMeta(c);
  return { actor: `user:${c.var.session.userId}`, ip: m.ip, userAgent: m.userAgent };
};

const filterOf = (c: Context<SessionEnv>) => {
  const p = ZRegistryFilter.safeParse(c.req.query());
  if (!p.success) throw new AppError('VALIDATION_FAILED', p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return p.data;
};

const ZBulk = z.object({
  action: z.enum(['resend', 'void']),
  ids: z.array(z.string().min(1).max(100)).min(1).max(100),
  reason: z.string().max(2000).optional(),
});

const ZAssignment = z.object({
  subjectType: z.enum(['user', 'department', 'everyone']),
  subjectId: z.number().int().min(0).max(2_147_483_647),
  /** null removes the assignment; 'none' (everyone only) shuts employees without a role out. */
  role: z.enum(['viewer', 'sender', 'manager', 'admin', 'none']).nullable(),
});

export const registryRoutes = new Hono<SessionEnv>()
  .use('/api/registry', requireSession)
  .use('/api/registry/*', requireSession)
  .use('/api/roles', requireSession)
  .use('/api/roles/*', requireSession)
  .get('/api/registry', requireRole('viewer'), async (c) => {
    const { services, session } = c.var;
    const page = await listRegistry(services, session, await accessOf(c), filterOf(c));
    c.header('Cache-Control', 'no-store');
    return c.json(page);
  })
  /** The same rows as CSV, every page the filters give (up to 5,000 rows). */
  .get('/api/registry/export.csv', requireRole('viewer'), async (c) => {
    const { services, session } = c.var;
    const access = await accessOf(c);
    const f = { ...filterOf(c), limit: 100 };
    const lines = [CSV_COLUMNS.join(',')];
    for (let i = 0; i < 50; i++) {
      const page = await listRegistry(services, session, access, f);
      lines.push(...page.rows.map(csvLine));
      if (!page.next) break;
      f.cursor = page.next;
    }
    // A byte-order mark so spreadsheet programs read the UTF-8 (Cyrillic titles) as UTF-8.
    return c.body(`\uFEFF${lines.join('\r\n')}\r\n`, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="b24-sign-registry.csv"',
      'Cache-Control': 'no-store',
    });
  })
  /**
   * Resend (every recipient whose turn it is) or void many envelopes: each one checked as the single
   * routes check it (own; a manager's people; admin), each answered on its own.
   */
  .post('/api/registry/bulk', requireRole('sender'), async (c) => {
    const { services, session } = c.var;
    const b = await jsonBody(c, ZBulk);
    if (b.action === 'void' && !b.reason?.trim()) throw new AppError('VALIDATION_FAILED', 'reason: give a reason to void.');
    const who = actorOf(c);
    const results: { id: string; ok: boolean; code?: string; message?: string; resent?: number }[] = [];
    for (const id of [...new Set(b.ids)]) {
      try {
        await assertManages(c, id);
        if (b.action === 'void') {
          await voidEnvelope(services, { portalId: session.portalId, envelopeId: id, reason: b.reason!.trim(), who });
          results.push({ id, ok: true });
        } else {
          const rs = await listRecipients(services.db, session.portalId, id);
          const waiting = rs.filter((r) => ['invited', 'opened', 'verified'].includes(r.status));
          if (!waiting.length) throw new AppError('ILLEGAL_TRANSITION', 'Nobody is waiting for an invitation on this envelope.');
          for (const r of waiting) await resendInvitation(services, { portalId: session.portalId, envelopeId: id, recipientId: r.id, who });
          results.push({ id, ok: true, resent: waiting.length });
        }
      } catch (e) {
        const err = toAppError(e);
        if (err.status >= 500) throw e;
        results.push({ id, ok: false, code: err.code, message: err.message });
      }
    }
    return c.json({ results });
  })
  .get('/api/roles', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const [assignments, org] = await Promise.all([listAssignments(services.db, session.portalId), orgOf(services, session.portalId)]);
    return c.json({
      roles: ROLES,
      assignments: assignments.map((a) => ({ subjectType: a.subjectType, subjectId: a.subjectId, role: a.role, updatedByUserId: a.updatedByUserId, updatedAt: a.updatedAt })),
      everyone: assignments.find((a) => a.subjectType === 'everyone')?.role ?? null,
      departments: org.departments,
    });
  })
  .put('/api/roles/assignments', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const b = await jsonBody(c, ZAssignment);
    if (b.subjectType === 'everyone' && b.subjectId !== 0) throw new AppError('VALIDATION_FAILED', 'subjectId: 0 for everyone.');
    if (b.subjectType !== 'everyone' && b.subjectId === 0) throw new AppError('VALIDATION_FAILED', 'subjectId: a Bitrix24 user or department id.');
    if (b.role === 'none' && b.subjectType !== 'everyone') throw new AppError('VALIDATION_FAILED', 'role: "none" is for everyone only; remove the assignment instead.');
    const r = await setAssignment(services.db, {
      portalId: session.portalId, subjectType: b.subjectType, subjectId: b.subjectId, role: b.role as AssignedRole | null,
      actorUserId: session.userId, at: services.clock.now(), ip: requestMeta(c).ip,
    });
    forgetOrg(session.portalId);
    return c.json(r);
  })
  .get('/api/roles/changes', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const rows = await listChanges(services.db, session.portalId, Number(c.req.query('limit') ?? 100) || 100);
    return c.json({ changes: rows.map(({ portalId: _p, ...r }) => r) });
  });
