/**
 * The card's CRM-facing routes against the Bitrix24 emulator: recipients proposed from a deal (one
 * batch), "same as last time" slots resolved on another item, generated documents and their PDF
 * with Bitrix24's conversion delay, and refusal of a document that belongs to another item.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createJobHandlers } from '../../src/entry/jobs.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { portals } from '../../src/db/schema/portals.js';
import { issueSession } from '../../src/http/session.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { createTestServices } from '../helpers/services.js';
import { DEFAULT_SLOTS, findProblems, proposeRecipients, type Person } from '../../src/card/proposal.js';

const CLIENT_ID = 'local.card.crm';
let services: Awaited<ReturnType<typeof createTestServices>>;
let app: ReturnType<typeof createApp>;
let emu: StartedEmulator;
let portalId: string;
let auth: string;

beforeAll(async () => {
  services = await createTestServices({ env: { BITRIX24_CLIENT_ID: CLIENT_ID, BITRIX24_CLIENT_SECRET: 's' } });
  app = createApp(services);
  emu = await startEmulator({ appFetch: (req) => app.request(req), pdfDelayMs: 60_000 });
  const portal = await emu.control.createPortal({ languageId: 'en' });
  await emu.control.installApp({ memberId: portal.memberId, clientId: CLIENT_ID, clientSecret: 's', installUrl: 'http://b24sign.test/b24/install', flavour: 'event' });
  const [row] = await services.db.select({ id: portals.id }).from(portals).where(eq(portals.memberId, portal.memberId));
  portalId = row!.id;
  auth = `Bearer ${await issueSession(services.config.sessionSecret, { portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' })}`;
}, 60_000);
afterAll(async () => {
  emu?.close();
  await services?.testDb.close();
});

const post = (path: string, body: unknown) => app.request(path, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('recipients from the CRM', () => {
  it('proposes the responsible user first and the deal’s contact second, with nothing missing', async () => {
    const before = emu.control.calls({ memberId: undefined }).length;
    const res = await post('/api/card/items/2/2/proposal', {});
    expect(res.status).toBe(200);
    const p = (await res.json()) as { recipients: { party: string; order: number; name: string; email: string; b24UserId?: number; crmContactId?: number }[]; problems: unknown[]; people: { kind: string }[]; itemTitle: string };
    expect(p.recipients.map((r) => [r.party, r.order, r.email])).toEqual([
      ['company', 1, 'user12@example.com'],
      ['client', 2, 'contact3@example.com'],
    ]);
    expect(p.recipients[0]!.b24UserId).toBe(12);
    expect(p.recipients[1]!.crmContactId).toBe(3);
    expect(p.problems).toEqual([]);
    expect(p.people.map((x) => x.kind)).toContain('company');
    // Deal 2 has a second contact: offered as a candidate, read in the same batch.
    expect(p.people.filter((x) => x.kind === 'contact')).toHaveLength(2);
    expect(p.itemTitle).toBe('Продление лицензий — ООО «Гранит»');
    // The CRM read is one batch (plus one more only when the deal has several contacts).
    const requests = emu.control.calls({}).slice(before).filter((c) => !c.batchKey);
    expect(requests.map((c) => c.method)).toEqual(['batch']);
  });

  it('resolves a remembered set-up on another item: a fixed director and a CC typed by hand', async () => {
    const res = await post('/api/card/items/2/5/proposal', {
      slots: [
        { role: 'signer', party: 'company', order: 1, source: 'user', userId: 6 },
        { role: 'signer', party: 'client', order: 2, source: 'contact' },
        { role: 'viewer', party: 'client', order: 3, source: 'manual', name: 'Accounts', email: 'accounts@client.test' },
      ],
    });
    const p = (await res.json()) as { recipients: { role: string; email: string; b24UserId?: number }[] };
    expect(p.recipients.map((r) => [r.role, r.email])).toEqual([
      ['signer', 'user6@example.com'],
      ['signer', 'contact29@example.com'],
      ['viewer', 'accounts@client.test'],
    ]);
    expect(p.recipients[0]!.b24UserId).toBe(6);
  });

  it('returns values for CRM bindings of boxes placed on an uploaded PDF', async () => {
    const p = (await (await post('/api/card/items/2/2/proposal', { bindings: ['item.TITLE', 'contact.FULL_NAME', 'today'] })).json()) as { bindingValues: Record<string, string> };
    expect(p.bindingValues['item.TITLE']).toBe('Продление лицензий — ООО «Гранит»');
    expect(p.bindingValues['contact.FULL_NAME']).toBe('Павел Зайцев');
    expect(p.bindingValues.today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('on a contact card proposes that contact as the client', async () => {
    const p = (await (await post('/api/card/items/3/3/proposal', {})).json()) as { recipients: { party: string; email: string; crmContactId?: number }[] };
    const client = p.recipients.find((r) => r.party === 'client')!;
    expect(client.email).toBe('contact3@example.com');
    expect(client.crmContactId).toBe(3);
    expect(p.recipients.find((r) => r.party === 'company')!.email).toMatch(/@example\.com$/);
  });

  it('answers 404 for a template of another portal', async () => {
    expect((await post('/api/card/items/2/2/proposal', { templateId: 'tpl_not_here' })).status).toBe(404);
  });

  it('lists portal users for the company signer picker', async () => {
    const res = await app.request('/api/card/users', { headers: { authorization: auth } });
    const { users } = (await res.json()) as { users: { id: number; name: string; email: string | null }[] };
    expect(users.length).toBeGreaterThanOrEqual(6);
    expect(users.find((u) => u.id === 12)?.email).toBe('user12@example.com');
  });
});

describe('records picked in Bitrix24’s own pickers', () => {
  const get = (path: string) => app.request(path, { headers: { authorization: auth } });

  it('reads the picked employee with the e-mail selectUser does not give', async () => {
    const res = await get('/api/card/users/9');
    expect(res.status).toBe(200);
    const { user } = (await res.json()) as { user: { id: number; name: string; email: string | null } };
    expect(user).toMatchObject({ id: 9, email: 'user9@example.com' });
    expect(emu.control.calls({}).at(-1)?.method).toBe('user.get');
  });

  it('reads a contact or company picked with selectCRM as a candidate recipient', async () => {
    const contact = (await (await get('/api/card/crm/contact/5')).json()) as { person: Record<string, unknown> };
    expect(contact.person).toMatchObject({ key: 'contact:5', kind: 'contact', email: 'contact5@example.com', crmContactId: 5, fixPath: '/crm/contact/details/5/' });
    const company = (await (await get('/api/card/crm/company/2')).json()) as { person: Record<string, unknown> };
    expect(company.person).toMatchObject({ key: 'company:2', kind: 'company', name: 'ООО «Гранит»', email: 'info@company2.example.com' });
  });

  it('answers 404 with a code for a record the portal does not have, and no route for other kinds', async () => {
    const user = await get('/api/card/users/99999');
    expect(user.status).toBe(404);
    expect(((await user.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await get('/api/card/crm/contact/99999')).status).toBe(404);
    expect((await get('/api/card/crm/deal/2')).status).toBe(404);
  });
});

describe('missing data (pure)', () => {
  it('flags a client without e-mail with a path to fix it, and a card with no client at all', () => {
    const people: Person[] = [
      { key: 'user:1', kind: 'responsible', name: 'Anna', email: 'anna@acme.test', phone: null, b24UserId: 1 },
      { key: 'contact:7', kind: 'contact', name: 'Marco', email: null, phone: '+39 02 1234', crmContactId: 7, fixPath: '/crm/contact/details/7/' },
    ];
    const rs = proposeRecipients(people, DEFAULT_SLOTS);
    expect(findProblems([], rs, people)).toEqual([{ code: 'no_email', index: 1, name: 'Marco', fixPath: '/crm/contact/details/7/' }]);
    const alone = proposeRecipients(people.slice(0, 1), DEFAULT_SLOTS);
    expect(findProblems([], alone, people.slice(0, 1))).toEqual([{ code: 'no_client' }]);
  });
});

describe('document-generator documents', () => {
  it('lists the item’s documents and fetches a converted PDF', async () => {
    const res = await app.request('/api/card/items/2/2/documents', { headers: { authorization: auth } });
    const { documents } = (await res.json()) as { documents: { id: number; title: string; pdfReady: boolean }[] };
    expect(documents).toHaveLength(1);
    expect(documents[0]!.pdfReady).toBe(true);
    // The first ask starts the documents module's fetch job; once it has run, the PDF is there.
    const first = await post(`/api/card/items/2/2/documents/${documents[0]!.id}/pdf`, {});
    expect(first.status).toBe(202);
    const runner = createJobRunner({ db: services.db, handlers: createJobHandlers(), services, logger: services.logger, concurrency: 1, pollMs: 50, leaseMs: 10_000, workerId: 'card-crm' });
    await runner.runUntilIdle();
    const pdf = await post(`/api/card/items/2/2/documents/${documents[0]!.id}/pdf`, {});
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('x-upload-id')).toMatch(/^upl_/);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('says "not yet" while Bitrix24 is still converting a new document', async () => {
    const created = await services.bitrix24.forPortal(portalId).call<{ document: { id: number } }>('crm.documentgenerator.document.add', { templateId: 1, entityTypeId: 2, entityId: 2 });
    const res = await post(`/api/card/items/2/2/documents/${created.document.id}/pdf`, {});
    expect(res.status).toBe(202);
    expect(((await res.json()) as { ready: boolean; retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('refuses a document that belongs to another CRM item', async () => {
    // Document 2 of the seed belongs to deal 5, not deal 2.
    const res = await post('/api/card/items/2/2/documents/2/pdf', {});
    expect(res.status).toBe(404);
  });
});
