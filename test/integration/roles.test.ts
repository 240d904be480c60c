/**
 * Roles and the registry (issue 17 items 3 and 5), against the emulated portal with real frame
 * sessions (the app page opened as each user, so CRM reads use each user's own token):
 * - one walk over every session JSON route for every role: below the route's least role → 403
 *   FORBIDDEN with a rule code and the message in the session's language; at or above → not 403;
 * - the per-document rules (viewer sees readable items' documents, sender manages their own, manager
 *   their departments' people's, admin all), department roles reaching sub-departments, the highest
 *   role winning, portal admins always admins, the default for a portal without assignments;
 * - role changes audited; the registry's filters, pagination, bulk actions and CSV export.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { envelopes, portals, recipients, roleChanges, templates } from '../../src/db/schema/index.js';
import { forgetOrg } from '../../src/roles/people.js';
import { csvCell } from '../../src/registry/registry.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { createTestServices } from '../helpers/services.js';

const PUBLIC = 'http://b24sign.test';
const CLIENT_ID = 'local.roles';
let services: Awaited<ReturnType<typeof createTestServices>>;
let app: ReturnType<typeof createApp>;
let emu: StartedEmulator;
let memberId: string;
let portalId: string;
let otherPortalId: string;

// Seeded users (src/emulator/seed.ts): 1 portal admin (department 3); 6 and 21 in 3; 9 in 2; 12 and 15 in 1.
// Departments: 1 ⊃ 2 ⊃ 3. Roles given below: 6 viewer, 12 sender, 9 manager (people: 9, 1, 6, 21), 15 admin, 21 none.
const ROLE_OF = { none: '21', viewer: '6', sender: '12', manager: '9', admin: '15' } as const;
type RoleName = keyof typeof ROLE_OF;
const RANK: Record<RoleName, number> = { none: 0, viewer: 1, sender: 2, manager: 3, admin: 4 };

async function openApp(userId: string, lang = 'en'): Promise<string> {
  const page = await emu.control.openPlacement({ memberId, placement: 'DEFAULT', handler: `${PUBLIC}/b24/app`, format: '2024', options: {}, userId, lang } as never);
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  const token = /"token":"([^"]+)"/.exec(page.body)?.[1];
  expect(token).toBeTruthy();
  return token!;
}

async function call(token: string, method: string, path: string, body?: unknown) {
  const withBody = !['GET', 'HEAD', 'DELETE'].includes(method);
  const res = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(withBody ? { 'content-type': 'application/json' } : {}), accept: 'application/json' },
    ...(withBody ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* CSV, PDF, HTML fragments */
  }
  return { status: res.status, json, text, headers: res.headers };
}

let n = 0;
async function seedEnvelope(o: { by: number | null; deal?: number | null; status?: 'sent' | 'draft' | 'completed'; title?: string; portal?: string; templateId?: string; at?: Date }) {
  const id = `env_roles_${++n}`;
  const p = o.portal ?? portalId;
  await services.db.insert(envelopes).values({
    id, portalId: p, title: o.title ?? `Doc ${n}`, status: o.status ?? 'sent', publicId: `PUB-ROLES-${n}`, createdByUserId: o.by,
    crmEntityTypeId: o.deal === null ? null : 2, crmEntityId: o.deal === null ? null : (o.deal ?? 5), templateId: o.templateId ?? null,
    timers: { reminderFirstDays: 3, reminderEveryDays: 3, reminderMax: 0, expiryDays: 30 }, createdAt: o.at ?? new Date(Date.now() - n * 1000),
  });
  await services.db.insert(recipients).values({ id: `rcp_roles_${n}`, portalId: p, envelopeId: id, role: 'signer', party: 'client', signOrder: 1, name: `Signer ${n}`, email: `s${n}@example.com`, status: 'invited' } as never);
  return { id, rid: `rcp_roles_${n}` };
}

const tokens = {} as Record<RoleName, string>;
let adminToken: string;
const own = {} as Record<RoleName, { id: string; rid: string }>;

beforeAll(async () => {
  services = await createTestServices({ env: { BITRIX24_CLIENT_ID: CLIENT_ID, BITRIX24_CLIENT_SECRET: 's' } });
  app = createApp(services);
  emu = await startEmulator({ appFetch: (req) => app.request(req) });
  const install = async () => {
    const portal = await emu.control.createPortal({ languageId: 'en' });
    await emu.control.installApp({ memberId: portal.memberId, clientId: CLIENT_ID, clientSecret: 's', installUrl: `${PUBLIC}/b24/install`, flavour: 'event' });
    const [row] = await services.db.select({ id: portals.id }).from(portals).where(eq(portals.memberId, portal.memberId));
    return { memberId: portal.memberId, portalId: row!.id };
  };
  ({ memberId, portalId } = await install());
  ({ portalId: otherPortalId } = await install());
  forgetOrg();
  adminToken = await openApp('1');
  for (const [role, user] of Object.entries(ROLE_OF) as [RoleName, string][]) {
    if (role === 'none') continue;
    const r = await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'user', subjectId: Number(user), role });
    expect(r.status, r.text).toBe(200);
  }
  expect((await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'everyone', subjectId: 0, role: 'none' })).status).toBe(200);
  for (const [role, user] of Object.entries(ROLE_OF) as [RoleName, string][]) {
    tokens[role] = await openApp(user, role === 'viewer' ? 'ru' : role === 'sender' ? 'it' : 'en');
    own[role] = await seedEnvelope({ by: Number(user), deal: 5 });
  }
  await services.db.insert(templates).values({ id: 'tpl_roles_a', portalId, name: 'Roles template', kind: 'contract' as never, language: 'en', source: { type: 'builtin', layout: 'nda' } as never });
}, 120_000);
afterAll(async () => {
  emu?.close();
  await services?.testDb.close();
});

/** The least role each session JSON route needs. Routes any session may call are 'any'. */
const ROUTE_MIN: Record<string, RoleName | 'any'> = {
  'GET /api/session': 'any',
  'GET /api/portal/registrations': 'viewer',
  'GET /api/portal/doctor': 'admin',
  'POST /api/portal/registrations': 'admin',
  'GET /api/envelopes': 'viewer',
  'POST /api/envelopes': 'sender',
  'GET /api/envelopes/:id': 'viewer',
  'PUT /api/envelopes/:id/recipients': 'sender',
  'POST /api/envelopes/:id/send': 'sender',
  'POST /api/envelopes/:id/recipients/:rid/resend': 'sender',
  'POST /api/envelopes/:id/recipients/:rid/email': 'sender',
  'POST /api/envelopes/:id/void': 'sender',
  'GET /api/envelopes/:id/audit': 'viewer',
  'GET /api/envelopes/:id/sealed.pdf': 'viewer',
  'GET /api/envelopes/:id/evidence.zip': 'viewer',
  'GET /api/card/items/:et/:id': 'viewer',
  'GET /api/card/items/:et/:id/list': 'viewer',
  'GET /api/card/items/:et/:id/version': 'viewer',
  'GET /api/card/envelopes/:envelopeId': 'viewer',
  'GET /api/card/envelopes/:envelopeId/fragment': 'viewer',
  'POST /api/card/items/:et/:id/proposal': 'sender',
  'GET /api/card/items/:et/:id/documents': 'sender',
  'POST /api/card/items/:et/:id/documents/:docId/pdf': 'sender',
  'GET /api/card/users': 'sender',
  'GET /api/card/users/:userId{[0-9]+}': 'sender',
  'GET /api/card/crm/:kind{contact|company}/:id{[0-9]+}': 'sender',
  'PUT /api/card/last-used': 'sender',
  'GET /api/templates': 'sender',
  'GET /api/templates/starters': 'sender',
  'POST /api/templates/starters/:id/preview': 'sender',
  'POST /api/templates/uploads': 'sender',
  'GET /api/templates/uploads/:fileId': 'sender',
  'GET /api/templates/docgen/templates': 'sender',
  'POST /api/templates/docgen/documents/:docId/pdf': 'sender',
  'POST /api/templates': 'sender',
  'GET /api/templates/:id': 'sender',
  'PATCH /api/templates/:id': 'manager',
  'PUT /api/templates/:id/fields': 'manager',
  'DELETE /api/templates/:id': 'manager',
  'POST /api/templates/:id/preview': 'sender',
  'GET /api/registry': 'viewer',
  'GET /api/registry/export.csv': 'viewer',
  'POST /api/registry/bulk': 'sender',
  'GET /api/roles': 'admin',
  'PUT /api/roles/assignments': 'admin',
  'GET /api/roles/changes': 'admin',
  'GET /api/settings': 'admin',
  'PUT /api/settings': 'admin',
  'PUT /api/settings/certificate': 'admin',
  'DELETE /api/settings/certificate': 'admin',
  'PUT /api/settings/logo': 'admin',
  'DELETE /api/settings/logo': 'admin',
  'POST /api/settings/tsa-test': 'admin',
  'GET /api/settings/changes': 'admin',
};
/** Routes for people signing their own documents (any employee, whatever their role) and public ones. */
const NOT_ROLE_ROUTES = [/^\/api\/sign\//, /^\/api\/verify(\/|$)/, /^\/api\/in-portal\//];

function concrete(path: string, role: RoleName): string {
  return path
    .replace(/\{[^}]*\}/g, '')
    .replace(':envelopeId', own[role].id).replace('/:id/recipients/:rid', `/${own[role].id}/recipients/${own[role].rid}`)
    .replace('/envelopes/:id', `/envelopes/${own[role].id}`)
    .replace('/items/:et/:id', '/items/2/5').replace(':docId', '1').replace(':userId', '1').replace('/crm/:kind/:id', '/crm/contact/29')
    .replace('/uploads/:fileId', '/uploads/upl_none').replace('/starters/:id', '/starters/nda').replace('/templates/:id', '/templates/tpl_roles_a');
}

describe('every session JSON route, for every role', () => {
  it('below the route’s role: 403 with a rule code and a localised message; at or above: not refused by role', async () => {
    const routes = app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/') && !NOT_ROLE_ROUTES.some((re) => re.test(r.path)));
    const unknown = routes.map((r) => `${r.method} ${r.path}`).filter((k) => !(k in ROUTE_MIN));
    expect(unknown, 'give each new session route its least role here and in the route (requireRole)').toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(40);
    const problems: string[] = [];
    for (const role of ['none', 'viewer', 'sender', 'admin', 'manager'] as RoleName[]) {
      for (const r of routes) {
        const min = ROUTE_MIN[`${r.method} ${r.path}`]!;
        const url = concrete(r.path, role);
        const res = await call(tokens[role], r.method, url, r.method === 'PUT' && r.path.endsWith('/assignments') ? { subjectType: 'user', subjectId: 99, role: null } : {});
        const where = `${role} ${r.method} ${url} → ${res.status}`;
        if (res.status >= 500 || res.status === 401) problems.push(`${where} ${res.text.slice(0, 200)}`);
        const denied = min !== 'any' && RANK[role] < RANK[min];
        if (denied) {
          if (res.status !== 403) problems.push(`${where}: expected 403`);
          else {
            const e = res.json?.error;
            if (e?.code !== 'FORBIDDEN' || !['NO_ROLE', 'ROLE_REQUIRED'].includes(e?.details?.rule)) problems.push(`${where}: ${res.text.slice(0, 200)}`);
          }
        } else if (res.status === 403) problems.push(`${where}: refused ${res.text.slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('the refusal speaks the session’s language', async () => {
    const ru = await call(tokens.viewer, 'POST', '/api/envelopes', { title: 'x' });
    expect(ru.status).toBe(403);
    expect(ru.json.error).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'ROLE_REQUIRED', role: 'viewer', required: 'sender' } });
    expect(ru.json.error.message).toContain('наблюдатель');
    const it_ = await call(tokens.sender, 'PATCH', '/api/templates/tpl_roles_a', { name: 'x' });
    expect(it_.json.error.message).toContain('mittente');
    const en = await call(tokens.none, 'GET', '/api/registry');
    expect(en.json.error).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'NO_ROLE' } });
    expect(en.json.error.message).toMatch(/no role in b24-sign/);
  });
});

describe('the rules per document', () => {
  it('a viewer sees documents of CRM items they can read, not others’, and downloads but cannot void', async () => {
    emu.control.setReadRights({ memberId, userId: ROLE_OF.viewer, rule: ['deal:5'] });
    try {
      const onReadable = await seedEnvelope({ by: 12, deal: 5 });
      const onHidden = await seedEnvelope({ by: 12, deal: 2 });
      expect((await call(tokens.viewer, 'GET', `/api/envelopes/${onReadable.id}`)).status).toBe(200);
      const hidden = await call(tokens.viewer, 'GET', `/api/envelopes/${onHidden.id}`);
      expect(hidden.status).toBe(403);
      expect(hidden.json.error.details.rule).toBe('NOT_VISIBLE');
      expect((await call(tokens.viewer, 'GET', `/api/card/envelopes/${onHidden.id}`)).status).toBe(403);
      expect((await call(tokens.viewer, 'POST', `/api/envelopes/${onReadable.id}/void`, { reason: 'x' })).json.error.details.rule).toBe('ROLE_REQUIRED');
      const reg = await call(tokens.viewer, 'GET', '/api/registry?limit=100');
      const ids = reg.json.rows.map((r: { id: string }) => r.id);
      expect(ids).toContain(onReadable.id);
      expect(ids).not.toContain(onHidden.id);
    } finally {
      emu.control.setReadRights({ memberId, userId: ROLE_OF.viewer, rule: null });
    }
  });

  it('a sender resends and voids their own, not another sender’s; cannot create on an item they cannot read', async () => {
    const theirs = await seedEnvelope({ by: 15, deal: 5 });
    const res = await call(tokens.sender, 'POST', `/api/envelopes/${theirs.id}/void`, { reason: 'no' });
    expect(res.status).toBe(403);
    expect(res.json.error.details.rule).toBe('NOT_YOURS');
    const mine = await seedEnvelope({ by: 12, deal: 5 });
    expect((await call(tokens.sender, 'POST', `/api/envelopes/${mine.id}/recipients/${mine.rid}/resend`)).status).toBe(200);
    const voided = await call(tokens.sender, 'POST', `/api/envelopes/${mine.id}/void`, { reason: 'mistake' });
    expect(voided.status).toBe(200);
    expect(voided.json.envelope.status).toBe('voided');
    emu.control.setReadRights({ memberId, userId: ROLE_OF.sender, rule: ['deal:5'] });
    try {
      const create = await call(tokens.sender, 'POST', '/api/envelopes', { title: 'T', crm: { entityTypeId: 2, entityId: 2 }, pdfBase64: Buffer.from('%PDF-1.4\n').toString('base64') });
      expect(create.status).toBe(403);
      expect(create.json.error.details.rule).toBe('ITEM_NOT_READABLE');
    } finally {
      emu.control.setReadRights({ memberId, userId: ROLE_OF.sender, rule: null });
    }
  });

  it('a manager voids their departments’ people’s documents (sub-departments too), not others’', async () => {
    const byTeamMember = await seedEnvelope({ by: 6, deal: 2 }); // user 6 is in department 3, under the manager's 2
    const byOutsider = await seedEnvelope({ by: 15, deal: null }); // user 15 is in department 1, above
    emu.control.setReadRights({ memberId, userId: ROLE_OF.manager, rule: [] });
    try {
      expect((await call(tokens.manager, 'GET', `/api/envelopes/${byTeamMember.id}`)).status).toBe(200);
      expect((await call(tokens.manager, 'POST', `/api/envelopes/${byTeamMember.id}/void`, { reason: 'team' })).status).toBe(200);
      const out = await call(tokens.manager, 'POST', `/api/envelopes/${byOutsider.id}/void`, { reason: 'x' });
      expect(out.status).toBe(403);
      expect(out.json.error.details.rule).toBe('NOT_VISIBLE');
      const reg = await call(tokens.manager, 'GET', '/api/registry?limit=100');
      const ids = reg.json.rows.map((r: { id: string }) => r.id);
      expect(ids).toContain(byTeamMember.id);
      expect(ids).not.toContain(byOutsider.id);
    } finally {
      emu.control.setReadRights({ memberId, userId: ROLE_OF.manager, rule: null });
    }
  });

  it('a department’s role reaches its sub-departments; the highest role wins; portal admins are admins', async () => {
    // User 21 (department 3, no role of their own) gets department 2's sender role through the tree.
    expect((await call(tokens.none, 'GET', '/api/session')).json.role.role).toBe('none');
    await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'department', subjectId: 2, role: 'sender' });
    const s21 = (await call(tokens.none, 'GET', '/api/session')).json.role;
    expect(s21).toMatchObject({ role: 'sender', via: ['department:2'] });
    // Viewer 6 (department 3) now has sender through department 2: the higher one wins.
    expect((await call(tokens.viewer, 'GET', '/api/session')).json.role.role).toBe('sender');
    // Manager 9's own manager beats department 2's sender.
    expect((await call(tokens.manager, 'GET', '/api/session')).json.role.role).toBe('manager');
    // Department 3 only: user 9 (department 2, above it) is not reached.
    await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'department', subjectId: 2, role: null });
    await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'department', subjectId: 3, role: 'admin' });
    expect((await call(tokens.none, 'GET', '/api/session')).json.role.role).toBe('admin');
    expect((await call(tokens.manager, 'GET', '/api/session')).json.role.role).toBe('manager');
    await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'department', subjectId: 3, role: null });
    expect((await call(tokens.none, 'GET', '/api/session')).json.role.role).toBe('none');
    // The portal administrator (user 1) has no assignment and everyone is 'none': still an admin.
    expect((await call(adminToken, 'GET', '/api/session')).json.role).toMatchObject({ role: 'admin', via: ['portal-admin'] });
  });

  it('a portal without assignments: every employee is a sender (today’s behaviour), templates are for managers', async () => {
    const other = await emu.control.createPortal({ languageId: 'en' });
    await emu.control.installApp({ memberId: other.memberId, clientId: CLIENT_ID, clientSecret: 's', installUrl: `${PUBLIC}/b24/install`, flavour: 'event' });
    const page = await emu.control.openPlacement({ memberId: other.memberId, placement: 'DEFAULT', handler: `${PUBLIC}/b24/app`, format: '2024', options: {}, userId: '21' } as never);
    const token = /"token":"([^"]+)"/.exec(page.body)![1]!;
    expect((await call(token, 'GET', '/api/session')).json.role).toMatchObject({ role: 'sender', via: ['default'] });
    expect((await call(token, 'GET', '/api/card/items/2/5')).status).toBe(200);
    expect((await call(token, 'GET', '/api/roles')).status).toBe(403);
  });

  it('role changes are audited: who, when, before and after', async () => {
    await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'user', subjectId: 42, role: 'viewer' });
    await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'user', subjectId: 42, role: 'manager' });
    await call(tokens.admin, 'PUT', '/api/roles/assignments', { subjectType: 'user', subjectId: 42, role: null });
    const rows = await services.db.select().from(roleChanges).where(eq(roleChanges.subjectId, 42));
    expect(rows.map((r) => [r.actorUserId, r.before, r.after])).toEqual([[1, null, 'viewer'], [1, 'viewer', 'manager'], [15, 'manager', null]]);
    expect(rows.every((r) => r.portalId === portalId && r.at instanceof Date)).toBe(true);
    const api = await call(adminToken, 'GET', '/api/roles/changes');
    expect(api.json.changes[0]).toMatchObject({ subjectType: 'user', subjectId: 42, before: 'manager', after: null, actorUserId: 15 });
    // The same role again changes nothing and records nothing.
    await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'user', subjectId: Number(ROLE_OF.viewer), role: 'viewer' });
    expect((await services.db.select().from(roleChanges).where(eq(roleChanges.subjectId, Number(ROLE_OF.viewer)))).length).toBe(1);
    const bad = await call(adminToken, 'PUT', '/api/roles/assignments', { subjectType: 'user', subjectId: 5, role: 'none' });
    expect(bad.status).toBe(400);
  });
});

describe('the registry', () => {
  it('filters, pages by cursor without gaps or repeats, and never shows another portal’s envelopes', async () => {
    await seedEnvelope({ by: 15, portal: otherPortalId, title: 'OTHER PORTAL' });
    const base = Date.UTC(2026, 0, 10);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await seedEnvelope({ by: 12, deal: 7, status: i % 2 ? 'completed' : 'sent', templateId: 'tpl_roles_a', at: new Date(base + i * 86_400_000) })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/api/registry?entityTypeId=2&entityId=7&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await call(adminToken, 'GET', q);
      expect(page.status).toBe(200);
      expect(page.json.rows.length).toBeLessThanOrEqual(3);
      seen.push(...page.json.rows.map((r: { id: string }) => r.id));
      cursor = page.json.next;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    const completed = await call(adminToken, 'GET', '/api/registry?entityId=7&status=completed&limit=100');
    expect(completed.json.rows.map((r: { id: string }) => r.id).sort()).toEqual(made.filter((_, i) => i % 2).sort());
    const dated = await call(adminToken, 'GET', '/api/registry?entityId=7&from=2026-01-11&to=2026-01-12&limit=100');
    expect(dated.json.rows.map((r: { id: string }) => r.id).sort()).toEqual([made[1], made[2]].sort());
    const row = completed.json.rows[0];
    expect(row).toMatchObject({ template: { id: 'tpl_roles_a', name: 'Roles template' }, responsibleUserId: 12, crm: { entityTypeId: 2, entityId: 7 } });
    expect(row.crm.url).toMatch(/^https:\/\/[^/]+\/crm\/deal\/details\/7\/$/);
    const byTemplate = await call(adminToken, 'GET', '/api/registry?templateId=tpl_roles_a&responsible=12&limit=100');
    expect(byTemplate.json.rows.length).toBe(7);
    const all = await call(adminToken, 'GET', '/api/registry?limit=100');
    expect(all.text).not.toContain('OTHER PORTAL');
    expect((await call(adminToken, 'GET', '/api/registry?status=bogus')).status).toBe(400);
    expect((await call(adminToken, 'GET', '/api/registry?cursor=zzz')).status).toBe(400);
  });

  it('bulk void and resend answer per envelope, with the role rules of the single routes', async () => {
    const mine = await seedEnvelope({ by: 12, deal: 5 });
    const mine2 = await seedEnvelope({ by: 12, deal: 5 });
    const theirs = await seedEnvelope({ by: 15, deal: 5 });
    const resend = await call(tokens.sender, 'POST', '/api/registry/bulk', { action: 'resend', ids: [mine.id, theirs.id] });
    expect(resend.status).toBe(200);
    expect(resend.json.results).toEqual([{ id: mine.id, ok: true, resent: 1 }, expect.objectContaining({ id: theirs.id, ok: false, code: 'FORBIDDEN' })]);
    expect((await call(tokens.sender, 'POST', '/api/registry/bulk', { action: 'void', ids: [mine.id] })).status).toBe(400);
    const voided = await call(tokens.sender, 'POST', '/api/registry/bulk', { action: 'void', ids: [mine.id, mine2.id, theirs.id, 'env_missing'], reason: 'bulk' });
    expect(voided.json.results.map((r: { ok: boolean; code?: string }) => r.code ?? 'ok')).toEqual(['ok', 'ok', 'FORBIDDEN', 'NOT_FOUND']);
    const [row] = await services.db.select().from(envelopes).where(eq(envelopes.id, theirs.id));
    expect(row!.status).toBe('sent');
  });

  it('CSV export: every cell quoted, formulas defused, rows as the registry shows them', async () => {
    const evil = await seedEnvelope({ by: 12, deal: 5, title: '=HYPERLINK("http://evil.example","x")' });
    const csv = await call(adminToken, 'GET', '/api/registry/export.csv?entityTypeId=2&entityId=5');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    // text() drops the byte-order mark; the bytes keep it (spreadsheets then read the UTF-8 as UTF-8).
    expect(csv.text.startsWith('id,title,status')).toBe(true);
    const raw = new Uint8Array(await (await app.request('/api/registry/export.csv', { headers: { authorization: `Bearer ${adminToken}` } })).arrayBuffer());
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const line = csv.text.split('\r\n').find((l) => l.startsWith(`"${evil.id}"`))!;
    expect(line).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    for (const bad of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1']) expect(csvCell(bad).startsWith(`"'`)).toBe(true);
    expect(csvCell('plain "quoted"')).toBe('"plain ""quoted"""');
    expect((await call(tokens.none, 'GET', '/api/registry/export.csv')).status).toBe(403);
  });
});
