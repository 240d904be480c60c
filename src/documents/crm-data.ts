import type { Lang } from '../i18n/index.js';
import { Bitrix24Error, type BatchCommand, type BatchResult, type Bitrix24Client } from '../bitrix24/types.js';
import { toMoney, type FieldDef, type FieldValue, type FieldValues } from './fields.js';

/**
 * Everything a document may print about one CRM item, read in ONE `batch` call (DESIGN §5: 2 req/s per
 * portal, so a document never costs more than one request). Later commands reach earlier results
 * through `$result[key][FIELD]` references; every reference is checked again after the batch, because
 * Bitrix24 may leave an unresolved reference empty, and an empty list filter matches everything.
 */
export type CrmRecord = Record<string, unknown>;

export interface CrmRef {
  /** 1 lead, 2 deal, 3 contact, 4 company, 7 quote, 31 smart invoice, ≥128 smart processes. */
  entityTypeId: number;
  entityId: number;
}

export interface CrmData {
  ref: CrmRef;
  item: CrmRecord | null;
  /** Contact ids bound to the item (deals: all of them, primary first). */
  contactIds: number[];
  contact: CrmRecord | null;
  company: CrmRecord | null;
  companyRequisite: CrmRecord | null;
  companyBank: CrmRecord | null;
  myCompany: CrmRecord | null;
  myCompanyRequisite: CrmRecord | null;
  myCompanyBank: CrmRecord | null;
  responsible: CrmRecord | null;
  /** Commands Bitrix24 refused (key → error), so the sender can be told why a value is blank. */
  errors: Record<string, string>;
}

const CLASSIC_GET: Record<number, string> = { 1: 'crm.lead.get', 2: 'crm.deal.get', 3: 'crm.contact.get', 4: 'crm.company.get' };
/** Entity types `crm.requisite.link.get` knows (deal, old invoice, quote, smart invoice, smart processes). */
const hasRequisiteLink = (t: number) => t === 2 || t === 5 || t === 7 || t === 31 || t >= 128;

/** Reference to a field of the item as the batch returns it: flat for classic getters, nested for crm.item.get. */
function itemRef(ref: CrmRef, field: string): string {
  return CLASSIC_GET[ref.entityTypeId] ? `$result[item][${field}]` : `$result[item][item][${camelOf(field)}]`;
}

/** UPPER_SNAKE → crm.item camelCase (COMPANY_ID → companyId, ASSIGNED_BY_ID → assignedById). */
function camelOf(field: string): string {
  return field.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** crm.item camelCase → the classic UPPER_SNAKE names bindings use; UF fields arrive original with useOriginalUfNames. */
function upperOf(field: string): string {
  if (/^UF_/.test(field)) return field;
  return field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The commands of the one batch, in dependency order. Exported for tests and the emulator's call log. */
export function crmBatchCommands(ref: CrmRef): Record<string, BatchCommand> {
  const { entityTypeId: t, entityId: id } = ref;
  const cmd: Record<string, BatchCommand> = {};
  cmd.item = CLASSIC_GET[t] ? [CLASSIC_GET[t], { id }] : ['crm.item.get', { entityTypeId: t, id, useOriginalUfNames: 'Y' }];
  if (t === 2) cmd.contactItems = ['crm.deal.contact.items.get', { id }];
  if (t !== 3) cmd.contact = ['crm.contact.get', { id: itemRef(ref, 'CONTACT_ID') }];
  if (t !== 4) cmd.company = ['crm.company.get', { id: itemRef(ref, 'COMPANY_ID') }];

  // The client's requisites: the one chosen on the item (link), else the first of the company (or of
  // the contact/company when the item is one).
  const clientOwner: [number, string | number] = t === 4 ? [4, id] : t === 3 ? [3, id] : [4, itemRef(ref, 'COMPANY_ID')];
  if (hasRequisiteLink(t)) {
    cmd.link = ['crm.requisite.link.get', { entityTypeId: t, entityId: id }];
    cmd.linkedRequisite = ['crm.requisite.list', { filter: { ID: '$result[link][REQUISITE_ID]' } }];
    cmd.linkedBank = ['crm.requisite.bankdetail.list', { filter: { ID: '$result[link][BANK_DETAIL_ID]' } }];
    cmd.linkedRequisiteBanks = ['crm.requisite.bankdetail.list', { filter: { ENTITY_ID: '$result[link][REQUISITE_ID]' }, order: { SORT: 'ASC', ID: 'ASC' } }];
    cmd.mcRequisite = ['crm.requisite.list', { filter: { ID: '$result[link][MC_REQUISITE_ID]' } }];
    cmd.mcBank = ['crm.requisite.bankdetail.list', { filter: { ID: '$result[link][MC_BANK_DETAIL_ID]' } }];
    cmd.mcRequisiteBanks = ['crm.requisite.bankdetail.list', { filter: { ENTITY_ID: '$result[link][MC_REQUISITE_ID]' }, order: { SORT: 'ASC', ID: 'ASC' } }];
    cmd.myCompany = ['crm.company.get', { id: '$result[mcRequisite][0][ENTITY_ID]' }];
  }
  cmd.clientRequisites = ['crm.requisite.list', { filter: { ENTITY_TYPE_ID: clientOwner[0], ENTITY_ID: clientOwner[1] }, order: { SORT: 'ASC', ID: 'ASC' } }];
  cmd.clientRequisiteBanks = ['crm.requisite.bankdetail.list', { filter: { ENTITY_ID: '$result[clientRequisites][0][ID]' }, order: { SORT: 'ASC', ID: 'ASC' } }];
  // "My company" when the item names none: the portal's first company flagged IS_MY_COMPANY.
  cmd.myCompanies = ['crm.company.list', { filter: { IS_MY_COMPANY: 'Y' }, order: { ID: 'ASC' }, select: ['*', 'PHONE', 'EMAIL'] }];
  cmd.myCompanyRequisites = ['crm.requisite.list', { filter: { ENTITY_TYPE_ID: 4, ENTITY_ID: '$result[myCompanies][0][ID]' }, order: { SORT: 'ASC', ID: 'ASC' } }];
  cmd.myCompanyRequisiteBanks = ['crm.requisite.bankdetail.list', { filter: { ENTITY_ID: '$result[myCompanyRequisites][0][ID]' }, order: { SORT: 'ASC', ID: 'ASC' } }];
  cmd.responsible = ['user.get', { ID: itemRef(ref, 'ASSIGNED_BY_ID') }];
  return cmd;
}

/**
 * Bitrix24 refused the item itself to this reader: outside their CRM rights (crm.deal.get & co.
 * "Access denied", crm.item.get ACCESS_DENIED — b24restdocs api-reference/crm/deals/crm-deal-get.md,
 * api-reference/crm/universal/crm-item-get.md) or gone ("Not found"). Either way it is a 404 for them.
 */
export function itemUnreadable(data: Pick<CrmData, 'errors'>): boolean {
  return /^(ACCESS_DENIED|NOT_FOUND)\b/.test(data.errors.item ?? '');
}

/** One read of the item alone with the reader's client: false when Bitrix24 refuses it to them. */
export async function canReadItem(client: Bitrix24Client, ref: CrmRef): Promise<boolean> {
  const [method, params] = crmBatchCommands(ref).item!;
  try {
    await client.call(method, params);
    return true;
  } catch (e) {
    if (e instanceof Bitrix24Error && (e.code === 'ACCESS_DENIED' || e.code === 'NOT_FOUND')) return false;
    throw e;
  }
}

/** Reads all CRM data of one item with exactly one client.batch call (≤ 50 commands, so one chunk). */
export async function readCrmData(client: Bitrix24Client, ref: CrmRef): Promise<CrmData> {
  const res = await client.batch(crmBatchCommands(ref), { halt: false });
  return mapCrmBatch(ref, res);
}

const asRecord = (v: unknown): CrmRecord | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as CrmRecord) : null);
const rows = (v: unknown): CrmRecord[] => {
  if (Array.isArray(v)) return v.filter((r): r is CrmRecord => asRecord(r) !== null);
  const r = asRecord(v);
  if (r && Array.isArray(r.items)) return rows(r.items);
  return [];
};
const idOf = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const positiveId = (v: unknown): string | null => (/^[1-9]\d*$/.test(idOf(v)) ? idOf(v) : null);

/** crm.item.get answers camelCase with `fm` multi-fields; turn it into the classic shape bindings use. */
function normaliseItem(v: unknown): CrmRecord | null {
  const r = asRecord(v);
  if (!r) return null;
  const inner = asRecord(r.item);
  if (!inner) return r; // classic getter: already UPPER_CASE
  const out: CrmRecord = {};
  for (const [k, val] of Object.entries(inner)) {
    if (k === 'fm' && Array.isArray(val)) {
      for (const m of val) {
        const mr = asRecord(m);
        if (!mr) continue;
        const type = String(mr.typeId ?? '');
        ((out[type] ??= []) as unknown[]).push({ VALUE: mr.value, VALUE_TYPE: mr.valueType, TYPE_ID: type });
      }
      continue;
    }
    out[upperOf(k)] = val;
  }
  return out;
}

export function mapCrmBatch(ref: CrmRef, res: BatchResult): CrmData {
  const r = res.result;
  const errors: Record<string, string> = {};
  for (const [k, e] of Object.entries(res.errors ?? {})) errors[k] = `${e.error || 'ERROR'}: ${e.error_description ?? ''}`.trim();

  const item = normaliseItem(r.item);
  const t = ref.entityTypeId;

  const contactIds: number[] = [];
  const items = rows(r.contactItems).slice().sort((a, b) => (b.IS_PRIMARY === 'Y' ? 1 : 0) - (a.IS_PRIMARY === 'Y' ? 1 : 0));
  for (const ci of items) {
    const cid = Number(ci.CONTACT_ID);
    if (Number.isInteger(cid) && cid > 0) contactIds.push(cid);
  }
  const expectContactId = t === 3 ? String(ref.entityId) : positiveId(item?.CONTACT_ID);
  if (contactIds.length === 0 && expectContactId) contactIds.push(Number(expectContactId));
  const contactRec = t === 3 ? item : asRecord(r.contact);
  const contact = contactRec && expectContactId && idOf(contactRec.ID) === expectContactId ? contactRec : null;

  const companyId = t === 4 ? String(ref.entityId) : positiveId(item?.COMPANY_ID);
  const companyRec = t === 4 ? item : asRecord(r.company);
  const company = companyRec && companyId && idOf(companyRec.ID) === companyId ? companyRec : null;

  const link = asRecord(r.link);
  const linkedRqId = positiveId(link?.REQUISITE_ID);
  const linkedBankId = positiveId(link?.BANK_DETAIL_ID);
  const mcRqId = positiveId(link?.MC_REQUISITE_ID);
  const mcBankId = positiveId(link?.MC_BANK_DETAIL_ID);

  const byId = (list: unknown, id: string | null) => (id ? (rows(list).find((x) => idOf(x.ID) === id) ?? null) : null);
  const firstOwnedBy = (list: unknown, owner: string | null, ownerType?: number) =>
    owner
      ? (rows(list).find((x) => idOf(x.ENTITY_ID) === owner && (ownerType === undefined || idOf(x.ENTITY_TYPE_ID) === String(ownerType))) ?? null)
      : null;

  // Client requisite + bank: the linked pair if the item has one, else the owner's first.
  const clientOwnerType = t === 3 ? 3 : 4;
  const clientOwnerId = t === 3 ? String(ref.entityId) : companyId;
  let companyRequisite = byId(r.linkedRequisite, linkedRqId);
  let companyBank: CrmRecord | null = null;
  if (companyRequisite) {
    companyBank = byId(r.linkedBank, linkedBankId) ?? firstOwnedBy(r.linkedRequisiteBanks, linkedRqId);
  } else {
    companyRequisite = firstOwnedBy(r.clientRequisites, clientOwnerId, clientOwnerType);
    companyBank = companyRequisite ? firstOwnedBy(r.clientRequisiteBanks, idOf(companyRequisite.ID)) : null;
  }

  // My company: from the MC_* link, else the first IS_MY_COMPANY company.
  let myCompanyRequisite = byId(r.mcRequisite, mcRqId);
  let myCompanyBank: CrmRecord | null = null;
  let myCompany: CrmRecord | null = null;
  if (myCompanyRequisite) {
    myCompanyBank = byId(r.mcBank, mcBankId) ?? firstOwnedBy(r.mcRequisiteBanks, mcRqId);
    const mc = asRecord(r.myCompany);
    myCompany = mc && idOf(mc.ID) === idOf(myCompanyRequisite.ENTITY_ID) ? mc : null;
  } else {
    myCompany = rows(r.myCompanies).find((c) => c.IS_MY_COMPANY === 'Y' || c.IS_MY_COMPANY === undefined) ?? null;
    const mcId = myCompany ? idOf(myCompany.ID) : null;
    myCompanyRequisite = firstOwnedBy(r.myCompanyRequisites, mcId, 4);
    myCompanyBank = myCompanyRequisite ? firstOwnedBy(r.myCompanyRequisiteBanks, idOf(myCompanyRequisite.ID)) : null;
  }

  const responsibleId = positiveId(item?.ASSIGNED_BY_ID);
  const responsible = rows(r.responsible).find((u) => idOf(u.ID) === responsibleId) ?? null;

  return { ref, item, contactIds, contact, company, companyRequisite, companyBank, myCompany, myCompanyRequisite, myCompanyBank, responsible, errors };
}

/** First value of a multi-field (PHONE, EMAIL), preferring WORK, then MOBILE. */
function firstMulti(v: unknown): string | undefined {
  if (!Array.isArray(v)) return typeof v === 'string' && v ? v : undefined;
  const list = v.map(asRecord).filter((x): x is CrmRecord => !!x && typeof x.VALUE === 'string' && x.VALUE !== '');
  const pick = list.find((x) => x.VALUE_TYPE === 'WORK') ?? list.find((x) => x.VALUE_TYPE === 'MOBILE') ?? list[0];
  return pick?.VALUE as string | undefined;
}

function fullName(r: CrmRecord): string | undefined {
  const name = [r.NAME, r.SECOND_NAME, r.LAST_NAME].filter((p) => typeof p === 'string' && p.trim()).join(' ');
  return name || undefined;
}

function fieldOf(rec: CrmRecord | null, field: string): unknown {
  if (!rec) return undefined;
  if (field === 'FULL_NAME') return fullName(rec);
  if (field === 'EMAIL' || field === 'PHONE') return firstMulti(rec[field]);
  if (field === 'TITLE' && rec.TITLE === undefined) return fullName(rec);
  return rec[field];
}

/** The raw value behind a binding path, plus the currency that goes with it (for money). */
export function resolveBinding(data: CrmData, binding: string, today: Date): { value: unknown; currency?: string } {
  for (const path of binding.split('|')) {
    const r = resolvePath(data, path, today);
    if (r.value !== undefined && r.value !== null && r.value !== '') return r;
  }
  return { value: undefined };
}

function resolvePath(data: CrmData, binding: string, today: Date): { value: unknown; currency?: string } {
  if (binding === 'today') return { value: today };
  const parts = binding.split('.');
  const [root, a, b] = parts as [string, string, string | undefined];
  let rec: CrmRecord | null = null;
  let field = a;
  if (b !== undefined) {
    field = b;
    if (root === 'company') rec = a === 'requisite' ? data.companyRequisite : data.companyBank;
    else if (root === 'myCompany') rec = a === 'requisite' ? data.myCompanyRequisite : data.myCompanyBank;
  } else {
    rec = { item: data.item, contact: data.contact, company: data.company, myCompany: data.myCompany, responsible: data.responsible }[root] ?? null;
  }
  const value = fieldOf(rec, field);
  const currency = typeof rec?.CURRENCY_ID === 'string' && rec.CURRENCY_ID ? rec.CURRENCY_ID : typeof rec?.RQ_ACC_CURRENCY === 'string' ? rec.RQ_ACC_CURRENCY : undefined;
  return { value, currency };
}

/** Values for every CRM-bound field; fields without a binding (or with no data) are left out. */
export function valuesFromCrm(fields: readonly FieldDef[], data: CrmData, opts: { today: Date; lang?: Lang }): FieldValues {
  const out: FieldValues = {};
  for (const f of fields) {
    if (!f.binding) continue;
    const { value, currency } = resolveBinding(data, f.binding, opts.today);
    if (value === undefined || value === null || value === '') continue;
    let v: FieldValue;
    if (f.type === 'money') v = toMoney(value as FieldValue, currency) ?? String(value);
    else if (f.type === 'checkbox') v = value === 'Y' || value === true || value === '1';
    else if (value instanceof Date || typeof value === 'number' || typeof value === 'boolean') v = value;
    else if (typeof value === 'string') v = value;
    else if (Array.isArray(value)) v = value.map((x) => (asRecord(x)?.VALUE as string | undefined) ?? String(x)).join(', ');
    else continue;
    out[f.key] = v;
  }
  return out;
}
