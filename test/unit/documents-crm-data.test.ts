import { describe, expect, it } from 'vitest';
import { crmBatchCommands, readCrmData, resolveBinding, valuesFromCrm } from '../../src/documents/crm-data.js';
import type { FieldDef } from '../../src/documents/fields.js';
import { salesContract } from '../../src/documents/templates/starters/sales-contract.js';
import { fakeCrmClient as fakeClient, sampleCrm as seed } from '../helpers/fake-crm-client.js';

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
