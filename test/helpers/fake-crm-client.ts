import type { BatchCommand, BatchResult, Bitrix24Client } from '../../src/bitrix24/types.js';

export type Row = Record<string, unknown>;

/**
 * A small in-memory portal behind the Bitrix24Client contract: it resolves `$result[...]` references
 * like Bitrix24 (an unresolvable one becomes an empty string) and counts calls, so the mapping and
 * the one-batch rule are tested without the emulator.
 */
export function fakeCrmClient(db: { deals: Row[]; contacts: Row[]; companies: Row[]; requisites: Row[]; banks: Row[]; links: Row[]; users: Row[]; dealContacts?: Row[] }) {
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

export const sampleCrm = () => ({
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
