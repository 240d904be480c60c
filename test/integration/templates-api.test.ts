import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleAssignments } from '../../src/db/schema/roles.js';
import { createApp } from '../../src/app.js';
import { markTemplateUsed } from '../../src/documents/templates/repo.js';
import { issueSession, type Session } from '../../src/http/session.js';
import { createTestServices } from '../helpers/services.js';
import { fakeCrmClient, sampleCrm } from '../helpers/fake-crm-client.js';
import { pdfText } from '../helpers/render-diff.js';

/** The templates API over a real database: portal scoping, CRUD, uploads, fields, previews from CRM data. */
describe('templates API', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let app: ReturnType<typeof createApp>;
  let crm: ReturnType<typeof fakeCrmClient>;
  const tokens: Record<string, string> = {};
  const pdf = (f: string) => new Uint8Array(readFileSync(join(import.meta.dirname, '../fixtures/pdfs', f)));

  beforeAll(async () => {
    services = await createTestServices({ env: { UPLOAD_MAX_BYTES: String(200_000) } });
    crm = fakeCrmClient(sampleCrm());
    // CRM reads go to an in-memory portal; the emulator-backed test lives in documents-emulator.test.ts.
    services.bitrix24 = { forPortal: () => crm.client, asUser: () => crm.client } as typeof services.bitrix24;
    app = createApp(services);
    // An employee's session with its own token (sid): CRM reads go through asUser (the same fake here).
    const s = (portalId: string): Session => ({ portalId, userId: 1, isAdmin: false, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'ru', sid: `sid_${portalId}` });
    tokens.a = await issueSession(services.config.sessionSecret, s('prt_a'));
    tokens.b = await issueSession(services.config.sessionSecret, s('prt_b'));
    // Editing templates is a manager's (src/roles/policy.ts); a portal's default role is sender.
    for (const portalId of ['prt_a', 'prt_b']) await services.db.insert(roleAssignments).values({ portalId, subjectType: 'user', subjectId: 1, role: 'manager', updatedByUserId: 1 });
  });
  afterAll(() => services.testDb.close());

  const call = (who: 'a' | 'b', method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && !(body instanceof Uint8Array) && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : body instanceof Uint8Array || body instanceof FormData ? (body as BodyInit) : JSON.stringify(body),
    });

  it('needs a session', async () => {
    const res = await app.request('/api/templates');
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('UNAUTHORIZED');
  });

  it('creates a template from a starter (fields copied), lists it only for its portal, updates and deletes it', async () => {
    const created = await call('a', 'POST', '/api/templates', { language: 'ru', source: { type: 'builtin', layout: 'sales-contract' } });
    expect(created.status).toBe(201);
    const { template } = await created.json();
    expect(template).toMatchObject({ name: 'Договор купли-продажи', kind: 'contract', language: 'ru' });
    expect(template.fields.length).toBeGreaterThanOrEqual(20);

    const listA = await (await call('a', 'GET', '/api/templates')).json();
    expect(listA.templates.map((t: { id: string }) => t.id)).toEqual([template.id]);
    expect(listA.starters.map((s: { id: string }) => s.id)).toEqual(['sales-contract', 'invoice', 'nda']);
    expect((await (await call('b', 'GET', '/api/templates')).json()).templates).toEqual([]);
    expect((await call('b', 'GET', `/api/templates/${template.id}`)).status).toBe(404);
    expect((await call('b', 'DELETE', `/api/templates/${template.id}`)).status).toBe(404);

    const patched = await call('a', 'PATCH', `/api/templates/${template.id}`, { name: 'Договор (наш)' });
    expect((await patched.json()).template.name).toBe('Договор (наш)');

    const bad = await call('a', 'PUT', `/api/templates/${template.id}/fields`, { fields: [{ key: 'x', type: 'text', party: 'sender', binding: 'deal.TITLE' }] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/fields.0.binding: not a known CRM binding/);

    // "Same as last time": a used template comes before a newer, never-used one.
    const newer = (await (await call('a', 'POST', '/api/templates', { language: 'it', source: { type: 'builtin', layout: 'invoice' } })).json()).template;
    await markTemplateUsed(services.db, { portalId: 'prt_a', id: template.id, at: new Date() });
    const order = (await (await call('a', 'GET', '/api/templates')).json()).templates.map((t: { id: string }) => t.id);
    expect(order).toEqual([template.id, newer.id]);
    expect((await call('a', 'DELETE', `/api/templates/${newer.id}`)).status).toBe(204);

    expect((await call('a', 'DELETE', `/api/templates/${template.id}`)).status).toBe(204);
    expect((await (await call('a', 'GET', '/api/templates')).json()).templates).toEqual([]);
  });

  it('previews a starter template filled from a CRM item with one batch read', async () => {
    const { template } = await (await call('a', 'POST', '/api/templates', { language: 'ru', source: { type: 'builtin', layout: 'sales-contract' } })).json();
    const before = crm.calls.length;
    const res = await call('a', 'POST', `/api/templates/${template.id}/preview`, { crm: { entityTypeId: 2, entityId: 7 }, values: { special_terms: 'Без особых условий' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(crm.calls.slice(before)).toEqual([expect.stringMatching(/^batch:/)]);
    const text = pdfText(new Uint8Array(await res.arrayBuffer()));
    expect(text).toContain('Поставка оборудования');
    expect(text).toContain('Логистик Плюс (второй)');
    expect(text).toContain('2 222 000,00 ₽');
    expect(text).toContain('Без особых условий');

    const json = await call('a', 'POST', `/api/templates/${template.id}/preview`, { values: { buyer_name: 'x'.repeat(50) } }, { accept: 'application/json' });
    const report = await json.json();
    expect(report.pageCount).toBeGreaterThanOrEqual(1);
    expect(report.placements.map((p: { key: string }) => p.key)).toEqual(expect.arrayContaining(['company_signature', 'client_signature', 'company_initials']));
    expect(report.pdfBase64.length).toBeGreaterThan(1000);
  });

  it('uploads a PDF (raw or multipart), places fields on it and previews; refuses bad files with specific codes', async () => {
    const up = await call('a', 'POST', '/api/templates/uploads', pdf('pdflib--Simple_PDF_2.0_file.pdf'), { 'content-type': 'application/pdf', 'x-filename': encodeURIComponent('Договор.pdf') });
    expect(up.status).toBe(201);
    const { file } = await up.json();
    expect(file).toMatchObject({ status: 'ready', pageCount: 1, version: '2.0', filename: 'Договор.pdf' });

    const form = new FormData();
    form.set('file', new Blob([pdf('qpdf--minimal.pdf')], { type: 'application/pdf' }), 'minimal.pdf');
    const up2 = await call('a', 'POST', '/api/templates/uploads', form);
    expect(up2.status).toBe(201);

    // Other portals cannot use the file.
    const stolen = await call('b', 'POST', '/api/templates', { language: 'en', source: { type: 'upload', fileId: file.id } });
    expect(stolen.status).toBe(404);

    const fields = [
      { key: 'client_name', type: 'text', party: 'sender', binding: 'contact.FULL_NAME', page: 0, box: { x: 50, y: 50, w: 200, h: 16 } },
      { key: 'client_signature', type: 'signature', party: 'client', required: true, page: 0, box: { x: 50, y: 80, w: 150, h: 40 } },
    ];
    const offPage = await call('a', 'POST', '/api/templates', { name: 'NDA upload', kind: 'nda', language: 'en', source: { type: 'upload', fileId: file.id }, fields: [{ ...fields[0], page: 3 }] });
    expect(offPage.status).toBe(400);
    expect((await offPage.json()).error.message).toMatch(/page 4, but the PDF has 1/);

    const created = await call('a', 'POST', '/api/templates', { name: 'NDA upload', kind: 'nda', language: 'en', source: { type: 'upload', fileId: file.id }, fields });
    expect(created.status).toBe(201);
    const { template } = await created.json();
    const res = await call('a', 'POST', `/api/templates/${template.id}/preview`, { crm: { entityTypeId: 2, entityId: 7 } });
    expect(res.status).toBe(200);
    expect(pdfText(new Uint8Array(await res.arrayBuffer()))).toContain('Анна Медведева');

    const refuse = async (bytes: Uint8Array) => (await (await call('a', 'POST', '/api/templates/uploads', bytes, { 'content-type': 'application/pdf' })).json()).error.code;
    expect(await refuse(pdf('qpdf--V4-aes.pdf'))).toBe('PDF_ENCRYPTED');
    expect(await refuse(new TextEncoder().encode('hello'))).toBe('PDF_INVALID');
    // UPLOAD_MAX_BYTES is 200 000 here: the body limit answers before the file is read.
    const big = await call('a', 'POST', '/api/templates/uploads', pdf('pdflib--us_constitution.pdf'), { 'content-type': 'application/pdf' });
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('PDF_TOO_LARGE');
    const text = await call('a', 'POST', '/api/templates/uploads', 'x', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
  });

  it('previews a starter before any template exists', async () => {
    const res = await call('a', 'POST', '/api/templates/starters/invoice/preview', { lang: 'it', values: { buyer_name: 'Caffè Perché Sì S.r.l.' } });
    expect(res.status).toBe(200);
    expect(pdfText(new Uint8Array(await res.arrayBuffer()))).toContain('Caffè Perché Sì S.r.l.');
    expect((await call('a', 'POST', '/api/templates/starters/nope/preview', {})).status).toBe(404);
  });
});
