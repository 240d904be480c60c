/**
 * Seed data for a new portal: the vendor's MIT sample portal (seed/dataset.json, from
 * bitrix-tools/b24-rest-docs `_assets/simulator/fixtures/dataset.json`) plus what it lacks and b24-sign
 * reads: a "my company", requisites, bank details, requisite links, deal contact bindings, document-
 * generator templates and documents. Everything derived is deterministic (same portal, same data).
 */
import dataset from './seed/dataset.json' with { type: 'json' };
import type { DocumentRecord, Portal, Row, TemplateRecord } from './types.js';

type SeedPart = Pick<
  Portal,
  'users' | 'departments' | 'admins' | 'deals' | 'leads' | 'contacts' | 'companies' | 'statuses' | 'categories' | 'requisites' | 'bankDetails' | 'dealContacts' | 'requisiteLinks' | 'myCompanyId' | 'templates' | 'documents'
>;

const clone = <T>(v: T): T => structuredClone(v);
const byId = (rows: Row[]) => new Map(rows.map((r) => [String(r.ID), clone(r)]));

/** Deterministic digits from a number, so INN/account numbers are stable and look plausible. */
function num(seed: number, len: number): string {
  let x = (seed * 2654435761) >>> 0;
  let out = '';
  while (out.length < len) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += String(x % 10);
  }
  return out;
}

const BANKS = [
  { RQ_BANK_NAME: 'ПАО Сбербанк', RQ_BIK: '044525225', RQ_COR_ACC_NUM: '30101810400000000225', RQ_SWIFT: 'SABRRUMM' },
  { RQ_BANK_NAME: 'АО «Альфа-Банк»', RQ_BIK: '044525593', RQ_COR_ACC_NUM: '30101810200000000593', RQ_SWIFT: 'ALFARUMM' },
  { RQ_BANK_NAME: 'Банк ВТБ (ПАО)', RQ_BIK: '044525187', RQ_COR_ACC_NUM: '30101810700000000187', RQ_SWIFT: 'VTBRRUMM' },
];

export const MY_COMPANY_ID = '13';

/**
 * The dataset's users name departments 1, 2 and 3 in UF_DEPARTMENT but the dataset has no department
 * records: a small tree in department.get's shape (b24restdocs api-reference/departments/department-get.md),
 * 1 the company, 2 under it, 3 under 2.
 */
const DEPARTMENTS: Row[] = [
  { ID: '1', NAME: 'Компания', SORT: 500, UF_HEAD: '1' },
  { ID: '2', NAME: 'Отдел продаж', SORT: 500, PARENT: '1', UF_HEAD: '9' },
  { ID: '3', NAME: 'Ключевые клиенты', SORT: 500, PARENT: '2', UF_HEAD: '1' },
];

export function seedPortal(nowMs: number): SeedPart {
  const e = dataset.entities;
  const users = e.users.map((u) => clone(u) as Row);
  const companies = byId(e.companies as Row[]);
  for (const c of companies.values()) c.IS_MY_COMPANY = 'N';
  companies.set(MY_COMPANY_ID, {
    ID: MY_COMPANY_ID, TITLE: 'ООО «Демо Подпись»', COMPANY_TYPE: 'OTHER', IS_MY_COMPANY: 'Y', INDUSTRY: 'IT', CURRENCY_ID: 'RUB',
    ADDRESS_CITY: 'Москва', OPENED: 'Y', ASSIGNED_BY_ID: '1', CREATED_BY_ID: '1',
    DATE_CREATE: '2024-11-25T09:00:00+03:00', DATE_MODIFY: '2026-08-01T09:00:00+03:00', HAS_PHONE: 'Y', HAS_EMAIL: 'Y',
    PHONE: [{ ID: '1099', VALUE: '+74950000013', VALUE_TYPE: 'WORK', TYPE_ID: 'PHONE' }],
    EMAIL: [{ ID: '2099', VALUE: 'office@demo-sign.example.com', VALUE_TYPE: 'WORK', TYPE_ID: 'EMAIL' }],
  });
  const contacts = byId(e.contacts as Row[]);
  const leads = byId(e.leads as Row[]);
  const deals = byId(e.deals as Row[]);

  const requisites = new Map<string, Row>();
  const bankDetails = new Map<string, Row>();
  for (const c of companies.values()) {
    const id = String(c.ID);
    const n = Number(id);
    const director = [...contacts.values()].find((p) => p.COMPANY_ID === id);
    const title = String(c.TITLE);
    requisites.set(id, {
      ID: id, ENTITY_TYPE_ID: '4', ENTITY_ID: id, PRESET_ID: '1', NAME: 'Организация', ACTIVE: 'Y', SORT: '500',
      DATE_CREATE: '2025-01-10T10:00:00+03:00', CREATED_BY_ID: '1', XML_ID: null, ORIGINATOR_ID: null,
      RQ_COMPANY_NAME: title,
      RQ_COMPANY_FULL_NAME: title.replace(/^ООО /, 'Общество с ограниченной ответственностью '),
      RQ_DIRECTOR: director ? `${director.LAST_NAME} ${director.NAME}` : 'Титов Анна',
      RQ_ACCOUNTANT: '', RQ_INN: `77${num(n, 8)}`, RQ_KPP: `77${num(n + 50, 2)}01001`, RQ_OGRN: `1027${num(n + 100, 9)}`,
      RQ_OKPO: num(n + 200, 8), RQ_EMAIL: (c.EMAIL as Row[] | undefined)?.[0]?.VALUE ?? '', RQ_PHONE: (c.PHONE as Row[] | undefined)?.[0]?.VALUE ?? '',
      RQ_VAT_PAYER: 'Y',
    });
    const bank = BANKS[n % BANKS.length]!;
    bankDetails.set(id, {
      ID: id, ENTITY_ID: id, COUNTRY_ID: '1', NAME: 'Расчётный счёт', ACTIVE: 'Y', SORT: '500', ...bank,
      RQ_BANK_ADDR: 'г. Москва', RQ_ACC_NUM: `40702810${num(n + 300, 12)}`, RQ_ACC_NAME: title, RQ_ACC_CURRENCY: 'RUB', RQ_IBAN: '',
      COMMENTS: '', DATE_CREATE: '2025-01-10T10:00:00+03:00', CREATED_BY_ID: '1', XML_ID: null, ORIGINATOR_ID: null,
    });
  }
  // Some contacts sign as private persons: a person requisite, no bank details.
  for (const p of contacts.values()) {
    const n = Number(p.ID);
    if (n % 5 !== 0) continue;
    const id = String(100 + n);
    requisites.set(id, {
      ID: id, ENTITY_TYPE_ID: '3', ENTITY_ID: String(p.ID), PRESET_ID: '2', NAME: 'Физ. лицо', ACTIVE: 'Y', SORT: '500',
      DATE_CREATE: '2025-02-01T10:00:00+03:00', CREATED_BY_ID: '1', XML_ID: null, ORIGINATOR_ID: null,
      RQ_FIRST_NAME: p.NAME, RQ_LAST_NAME: p.LAST_NAME, RQ_SECOND_NAME: p.SECOND_NAME ?? '', RQ_INN: num(n + 400, 12),
      RQ_IDENT_DOC: 'Паспорт', RQ_IDENT_DOC_SER: num(n + 500, 4), RQ_IDENT_DOC_NUM: num(n + 600, 6),
    });
  }

  const dealContacts: SeedPart['dealContacts'] = new Map();
  const requisiteLinks = new Map<string, Row>();
  for (const d of deals.values()) {
    const id = String(d.ID);
    const list: { CONTACT_ID: number; SORT: number; ROLE_ID: number; IS_PRIMARY: 'Y' | 'N' }[] = [];
    if (d.CONTACT_ID) list.push({ CONTACT_ID: Number(d.CONTACT_ID), SORT: 10, ROLE_ID: 0, IS_PRIMARY: 'Y' });
    const other = [...contacts.values()].find((p) => d.COMPANY_ID && p.COMPANY_ID === d.COMPANY_ID && String(p.ID) !== String(d.CONTACT_ID));
    if (other && Number(id) % 2 === 0) list.push({ CONTACT_ID: Number(other.ID), SORT: 20, ROLE_ID: 0, IS_PRIMARY: list.length ? 'N' : 'Y' });
    dealContacts.set(id, list);
    const companyReq = d.COMPANY_ID ? requisites.get(String(d.COMPANY_ID)) : undefined;
    requisiteLinks.set(`2:${id}`, {
      ENTITY_TYPE_ID: 2, ENTITY_ID: Number(id),
      REQUISITE_ID: companyReq ? String(companyReq.ID) : '0', BANK_DETAIL_ID: companyReq ? String(companyReq.ID) : '0',
      MC_REQUISITE_ID: MY_COMPANY_ID, MC_BANK_DETAIL_ID: MY_COMPANY_ID,
    });
  }

  const day = 86400_000;
  const templates = new Map<number, TemplateRecord>();
  const tpl = (id: number, name: string, entityTypeId: string[]) =>
    templates.set(id, { id, name, region: 'ru', code: '', active: 'Y', withStamps: 'Y', entityTypeId, numeratorId: '1', sort: 500, createdAt: nowMs - 400 * day });
  tpl(1, 'Договор поставки', ['2', '1', '3', '4']);
  tpl(2, 'Акт выполненных работ', ['2']);
  tpl(3, 'Счёт на оплату', ['2', '4']);

  const documents = new Map<number, DocumentRecord>();
  [2, 5, 8, 11, 14, 17].forEach((dealId, i) => {
    const id = i + 1;
    const templateId = (i % 3) + 1;
    documents.set(id, {
      id, title: `${templates.get(templateId)!.name} № ${1000 + id}`, number: String(1000 + id), templateId, entityTypeId: 2, entityId: dealId,
      createdAt: nowMs - (30 - i) * day, createdBy: '1', stampsEnabled: true, values: { _creationMethod: 'public' }, downloadToken: num(id + 700, 16),
    });
  });

  return {
    users, departments: DEPARTMENTS.map((d) => clone(d)), admins: new Set(['1']), deals, leads, contacts, companies, statuses: e.statuses.map((s) => clone(s) as Row),
    categories: e.categories.map((c) => clone(c) as Row), requisites, bankDetails, dealContacts, requisiteLinks, myCompanyId: MY_COMPANY_ID,
    templates, documents,
  };
}
