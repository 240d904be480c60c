import { describe, expect, it } from 'vitest';
import type { BatchCommand, BatchResult, Bitrix24Client } from '../../src/bitrix24/types.js';
import { crmBatchCommands, readCrmData, resolveBinding, valuesFromCrm } from '../../src/documents/crm-data.js';
import type { FieldDef } from '../../src/documents/fields.js';
import { salesContract } from '../../src/documents/templates/starters/sales-contract.js';

type Row = Record<string, unknown>;

/**
 * A small in-memory portal behind the Bitrix24Client contract: it resolves `$result[...]` references
 * like Bitrix24 (an unresolvable one becomes an empty string) and counts calls, so the mapping and
 * the one-batch rule are tested without the emulator.
 */
function fakeClient(db: { deals: Row[]; contacts: Row[]; companies: Row[]; requisites: Row[]; banks: Row[]; links: Row[]; users: Row[]; dealContacts?: Row[] }) {
  const calls: string[] = [];
  const matches = (row: Row, filter: Row = {}) =>
    Object.entries(filter).every(([k, v]) => (v === '' ? true /* an empty filter value matches everything, as on a real portal */ : String(row[k]) === String(v)));
  const byId = (rows: Row[], id: unknown) => {
    const r = rows.find((x) => String(x.ID) === String(id));
    if (!r) throw Object.assign(new Error('Not found'), { b24: { error: '', error_description: 'Not found' } });
    return r;
  };
  const run = (method: string, p: Row): unknown => {
    switch (method) {
      case 'crm.deal.get':
        return byId(db.deals, p.id);
      case 'crm.contact.get':
        return byId(db.contacts, p.id);
      case 'crm.company.get':
        return byId(db.companies, p.id);
      case 'crm.company.list':
        return db.companies.filter((c) => matches(c, p.filter as Row));
      case 'crm.deal.contact.items.get':
        return (db.dealContacts ?? []).filter((x) => String(x.DEAL_ID) === String(p.id));
      case 'crm.requisite.link.get': {
        const l = db.links.find((x) => String(x.ENTITY_ID) === String(p.entityId));
        if (!l) throw Object.assign(new Error('x'), { b24: { error: 'NOT_FOUND', error_description: 'link' } });
        return l;
      }
      case 'crm.requisite.list':
        return db.requisites.filter((r) => matches(r, p.filter as Row));
      case 'crm.requisite.bankdetail.list':
        return db.banks.filter((r) => matches(r, p.filter as Row));
      case 'user.get':
        return db.users.filter((u) => matches(u, { ID: p.ID }));
      default:
        throw Object.assign(new Error('x'), { b24: { error: 'ERROR_METHOD_NOT_FOUND', error_description: method } });
    }
  };
  const resolve = (v: unknown, results: Record<string, unknown>): unknown => {
    if (typeof v === 'string' && v.startsWith('$result[')) {
      const path = [...v.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!);
      let cur: unknown = results;
      for (const k of path) cur = cur && typeof cur === 'object' ? (cur as Row)[k] : undefined;
      return cur === undefined || cur === null ? '' : cur;
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, results)]));
    return v;
  };
  const client: Bitrix24Client = {
    portalId: 'prt_test',
    async call() {
      calls.push('call');
      throw new Error('readCrmData must not make single calls');
    },
    async callRaw() {
      calls.push('callRaw');
      throw new Error('no');
    },
    async listAll() {
      calls.push('listAll');
      throw new Error('no');
    },
    async batch(commands: Record<string, BatchCommand>): Promise<BatchResult> {
      calls.push(`batch:${Object.keys(commands).length}`);
      const result: Record<string, unknown> = {};
      const errors: BatchResult['errors'] = {};
      for (const [key, [method, params]] of Object.entries(commands)) {
        try {
          result[key] = run(method, resolve(params ?? {}, result) as Row);
        } catch (e) {
          errors[key] = (e as { b24?: { error: string; error_description: string } }).b24 ?? { error: 'ERR', error_description: String(e) };
        }
      }
      return { result, errors, total: {}, next: {} };
    },
  };
  return { client, calls };
}

const seed = () => ({
  deals: [
    { ID: '7', TITLE: 'Поставка оборудования', OPPORTUNITY: '2222000.00', CURRENCY_ID: 'RUB', TAX_VALUE: '444400.00', COMPANY_ID: '6', CONTACT_ID: '4', ASSIGNED_BY_ID: '3', CLOSEDATE: '2026-04-25T00:00:00+03:00' },
    { ID: '8', TITLE: 'Без компании', OPPORTUNITY: '10.00', CURRENCY_ID: 'EUR', COMPANY_ID: '0', CONTACT_ID: '', ASSIGNED_BY_ID: '99' },
  ],
  contacts: [{ ID: '4', NAME: 'Анна', SECOND_NAME: '', LAST_NAME: 'Медведева', PHONE: [{ VALUE: '+7900', VALUE_TYPE: 'MOBILE' }], EMAIL: [{ VALUE: 'home@x', VALUE_TYPE: 'HOME' }, { VALUE: 'work@x', VALUE_TYPE: 'WORK' }] }],
  companies: [
    { ID: '6', TITLE: 'ООО «Логистик Плюс»', IS_MY_COMPANY: 'N', ADDRESS_CITY: 'Казань' },
    { ID: '100', TITLE: 'ООО «Демо Подпись»', IS_MY_COMPANY: 'Y', ADDRESS_CITY: 'Москва' },
  ],
  requisites: [
    { ID: '60', ENTITY_TYPE_ID: '4', ENTITY_ID: '6', RQ_COMPANY_NAME: 'Логистик Плюс', RQ_INN: '1655000000' },
    { ID: '61', ENTITY_TYPE_ID: '4', ENTITY_ID: '6', RQ_COMPANY_NAME: 'Логистик Плюс (второй)', RQ_INN: '1655000001' },
    { ID: '2', ENTITY_TYPE_ID: '4', ENTITY_ID: '100', RQ_COMPANY_NAME: 'Демо Подпись', RQ_INN: '7700000000', RQ_DIRECTOR: 'Титов А. А.' },
  ],
  banks: [
    { ID: '24', ENTITY_ID: '61', RQ_BANK_NAME: 'Банк Клиента', RQ_ACC_NUM: '40702810000000000061' },
    { ID: '5', ENTITY_ID: '2', RQ_BANK_NAME: 'Наш Банк', RQ_ACC_NUM: '40702810000000000002', RQ_ACC_CURRENCY: 'RUB' },
  ],
  links: [{ ENTITY_TYPE_ID: 2, ENTITY_ID: 7, REQUISITE_ID: '61', BANK_DETAIL_ID: '0', MC_REQUISITE_ID: '2', MC_BANK_DETAIL_ID: '5' }],
  users: [{ ID: '3', NAME: 'Пётр', LAST_NAME: 'Иванов', WORK_POSITION: 'Менеджер' }],
  dealContacts: [{ DEAL_ID: '7', CONTACT_ID: 9, IS_PRIMARY: 'N' }, { DEAL_ID: '7', CONTACT_ID: 4, IS_PRIMARY: 'Y' }],
});

describe('readCrmData', () => {
  it('reads item, contact, company, linked requisites and bank details, my company and the responsible user in one batch', async () => {
    const { client, calls } = fakeClient(seed());
    const d = await readCrmData(client, { entityTypeId: 2, entityId: 7 });
    expect(calls).toEqual([`batch:${Object.keys(crmBatchCommands({ entityTypeId: 2, entityId: 7 })).length}`]);
    expect(d.item?.TITLE).toBe('Поставка оборудования');
    expect(d.contactIds).toEqual([4, 9]);
    expect(d.contact?.LAST_NAME).toBe('Медведева');
    expect(d.company?.TITLE).toBe('ООО «Логистик Плюс»');
    // The link chose requisite 61 (not the company's first, 60); its bank comes from the requisite.
    expect(d.companyRequisite?.ID).toBe('61');
    expect(d.companyBank?.ID).toBe('24');
    expect(d.myCompanyRequisite?.ID).toBe('2');
    expect(d.myCompanyBank?.ID).toBe('5');
    expect(d.myCompany?.TITLE).toBe('ООО «Демо Подпись»');
    expect(d.responsible?.LAST_NAME).toBe('Иванов');
  });

  it('never takes rows an empty reference matched: a deal without company, contact or link gets blanks, not strangers', async () => {
    const { client } = fakeClient(seed());
    const d = await readCrmData(client, { entityTypeId: 2, entityId: 8 });
    expect(d.item?.TITLE).toBe('Без компании');
    expect(d.contact).toBeNull();
    expect(d.company).toBeNull();
    // With no link, filter {ID: ''} matched every requisite in the fake; none may be used.
    expect(d.companyRequisite).toBeNull();
    expect(d.companyBank).toBeNull();
    expect(d.responsible).toBeNull();
    // My company falls back to the IS_MY_COMPANY company and its first requisite.
    expect(d.myCompany?.ID).toBe('100');
    expect(d.myCompanyRequisite?.ID).toBe('2');
    expect(d.myCompanyBank?.ID).toBe('5');
    expect(Object.keys(d.errors)).toContain('link');
  });

  it('maps bindings to typed values: money with its currency, dates, virtual names and first multi-field values', async () => {
    const { client } = fakeClient(seed());
    const d = await readCrmData(client, { entityTypeId: 2, entityId: 7 });
    const today = new Date('2026-11-27T00:00:00Z');
    expect(resolveBinding(d, 'contact.FULL_NAME', today).value).toBe('Анна Медведева');
    expect(resolveBinding(d, 'contact.EMAIL', today).value).toBe('work@x');
    expect(resolveBinding(d, 'contact.PHONE', today).value).toBe('+7900');
    expect(resolveBinding(d, 'company.requisite.RQ_VAT_ID|company.requisite.RQ_INN', today).value).toBe('1655000001');
    const fields: FieldDef[] = [
      { key: 'amount', type: 'money', party: 'sender', required: true, binding: 'item.OPPORTUNITY' },
      { key: 'due', type: 'date', party: 'sender', required: false, binding: 'item.CLOSEDATE' },
      { key: 'when', type: 'date', party: 'sender', required: false, binding: 'today' },
      { key: 'nothing', type: 'text', party: 'sender', required: false, binding: 'item.UF_CRM_MISSING' },
    ];
    const v = valuesFromCrm(fields, d, { today });
    expect(v.amount).toEqual({ amount: 2222000, currency: 'RUB' });
    expect(v.due).toBe('2026-04-25T00:00:00+03:00');
    expect(v.when).toEqual(today);
    expect('nothing' in v).toBe(false);
  });

  it('fills the sales contract starter from CRM data', async () => {
    const { client } = fakeClient(seed());
    const d = await readCrmData(client, { entityTypeId: 2, entityId: 7 });
    const v = valuesFromCrm(salesContract('ru').fields, d, { today: new Date('2026-11-27T00:00:00Z') });
    expect(v).toMatchObject({
      contract_number: '7',
      seller_name: 'Демо Подпись',
      seller_tax_id: '7700000000',
      seller_signatory: 'Титов А. А.',
      seller_bank: 'Наш Банк',
      buyer_name: 'Логистик Плюс (второй)',
      buyer_signatory: 'Анна Медведева',
      buyer_email: 'work@x',
      city: 'Москва',
      subject: 'Поставка оборудования',
    });
  });
});
