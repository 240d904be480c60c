/**
 * One security test for every JSON route, found by walking the app's registered routes (hono's
 * `app.routes`), so a new route is covered the day it is added:
 * - no session, a forged session, an expired session → 401, and nothing changes;
 * - portal A's session aimed at portal B's records → refused, B's data never appears in the answer,
 *   and none of B's rows change.
 * Routes that take an id need a resolver below (which of B's records the id should name); a route
 * with an unknown parameter fails this test until one is added. Public routes are listed explicitly.
 * The same walk checks the Bitrix24 server-to-server doors (events, robots): forged calls → 401.
 */
import { getTableColumns, eq, type Table } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import * as schema from '../../src/db/schema/index.js';
import { auditEvents, cardPrefs, envelopes, pdfFiles, portals, recipients, sealedDocuments, templates } from '../../src/db/schema/index.js';
import { issueSession, SESSION_TTL_SECONDS, type Session } from '../../src/http/session.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { createTestServices } from '../helpers/services.js';

const PUBLIC = 'http://b24sign.test';
const CLIENT = { clientId: 'local.b24sign.security', clientSecret: 'security-secret' };

/** JSON routes anyone may call: the signer's link-authenticated API and public verification. */
const PUBLIC_API = [/^\/api\/sign\//, /^\/api\/verify(\/|$)/];

/** Which of portal B's records a path parameter names, by `<previous segment>/:<param>`. */
type Resolver = { owned: true; value: (b: SeededB) => string } | { owned: false; value: string };
const RESOLVERS: Record<string, Resolver> = {
  'envelopes/:id': { owned: true, value: (b) => b.envelopeId },
  'envelopes/:envelopeId': { owned: true, value: (b) => b.envelopeId },
  'recipients/:rid': { owned: true, value: (b) => b.recipientId },
  'templates/:id': { owned: true, value: (b) => b.templateId },
  // In-portal signing (src/doors/in-portal-sign.tsx): a document to sign is an envelope.
  'documents/:id': { owned: true, value: (b) => b.envelopeId },
  'uploads/:fileId': { owned: true, value: (b) => b.pdfFileId },
  // Not tenant records in our database: CRM ids are read from the session's own portal.
  'items/:et': { owned: false, value: '2' },
  ':et/:id': { owned: false, value: '1' },
  'documents/:docId': { owned: false, value: '1' },
  'starters/:id': { owned: false, value: 'nda' },
  // Records picked in Bitrix24's own pickers, read live from the session's portal.
  'users/:userId': { owned: false, value: '1' },
  'crm/:kind': { owned: false, value: 'contact' },
  ':kind/:id': { owned: false, value: '1' },
};

interface SeededB {
  portalId: string;
  memberId: string;
  domain: string;
  envelopeId: string;
  recipientId: string;
  templateId: string;
  pdfFileId: string;
  markers: string[];
}

function concretePath(path: string, b: SeededB): { url: string; owned: boolean } | { missing: string } {
  const original = path.split('/').map((s) => s.replace(/\{.*\}$/, ''));
  const segs = [...original];
  let owned = false;
  for (let i = 0; i < segs.length; i++) {
    const name = original[i]!;
    if (!name.startsWith(':')) continue;
    const key = `${original[i - 1]}/${name}`;
    const r = RESOLVERS[key];
    if (!r) return { missing: key };
    if (r.owned) owned = true;
    segs[i] = encodeURIComponent(r.owned ? r.value(b) : r.value);
  }
  return { url: segs.join('/'), owned };
}

describe('every JSON route refuses missing sessions and cross-portal access', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let app: ReturnType<typeof createApp>;
  let emu: StartedEmulator;
  let A: { portalId: string; memberId: string };
  let B: SeededB;
  let apiRoutes: { method: string; path: string }[];

  beforeAll(async () => {
    services = await createTestServices({
      env: { PUBLIC_URL: PUBLIC, BITRIX24_CLIENT_ID: CLIENT.clientId, BITRIX24_CLIENT_SECRET: CLIENT.clientSecret, BITRIX24_OAUTH_SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/' },
    });
    app = createApp(services);
    emu = await startEmulator({ appFetch: async (req) => app.request(req) });
    const install = async () => {
      const p = await emu.control.createPortal();
      const r = await emu.control.installApp({ memberId: p.memberId, ...CLIENT, installUrl: `${PUBLIC}/b24/install`, handlerBase: PUBLIC, flavour: 'event' });
      expect(r.delivery?.status, r.delivery?.body).toBe(200);
      const [row] = await services.db.select().from(portals).where(eq(portals.memberId, p.memberId));
      return { row: row!, info: p, applicationToken: r.applicationToken };
    };
    const a = await install();
    const b = await install();
    A = { portalId: a.row.id, memberId: a.info.memberId };
    const mark = (what: string) => `SECRET-B-${what}-${b.row.id.slice(-6)}`;
    const envelopeId = 'env_security_b';
    const recipientId = 'rcp_security_b';
    await services.db.insert(envelopes).values({
      id: envelopeId, portalId: b.row.id, title: mark('envelope'), status: 'sent', publicId: mark('public'), crmEntityTypeId: 2, crmEntityId: 1,
      timers: { reminderFirstDays: 3, reminderEveryDays: 3, reminderMax: 3, expiryDays: 30 },
    });
    await services.db.insert(recipients).values({ id: recipientId, portalId: b.row.id, envelopeId, role: 'signer', party: 'client', signOrder: 1, name: mark('signer'), email: 'b-signer@example.com' } as never);
    await services.db.insert(auditEvents).values({ portalId: b.row.id, envelopeId, seq: 1, type: 'created', actor: 'system', at: new Date(), prevHash: '0', hash: mark('hash') });
    await services.db.insert(templates).values({ id: 'tpl_security_b', portalId: b.row.id, name: mark('template'), kind: 'contract' as never, language: 'en', source: { type: 'builtin' } as never });
    await services.db.insert(pdfFiles).values({ id: 'upl_security_b', portalId: b.row.id, origin: 'upload', filename: `${mark('file')}.pdf` });
    await services.db.insert(cardPrefs).values({ portalId: b.row.id, kind: 'contract', templateId: 'tpl_security_b', templateName: mark('pref'), lastRecipientNames: [mark('last')] });
    await services.db.insert(sealedDocuments).values({
      id: 'doc_security_b', portalId: b.row.id, envelopeId, publicId: mark('sealed'), sha256: 'b'.repeat(64), title: mark('sealed-title'),
      sealedAt: new Date(), retentionUntil: new Date(Date.now() + 86400e3), sizeBytes: 1,
    });
    B = {
      portalId: b.row.id, memberId: b.info.memberId, domain: b.info.domain, envelopeId, recipientId, templateId: 'tpl_security_b', pdfFileId: 'upl_security_b',
      markers: [b.row.id, b.info.memberId, b.info.domain, envelopeId, recipientId, 'tpl_security_b', 'upl_security_b', 'b-signer@example.com', mark('')],
    };
    apiRoutes = app.routes
      .filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/') && !PUBLIC_API.some((re) => re.test(r.path)))
      .map((r) => ({ method: r.method, path: r.path }));
  });
  afterAll(async () => {
    emu?.close();
    await services?.testDb.close();
  });

  /** Every row of every tenant table that belongs to `portalId`, for before/after comparisons. */
  async function tenantRows(portalId: string): Promise<string> {
    const out: Record<string, unknown[]> = {};
    for (const [name, t] of Object.entries(schema)) {
      if (!(t instanceof PgTable)) continue;
      const cols = getTableColumns(t as Table) as Record<string, unknown>;
      const col = cols.portalId ?? (name === 'portals' ? cols.id : undefined);
      if (!col) continue;
      out[name] = await services.db.select().from(t as PgTable).where(eq(col as never, portalId));
    }
    return JSON.stringify(out, (_k, v) => (v instanceof Uint8Array ? `bytes:${v.length}` : v));
  }

  const session = (s: Partial<Session> & { portalId: string }, opts: { secret?: string; now?: Date } = {}) =>
    issueSession(opts.secret ?? services.config.sessionSecret, { userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en', ...s }, opts.now ?? new Date());

  async function call(method: string, url: string, bearer?: string) {
    const withBody = !['GET', 'HEAD', 'DELETE'].includes(method);
    const res = await app.request(url, {
      method,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(withBody ? { 'content-type': 'application/json' } : {}), accept: 'application/json' },
      ...(withBody ? { body: '{}' } : {}),
    });
    const body = method === 'HEAD' ? '' : await res.text();
    return { status: res.status, body };
  }

  it('finds the JSON routes to check (the walk itself works)', () => {
    expect(apiRoutes.length).toBeGreaterThan(5);
    expect(apiRoutes).toContainEqual({ method: 'GET', path: '/api/session' });
    expect(apiRoutes).toContainEqual({ method: 'POST', path: '/api/portal/registrations' });
    // Public routes are really excluded, and only those.
    expect(apiRoutes.some((r) => r.path.startsWith('/api/sign/'))).toBe(false);
  });

  it('every parameter of every JSON route has a resolver', () => {
    const missing = apiRoutes.map((r) => ({ r, c: concretePath(r.path, B) })).filter((x) => 'missing' in x.c).map((x) => `${x.r.method} ${x.r.path} (${(x.c as { missing: string }).missing})`);
    expect(missing, 'add the parameter to RESOLVERS in test/integration/security.test.ts').toEqual([]);
  });

  it('no session, a forged session, another secret or an expired session → 401 on every JSON route, with no side effect', async () => {
    const before = [await tenantRows(A.portalId), await tenantRows(B.portalId)];
    const forged = [
      undefined,
      'not-a-jwt',
      `${(await session({ portalId: A.portalId })).slice(0, -4)}AAAA`,
      await session({ portalId: A.portalId }, { secret: 'another-secret-of-sufficient-length-0123456789' }),
      await session({ portalId: A.portalId }, { now: new Date(Date.now() - (SESSION_TTL_SECONDS + 60) * 1000) }),
    ];
    for (const r of apiRoutes) {
      const c = concretePath(r.path, B);
      if ('missing' in c) continue;
      for (const bearer of forged) {
        const res = await call(r.method, c.url, bearer);
        expect(res.status, `${r.method} ${r.path} with ${bearer ? 'a bad token' : 'no token'}`).toBe(401);
        expect(JSON.parse(res.body).error.code).toBe('UNAUTHORIZED');
      }
    }
    expect([await tenantRows(A.portalId), await tenantRows(B.portalId)]).toEqual(before);
  });

  it("portal A's session never reads or changes portal B's data on any JSON route", async () => {
    const bBefore = await tenantRows(B.portalId);
    const tokens = [await session({ portalId: A.portalId, isAdmin: true }), await session({ portalId: A.portalId, userId: 6, isAdmin: false })];
    const problems: string[] = [];
    for (const r of apiRoutes) {
      const c = concretePath(r.path, B);
      if ('missing' in c) continue;
      for (const token of tokens) {
        const res = await call(r.method, c.url, token);
        const where = `${r.method} ${c.url}`;
        if (res.status >= 500) problems.push(`${where} → ${res.status} (server error)`);
        if (c.owned && res.status < 400) problems.push(`${where} → ${res.status}: A's session was given B's record`);
        for (const m of B.markers) if (res.body.includes(m)) problems.push(`${where} leaked B's "${m}"`);
      }
    }
    expect(problems).toEqual([]);
    expect(await tenantRows(B.portalId)).toBe(bBefore);
  });

  it("B's own session does reach B's records (so the refusals above are about the portal, not the route)", async () => {
    const token = await session({ portalId: B.portalId });
    const res = await call('GET', `/api/envelopes/${B.envelopeId}`, token);
    expect(res.status).toBe(200);
    expect(res.body).toContain(B.envelopeId);
    const me = await call('GET', '/api/session', token);
    expect(JSON.parse(me.body).portal.id).toBe(B.portalId);
  });

  it('server-to-server doors (events, robots): wrong token, unknown member_id or no auth → 401 and nothing recorded', async () => {
    const doors = app.routes.filter((r) => r.method === 'POST' && (r.path === '/b24/events' || r.path.startsWith('/b24/robots/')));
    expect(doors.length).toBeGreaterThanOrEqual(1);
    const before = [await tenantRows(A.portalId), await tenantRows(B.portalId)];
    const jobsBefore = (await services.db.select().from(schema.jobs)).length;
    const callsBefore = emu.control.calls().length;
    // The emulator knows the tokens it issued; the rows hold only digests.
    const appTokenOf = (memberId: string) => emu.control.portal(memberId).apps.get(CLIENT.clientId)!.applicationToken;
    const bodies: Record<string, string>[] = [
      { event: 'ONAPPUNINSTALL', 'data[CLEAN]': '1', 'auth[member_id]': A.memberId, 'auth[application_token]': 'wrong-token' },
      { event: 'ONAPPUNINSTALL', 'data[CLEAN]': '1', 'auth[member_id]': 'unknown-member', 'auth[application_token]': appTokenOf(A.memberId) },
      { event: 'ONAPPUNINSTALL', 'data[CLEAN]': '1' },
      {
        workflow_id: 'wf', code: 'b24sign_send_for_signing', 'document_id[0]': 'crm', 'document_id[1]': 'CCrmDocumentDeal', 'document_id[2]': 'DEAL_1',
        event_token: 'tok|A1|x', 'auth[member_id]': A.memberId, 'auth[application_token]': `${appTokenOf(A.memberId)}x`,
      },
      // B's valid token, claiming to be A.
      { event: 'ONAPPUNINSTALL', 'data[CLEAN]': '1', 'auth[member_id]': A.memberId, 'auth[application_token]': appTokenOf(B.memberId) },
    ];
    for (const d of doors) {
      const path = d.path.replace(/:[^/]+/g, 'send-for-signing');
      for (const b of bodies) {
        const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(b).toString() });
        expect(res.status, `${path} ${JSON.stringify(b).slice(0, 80)}`).toBe(401);
      }
    }
    expect([await tenantRows(A.portalId), await tenantRows(B.portalId)]).toEqual(before);
    expect((await services.db.select().from(schema.jobs)).length).toBe(jobsBefore);
    // Nor did anything reach the portals.
    expect(emu.control.calls().length).toBe(callsBefore);
  });
});
