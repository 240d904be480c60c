/**
 * The server side of the card's issue 18 items 4 and 5: starters used without being adopted (fields,
 * preview) and adopted once at the first send; "same as last time" not offered on the item where its
 * document was just sent; fields that overlap refused at send with FIELDS_OVERLAP in the sender's
 * language, for a new envelope and for a draft sent later.
 */
import { and, eq } from 'drizzle-orm';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { portals } from '../../src/db/schema/portals.js';
import { templates } from '../../src/db/schema/templates.js';
import { issueSession } from '../../src/http/session.js';
import { offerHere, type LastUsed } from '../../src/card/card-data.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { createTestServices } from '../helpers/services.js';

const CLIENT_ID = 'local.card.issue18';
let services: Awaited<ReturnType<typeof createTestServices>>;
let app: ReturnType<typeof createApp>;
let emu: StartedEmulator;
let portalId: string;
const auth: Record<'en' | 'ru', string> = { en: '', ru: '' };

beforeAll(async () => {
  services = await createTestServices({ env: { BITRIX24_CLIENT_ID: CLIENT_ID, BITRIX24_CLIENT_SECRET: 's' } });
  app = createApp(services);
  emu = await startEmulator({ appFetch: (req) => app.request(req), pdfDelayMs: 60_000 });
  const portal = await emu.control.createPortal({ languageId: 'en' });
  await emu.control.installApp({ memberId: portal.memberId, clientId: CLIENT_ID, clientSecret: 's', installUrl: 'http://b24sign.test/b24/install', flavour: 'event' });
  const [row] = await services.db.select({ id: portals.id }).from(portals).where(eq(portals.memberId, portal.memberId));
  portalId = row!.id;
  for (const lang of ['en', 'ru'] as const) auth[lang] = `Bearer ${await issueSession(services.config.sessionSecret, { portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang })}`;
}, 60_000);
afterAll(async () => {
  emu?.close();
  await services?.testDb.close();
});

const call = (method: string, path: string, body?: unknown, lang: 'en' | 'ru' = 'en') =>
  app.request(path, { method, headers: { authorization: auth[lang], 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const portalTemplates = () => services.db.select().from(templates).where(eq(templates.portalId, portalId));

async function onePagePdf(): Promise<string> {
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]);
  return Buffer.from(await doc.save()).toString('base64');
}

const recipients = [
  { role: 'signer', party: 'company', order: 1, name: 'Anna Company', email: 'anna@example.com' },
  { role: 'signer', party: 'client', order: 2, name: 'Carl Client', email: 'carl@example.com' },
];

describe('starters in the card', () => {
  it('proposes fields and previews a starter without creating a template', async () => {
    const p = await call('POST', '/api/card/items/2/4/proposal', { templateId: 'starter:sales-contract' }, 'ru');
    expect(p.status).toBe(200);
    const proposal = (await p.json()) as { fields: { key: string; label: string }[] };
    expect(proposal.fields.some((f) => f.key === 'subject')).toBe(true);
    // Labels in the session's language.
    expect(proposal.fields.find((f) => f.key === 'subject')!.label).toMatch(/[а-я]/i);
    const preview = await call('POST', `/api/templates/${encodeURIComponent('starter:sales-contract')}/preview`, { crm: { entityTypeId: 2, entityId: 4 }, values: {}, lang: 'en' });
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await preview.arrayBuffer()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect((await call('POST', '/api/card/items/2/4/proposal', { templateId: 'starter:no-such' })).status).toBe(404);
    expect((await call('POST', `/api/templates/${encodeURIComponent('starter:no-such')}/preview`, { values: {} })).status).toBe(404);
    expect(await portalTemplates()).toEqual([]);
  });

  it('adopts the starter at the first send and reuses that template at the next', async () => {
    const send = (dealId: number) =>
      call('POST', '/api/envelopes', { title: 'Sales contract', lang: 'en', crm: { entityTypeId: 2, entityId: dealId }, templateId: 'starter:sales-contract', values: {}, recipients, send: true, confirmWarnings: true });
    const first = await send(4);
    expect(first.status).toBe(201);
    const a = (await first.json()) as { envelope: { templateId: string } };
    const list = await portalTemplates();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: a.envelope.templateId, name: 'Sales contract', language: 'en', source: { type: 'builtin', layout: 'sales-contract' } });
    const second = await send(6);
    expect(second.status).toBe(201);
    expect(((await second.json()) as { envelope: { templateId: string } }).envelope.templateId).toBe(a.envelope.templateId);
    expect(await portalTemplates()).toHaveLength(1);
  });
});

describe('"same as last time" on the item where it was sent', () => {
  const last: LastUsed = { kind: 'contract', templateId: 'tpl_1', templateName: 'Sales contract', entityTypeId: 2, slots: [], recipientsSummary: 'A, B', usedAt: new Date(0).toISOString() };
  it('is not offered where that template’s document is sent or signed; still offered after a void, a decline or for another template', () => {
    for (const status of ['sent', 'in_progress', 'completed'] as const) expect(offerHere(last, [{ templateId: 'tpl_1', status }])).toBeNull();
    for (const status of ['voided', 'declined', 'expired', 'draft'] as const) expect(offerHere(last, [{ templateId: 'tpl_1', status }])).toBe(last);
    expect(offerHere(last, [{ templateId: 'tpl_2', status: 'sent' }, { templateId: null, status: 'completed' }])).toBe(last);
    expect(offerHere(null, [])).toBeNull();
  });

  it('follows the card state: remembered after a send, gone on that deal, offered on another', async () => {
    const [tpl] = await portalTemplates();
    const remember = await call('PUT', '/api/card/last-used', { kind: 'contract', templateId: tpl!.id, templateName: tpl!.name, entityTypeId: 2, slots: [], recipientNames: ['Anna Company', 'Carl Client'] });
    expect(remember.status).toBe(204);
    const here = (await (await call('GET', '/api/card/items/2/4')).json()) as { lastUsed: LastUsed | null };
    expect(here.lastUsed).toBeNull();
    const there = (await (await call('GET', '/api/card/items/2/8')).json()) as { lastUsed: LastUsed | null };
    expect(there.lastUsed).toMatchObject({ templateId: tpl!.id, recipientsSummary: 'Anna Company, Carl Client' });
  });
});

describe('the card’s change poll', () => {
  it('answers the same fingerprint while nothing changes and another once a document is added', async () => {
    const version = async () => ((await (await call('GET', '/api/card/items/2/12/version')).json()) as { version: string }).version;
    const v1 = await version();
    expect(v1).toMatch(/^[0-9a-f]{24}$/);
    expect(await version()).toBe(v1);
    const res = await call('POST', '/api/envelopes', { title: 'Poll me', lang: 'en', crm: { entityTypeId: 2, entityId: 12 }, pdfBase64: await onePagePdf(), fields: [], recipients, send: false });
    expect(res.status).toBe(201);
    const v2 = await version();
    expect(v2).not.toBe(v1);
    expect(await version()).toBe(v2);
    expect((await call('GET', '/api/card/items/2/abc/version')).status).toBe(400);
  });
});

describe('overlapping fields are refused at send', () => {
  const fields = [
    { key: 'sig_company', label: 'Signature', type: 'signature', page: 0, box: { x: 60, y: 100, w: 160, h: 44 }, party: 'company', required: true },
    { key: 'date_client', label: 'Date', type: 'date', page: 0, box: { x: 200, y: 120, w: 100, h: 20 }, party: 'client', required: true },
    { key: 'sig_client', label: 'Client signature', type: 'signature', page: 0, box: { x: 340, y: 100, w: 160, h: 44 }, party: 'client', required: true },
  ];

  it('answers FIELDS_OVERLAP naming both fields in the sender’s language, and stores nothing', async () => {
    for (const [lang, text] of [['en', '“Signature” and “Date” overlap on page 1'], ['ru', 'Поля «Signature» и «Date» перекрываются на странице 1']] as const) {
      const res = await call('POST', '/api/envelopes', { title: `Overlap ${lang}`, lang, crm: { entityTypeId: 2, entityId: 10 }, pdfBase64: await onePagePdf(), fields, recipients, send: true }, lang);
      expect(res.status).toBe(422);
      const body = (await res.json()) as { error: { code: string; message: string; details: { overlaps: { a: { key: string }; b: { key: string }; page: number }[] } } };
      expect(body.error.code).toBe('FIELDS_OVERLAP');
      expect(body.error.message).toContain(text);
      expect(body.error.details.overlaps).toEqual([{ a: { key: 'sig_company', label: 'Signature' }, b: { key: 'date_client', label: 'Date' }, page: 0 }]);
    }
    expect(await services.db.select().from(envelopes).where(and(eq(envelopes.portalId, portalId), eq(envelopes.crmEntityId, 10)))).toEqual([]);
  });

  it('sends the same fields once apart', async () => {
    const apart = fields.map((f) => (f.key === 'date_client' ? { ...f, box: { ...f.box, y: 160 } } : f));
    const res = await call('POST', '/api/envelopes', { title: 'Apart', lang: 'en', crm: { entityTypeId: 2, entityId: 10 }, pdfBase64: await onePagePdf(), fields: apart, recipients, send: true });
    expect(res.status).toBe(201);
  });

  it('refuses to send a draft whose fields overlap', async () => {
    const [env] = await services.db.select().from(envelopes).where(and(eq(envelopes.portalId, portalId), eq(envelopes.title, 'Apart')));
    // A draft stored before this check existed (fields written directly).
    const draft = await call('POST', '/api/envelopes', { title: 'Draft', lang: 'en', crm: { entityTypeId: 2, entityId: 10 }, pdfBase64: await onePagePdf(), fields: env!.fields, recipients, send: false });
    const { envelope } = (await draft.json()) as { envelope: { id: string } };
    await services.db.update(envelopes).set({ fields: fields as never }).where(eq(envelopes.id, envelope.id));
    const sent = await call('POST', `/api/envelopes/${envelope.id}/send`, {}, 'ru');
    expect(sent.status).toBe(422);
    expect(((await sent.json()) as { error: { code: string } }).error.code).toBe('FIELDS_OVERLAP');
  });
});
