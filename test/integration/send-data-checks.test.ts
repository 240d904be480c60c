import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { issueSession } from '../../src/http/session.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { storeEmulatedPortal } from '../helpers/emulated-portal.js';
import { createTestServices } from '../helpers/services.js';
import { client } from '../helpers/signing.js';

const APP = { clientId: 'local.b24sign.datachecks', clientSecret: 'emulator-datachecks-secret' };
const RECIPIENTS = [
  { party: 'company', name: 'Giulia Verdi', email: 'giulia@seller.example' },
  { party: 'client', name: 'Laura Bianchi', email: 'laura@cliente.example' },
];

/** Issue 18 item 1: data problems are caught before sending; prices read as each language writes them. */
describe('data checks before sending', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let emu: StartedEmulator;
  let portalId: string;
  let http: ReturnType<typeof client>;
  const bearer = (lang: 'en' | 'it' | 'ru' = 'en') => issueSession(services.config.sessionSecret, { portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang }, services.clock.now());

  beforeAll(async () => {
    emu = await startEmulator();
    services = await createTestServices({ env: { BITRIX24_CLIENT_ID: APP.clientId, BITRIX24_CLIENT_SECRET: APP.clientSecret } });
    portalId = await storeEmulatedPortal(services.db, await emu.control.createPortal({ app: APP }));
    http = client(services);
  });
  afterAll(async () => {
    emu.close();
    await services.testDb.close();
  });

  const envelopeCount = async () => (await services.db.select({ n: count() }).from(envelopes).where(eq(envelopes.portalId, portalId)))[0]!.n;
  const send = async (values: Record<string, string>, extra: Record<string, unknown> = {}) =>
    http.req('POST', '/api/envelopes', { bearer: await bearer(), body: { templateId: 'sales-contract', crm: { entityTypeId: 2, entityId: 2 }, lang: 'en', values, recipients: RECIPIENTS, send: true, ...extra } });
  const future = '2099-12-31';

  it('an empty required field blocks sending, names the field, and writes nothing', async () => {
    const before = await envelopeCount();
    const res = await send({ amount: '', delivery_date: future });
    expect(res.status).toBe(400);
    expect(res.data.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'amount', issues: [{ code: 'field_required', field: 'amount', label: 'Total price' }] } });
    expect(res.data.error.message).toContain('Total price');
    // Confirming warnings does not get past a missing field.
    expect((await send({ amount: '', delivery_date: future }, { confirmWarnings: true })).status).toBe(400);
    expect(await envelopeCount()).toBe(before);
  });

  it('a delivery date before the contract date and an amount of 0 are warnings: 422 with the list until confirmed', async () => {
    const before = await envelopeCount();
    const res = await send({ amount: '0 EUR', delivery_date: '2020-01-15' });
    expect(res.status).toBe(422);
    expect(res.data.error.code).toBe('DATA_WARNINGS');
    expect(res.data.error.details.warnings).toEqual([
      { code: 'amount_zero', field: 'amount', label: 'Total price' },
      { code: 'date_before_document_date', field: 'delivery_date', label: 'Delivery date', documentDateField: 'contract_date', documentDateLabel: 'Contract date' },
    ]);
    expect(await envelopeCount()).toBe(before);

    const confirmed = await send({ amount: '0 EUR', delivery_date: '2020-01-15' }, { confirmWarnings: true });
    expect(confirmed.status, JSON.stringify(confirmed.data)).toBe(201);
    expect(confirmed.data.envelope.status).toBe('sent');
    expect(await envelopeCount()).toBe(before + 1);
  });

  it('sound data is sent without any confirmation', async () => {
    const res = await send({ amount: '1500.00 EUR', delivery_date: future });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
  });

  it('the form shows the price as the language writes it (en/it/ru), the value staying canonical', async () => {
    const created = await http.req('POST', '/api/templates', { bearer: await bearer(), body: { language: 'en', source: { type: 'builtin', layout: 'sales-contract' } } });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const amountIn = async (lang: 'en' | 'it' | 'ru') => {
      const res = await http.req('POST', '/api/card/items/2/2/proposal', { bearer: await bearer(lang), body: { templateId: created.data.template.id } });
      expect(res.status, JSON.stringify(res.data)).toBe(200);
      return res.data.fields.find((f: { key: string }) => f.key === 'amount') as { value: string; display: string };
    };
    const [en, it, ru] = [await amountIn('en'), await amountIn('it'), await amountIn('ru')];
    const m = /^(\d+)\.(\d{2}) ([A-Z]{3})$/.exec(en.value);
    expect(m, en.value).not.toBeNull();
    expect(it.value).toBe(en.value);
    const [, int, cents, currency] = m!;
    // Thousands grouped and the decimal mark of each language; never the canonical "301000.00 RUB".
    const group = (sep: string) => int!.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
    const norm = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');
    expect(int!.length).toBeGreaterThan(3);
    expect(norm(en.display)).toContain(`${group(',')}.${cents}`);
    expect(norm(it.display)).toContain(`${group('.')},${cents}`);
    expect(norm(ru.display)).toContain(`${group(' ')},${cents}`);
    expect(currency).toBe('RUB');
    expect(norm(ru.display)).toMatch(/₽$/);
    for (const f of [en, it, ru]) expect(f.display).not.toBe(f.value);
  });
});
