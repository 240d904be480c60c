/**
 * Documents against the Bitrix24 emulator (seeded from the sample portal): all CRM data of a document
 * in exactly one REST request (asserted on the emulator's call log), starter templates rendered from
 * that data, and the document-generator PDF fetched by a job once Bitrix24 has converted it.
 */
import { getPdfBytes } from '../../src/documents/templates/repo.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { pdfFiles } from '../../src/db/schema/index.js';
import { readCrmData } from '../../src/documents/crm-data.js';
import { DOCGEN_MAX_WAIT_MS, fetchDocgenPdf, requestDocgenPdf } from '../../src/documents/docgen.js';
import { issueSession } from '../../src/http/session.js';
import { JobRetryLater } from '../../src/jobs/queue.js';
import { JOB_DEFINITIONS } from '../../src/entry/jobs.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { storeEmulatedPortal } from '../helpers/emulated-portal.js';
import { pdfText } from '../helpers/render-diff.js';
import { createTestServices, ManualClock } from '../helpers/services.js';

const APP = { clientId: 'local.b24sign.docs', clientSecret: 'emulator-docs-secret' };

let services: Awaited<ReturnType<typeof createTestServices>>;
let emu: StartedEmulator;
let clock: ManualClock;
let portalId: string;
let memberId: string;

beforeAll(async () => {
  clock = new ManualClock(new Date('2026-11-27T10:00:00Z'));
  emu = await startEmulator({ clock, pdfDelayMs: 35_000, strictDownloadHeaders: true, rateLimit: { perSecond: 50, burst: 50 } });
  services = await createTestServices({ clock, env: { BITRIX24_CLIENT_ID: APP.clientId, BITRIX24_CLIENT_SECRET: APP.clientSecret } });
  const info = await emu.control.createPortal({ app: APP });
  memberId = info.memberId;
  portalId = await storeEmulatedPortal(services.db, info);
});
afterAll(async () => {
  emu.close();
  await services.testDb.close();
});

const restCalls = () => emu.control.calls({ memberId, includeBatchParts: false });

describe('CRM data for a document', () => {
  it('is read in exactly one REST request, and maps the seeded deal, contact, company, requisites and users', async () => {
    emu.control.clearCalls();
    // Deal 1 of the sample portal: company 6, contact 4, responsible user 6; its requisite link was seeded.
    const data = await readCrmData(services.bitrix24.forPortal(portalId), { entityTypeId: 2, entityId: 1 });
    const calls = restCalls();
    expect(calls.map((c) => c.method)).toEqual(['batch']);
    const parts = emu.control.calls({ memberId }).filter((c) => c.batchKey !== undefined).map((c) => c.method);
    expect(parts).toEqual(expect.arrayContaining(['crm.deal.get', 'crm.contact.get', 'crm.company.get', 'crm.requisite.link.get', 'crm.requisite.list', 'crm.requisite.bankdetail.list', 'user.get']));

    expect(data.item?.TITLE).toBe('Годовое обслуживание — ООО «Логистик Плюс»');
    expect(data.contact?.ID).toBe('4');
    expect(data.company?.ID).toBe('6');
    expect(data.companyRequisite).toMatchObject({ ID: '6', ENTITY_ID: '6' });
    expect(data.companyBank).toMatchObject({ ENTITY_ID: '6' });
    expect(data.myCompany?.TITLE).toBe('ООО «Демо Подпись»');
    expect(data.myCompanyRequisite).toMatchObject({ ENTITY_ID: '13', RQ_COMPANY_NAME: 'ООО «Демо Подпись»' });
    expect(data.myCompanyBank?.ENTITY_ID).toBe('13');
    expect(data.responsible?.ID).toBe('6');
    expect(data.errors).toEqual({});
  });
});

describe('starter templates from emulator CRM data', () => {
  it.each(['ru', 'it', 'en'] as const)('the %s sales contract preview prints the deal, both companies, their requisites and the amount, after one REST request', async (lang) => {
    const app = createApp(services);
    const auth = { authorization: `Bearer ${await issueSession(services.config.sessionSecret, { portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang })}`, 'content-type': 'application/json' };
    const created = await app.request('/api/templates', { method: 'POST', headers: auth, body: JSON.stringify({ language: lang, source: { type: 'builtin', layout: 'sales-contract' } }) });
    const { template } = await created.json();
    const expected = await readCrmData(services.bitrix24.forPortal(portalId), { entityTypeId: 2, entityId: 1 });
    emu.control.clearCalls();
    const res = await app.request(`/api/templates/${template.id}/preview`, { method: 'POST', headers: auth, body: JSON.stringify({ crm: { entityTypeId: 2, entityId: 1 } }) });
    expect(res.status).toBe(200);
    expect(restCalls().map((c) => c.method)).toEqual(['batch']);
    const text = pdfText(new Uint8Array(await res.arrayBuffer()));
    expect(text).toContain('Годовое обслуживание — ООО «Логистик Плюс»');
    expect(text).toContain('Общество с ограниченной ответственностью «Демо Подпись»');
    // INNs of both requisites and our account from the MC_* bank details, as the emulator seeded them.
    for (const v of [expected.myCompanyRequisite?.RQ_INN, expected.companyRequisite?.RQ_INN, expected.myCompanyBank?.RQ_ACC_NUM, expected.companyBank?.RQ_BANK_NAME]) {
      expect(typeof v === 'string' && v.length > 3).toBe(true);
      expect(text).toContain(v);
    }
    const money = { ru: '2 222 000,00 ₽', it: '2.222.000,00 RUB', en: 'RUB 2,222,000.00' }[lang];
    expect(text).toContain(money);
  });
});

describe('document-generator PDFs', () => {
  it('are fetched by a job that waits for the conversion, then stored like an upload', async () => {
    expect(JOB_DEFINITIONS.map((d) => d.kind)).toContain('documents.docgen-pdf');
    const client = services.bitrix24.forPortal(portalId);
    const added = await client.call<{ document: { id: number; pdfUrl?: string } }>('crm.documentgenerator.document.add', { templateId: 1, entityTypeId: 2, entityId: 1 });
    expect(added.document.pdfUrl).toBeUndefined();
    const documentId = String(added.document.id);

    const row = await requestDocgenPdf(services.db, services.ids, { portalId, documentId, userId: 1, now: clock.now() });
    expect(row.status).toBe('pending');
    // Asking again joins the same row and job.
    expect((await requestDocgenPdf(services.db, services.ids, { portalId, documentId, now: clock.now() })).id).toBe(row.id);
    const queued = await services.db.select().from(jobs).where(eq(jobs.kind, 'documents.docgen-pdf'));
    expect(queued).toHaveLength(1);
    const payload = { portalId, fileId: row.id, documentId };
    const startedAt = clock.now();

    // Not converted yet: retry later, nothing stored.
    await expect(fetchDocgenPdf(services, payload, { startedAt })).rejects.toBeInstanceOf(JobRetryLater);
    clock.advance(20_000);
    await expect(fetchDocgenPdf(services, payload, { startedAt })).rejects.toBeInstanceOf(JobRetryLater);
    clock.advance(20_000);
    expect(await fetchDocgenPdf(services, payload, { startedAt })).toBe('ready');

    const [file] = await services.db.select().from(pdfFiles).where(eq(pdfFiles.id, row.id));
    expect(file).toMatchObject({ status: 'ready', origin: 'docgen', originRef: documentId });
    expect(file!.pageCount).toBeGreaterThanOrEqual(1);
    expect((await getPdfBytes(services, { portalId: file!.portalId, id: file!.id })).byteLength).toBe(file!.size);

    // A template on the docgen source renders onto that PDF.
    const app = createApp(services);
    const auth = { authorization: `Bearer ${await issueSession(services.config.sessionSecret, { portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'ru' })}`, 'content-type': 'application/json' };
    const { template } = await (
      await app.request('/api/templates', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'Договор поставки', kind: 'contract', language: 'ru', source: { type: 'docgen', templateId: '1' }, fields: [{ key: 'buyer', type: 'text', party: 'sender', binding: 'company.TITLE', page: 0, box: { x: 40, y: 40, w: 300, h: 18 } }] }),
      })
    ).json();
    const res = await app.request(`/api/templates/${template.id}/preview`, { method: 'POST', headers: auth, body: JSON.stringify({ crm: { entityTypeId: 2, entityId: 1 }, pdfFileId: row.id }) });
    expect(res.status).toBe(200);
    expect(pdfText(new Uint8Array(await res.arrayBuffer()))).toContain('ООО «Логистик Плюс»');
  });

  it('gives up with a clear error when Bitrix24 never converts, and can be asked again', async () => {
    const client = services.bitrix24.forPortal(portalId);
    const added = await client.call<{ document: { id: number } }>('crm.documentgenerator.document.add', { templateId: 2, entityTypeId: 2, entityId: 1 });
    const documentId = String(added.document.id);
    const row = await requestDocgenPdf(services.db, services.ids, { portalId, documentId, now: clock.now() });
    const startedAt = new Date(clock.now().getTime() - DOCGEN_MAX_WAIT_MS);
    // The emulator's conversion is not done (35 s) although our wait is already over.
    expect(await fetchDocgenPdf(services, { portalId, fileId: row.id, documentId }, { startedAt })).toBe('failed');
    const [file] = await services.db.select().from(pdfFiles).where(eq(pdfFiles.id, row.id));
    expect(file).toMatchObject({ status: 'failed', errorCode: 'DOCGEN_PDF_TIMEOUT' });
    const again = await requestDocgenPdf(services.db, services.ids, { portalId, documentId, now: new Date(clock.now().getTime() + 1) });
    expect(again).toMatchObject({ id: row.id, status: 'pending', error: null });

    expect(await fetchDocgenPdf(services, { portalId, fileId: row.id, documentId: '999999' }, { startedAt: clock.now() })).toBe('failed');
    const [missing] = await services.db.select().from(pdfFiles).where(eq(pdfFiles.id, row.id));
    expect(missing!.errorCode).toBe('DOCGEN_DOCUMENT_NOT_FOUND');
  });
});
