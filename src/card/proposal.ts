import type { CrmData, CrmRecord } from '../documents/crm-data.js';
import { reachedInPortal } from '../signing/recipient-reach.js';
import { valuesFromCrm } from '../documents/crm-data.js';
import { isMarkField, toCanonical, type FieldDef } from '../documents/fields.js';
import { followsCompanySigner, withCompanySigner } from '../documents/signer-binding.js';
import { formatValue } from '../documents/format.js';
import type { RecipientSlot } from '../db/schema/card-prefs.js';

/** Someone the card can propose as a recipient: the responsible user, a contact, the client company. */
export interface Person {
  key: string;
  kind: 'responsible' | 'contact' | 'company' | 'user';
  name: string;
  email: string | null;
  phone: string | null;
  b24UserId?: number;
  crmContactId?: number;
  /** Portal path of the CRM card where a missing e-mail can be added. */
  fixPath?: string;
  /**
   * An employee whose record came without an EMAIL field: the app's scope (user_brief) hides users'
   * e-mails; only user_basic or user shows them (b24restdocs api-reference/user/user-scope.md).
   */
  emailHidden?: boolean;
}

export interface ProposedRecipient {
  role: RecipientSlot['role'];
  party: RecipientSlot['party'];
  order: number;
  source: RecipientSlot['source'];
  personKey: string | null;
  name: string;
  email: string;
  phone?: string;
  b24UserId?: number;
  crmContactId?: number;
}

export interface ProposalField {
  key: string;
  label: string;
  type: FieldDef['type'];
  value: string;
  required: boolean;
  binding: string | null;
  /** Required, bound to CRM data, and the CRM had nothing. */
  missing: boolean;
  /** Where to fix it in the CRM (the item, its company, its contact). */
  fixPath: string | null;
  /** The value is the company signer's name: the form updates it when the signer changes (signer-binding.ts). */
  followsCompanySigner?: true;
  /** A price, number or date as the document prints it in the user's language (`301 000,00 ₽`); the value stays canonical. */
  display?: string;
}

export type Problem =
  | { code: 'field_missing'; key: string; label: string; fixPath: string | null }
  | { code: 'no_email'; index: number; name: string; fixPath: string | null; emailHidden?: boolean }
  | { code: 'no_client' }
  | { code: 'no_signer' };

export interface Proposal {
  people: Person[];
  recipients: ProposedRecipient[];
  fields: ProposalField[];
  problems: Problem[];
  /** Parts of the CRM read Bitrix24 refused (rights, deleted records): values may be blank because of it. */
  crmErrors: string[];
  itemTitle: string | null;
}

export interface DocgenDocument {
  id: number;
  title: string;
  number: string | null;
  createdAt: string | null;
  /** Bitrix24 has finished converting the document to PDF. */
  pdfReady: boolean;
  failed: boolean;
}

export interface PortalUser {
  id: number;
  name: string;
  email: string | null;
  position: string | null;
  /** The record had no EMAIL field at all: the app's scope hides it (see Person.emailHidden). */
  emailHidden?: boolean;
}

/** Bitrix24 leaves EMAIL out of user records entirely when the token's scope does not cover it. */
export const emailHiddenIn = (u: CrmRecord): boolean => !('EMAIL' in u);

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

export function personName(r: CrmRecord | null): string {
  if (!r) return '';
  const name = [r.NAME, r.SECOND_NAME, r.LAST_NAME].map(str).filter(Boolean).join(' ');
  return name || str(r.TITLE);
}

/** First value of a CRM multi-field (EMAIL, PHONE), preferring WORK, then MOBILE. */
export function multiValue(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() || null;
  if (!Array.isArray(v)) return null;
  const list = v.filter((x): x is { VALUE: string; VALUE_TYPE?: string } => !!x && typeof x === 'object' && typeof (x as { VALUE?: unknown }).VALUE === 'string' && (x as { VALUE: string }).VALUE !== '');
  return (list.find((x) => x.VALUE_TYPE === 'WORK') ?? list.find((x) => x.VALUE_TYPE === 'MOBILE') ?? list[0])?.VALUE ?? null;
}

/** Portal path of a CRM card (opened in the slider with the SDK's slider.openPath). */
export function crmPath(entityTypeId: number, id: number | string): string {
  const classic: Record<number, string> = { 1: 'lead', 2: 'deal', 3: 'contact', 4: 'company' };
  const name = classic[entityTypeId];
  return name ? `/crm/${name}/details/${id}/` : `/crm/type/${entityTypeId}/details/${id}/`;
}

export function peopleFrom(data: CrmData, extraContacts: CrmRecord[] = []): Person[] {
  const people: Person[] = [];
  const resp = data.responsible;
  if (resp && str(resp.ID)) {
    people.push({
      key: `user:${str(resp.ID)}`,
      kind: 'responsible',
      name: personName(resp),
      email: str(resp.EMAIL) || null,
      phone: str(resp.WORK_PHONE) || str(resp.PERSONAL_MOBILE) || null,
      b24UserId: Number(resp.ID),
      ...(emailHiddenIn(resp) ? { emailHidden: true } : {}),
    });
  }
  const contacts = new Map<string, CrmRecord>();
  if (data.contact && str(data.contact.ID)) contacts.set(str(data.contact.ID), data.contact);
  for (const c of extraContacts) if (str(c.ID) && !contacts.has(str(c.ID))) contacts.set(str(c.ID), c);
  // Keep the item's order of contacts (primary first), then any the item did not list.
  const ordered = [...data.contactIds.map(String).filter((id) => contacts.has(id)), ...[...contacts.keys()].filter((id) => !data.contactIds.map(String).includes(id))];
  for (const id of ordered) people.push(contactPerson(contacts.get(id)!));
  if (data.company && str(data.company.ID)) people.push(companyPerson(data.company));
  return people;
}

/** A CRM contact as a candidate recipient (from the card, or picked in Bitrix24's CRM picker). */
export function contactPerson(c: CrmRecord): Person {
  const id = str(c.ID);
  return { key: `contact:${id}`, kind: 'contact', name: personName(c), email: multiValue(c.EMAIL), phone: multiValue(c.PHONE), crmContactId: Number(id), fixPath: crmPath(3, id) };
}

/** A CRM company as a candidate recipient: its own e-mail signs for it. */
export function companyPerson(c: CrmRecord): Person {
  const id = str(c.ID);
  return { key: `company:${id}`, kind: 'company', name: str(c.TITLE), email: multiValue(c.EMAIL), phone: multiValue(c.PHONE), fixPath: crmPath(4, id) };
}

/** Bitrix24.Sign's order: our company signs first, then the client. */
export const DEFAULT_SLOTS: RecipientSlot[] = [
  { role: 'signer', party: 'company', order: 1, source: 'responsible' },
  { role: 'signer', party: 'client', order: 2, source: 'contact' },
];

function fromPerson(slot: RecipientSlot, p: Person | undefined): ProposedRecipient {
  return {
    role: slot.role,
    party: slot.party,
    order: slot.order,
    source: slot.source,
    personKey: p?.key ?? null,
    name: p?.name ?? slot.name ?? '',
    email: p?.email ?? slot.email ?? '',
    ...(p?.phone || slot.phone ? { phone: (p?.phone ?? slot.phone)! } : {}),
    ...(p?.b24UserId ? { b24UserId: p.b24UserId } : {}),
    ...(p?.crmContactId ? { crmContactId: p.crmContactId } : {}),
  };
}

/**
 * Recipients for this item from a set-up (the default, or the one remembered as "same as last time").
 * `users` resolves fixed portal users of `user` slots.
 */
export function proposeRecipients(people: Person[], slots: RecipientSlot[], users: PortalUser[] = []): ProposedRecipient[] {
  const out: ProposedRecipient[] = [];
  let contactIndex = 0;
  for (const slot of slots) {
    if (slot.source === 'responsible') out.push(fromPerson(slot, people.find((p) => p.kind === 'responsible')));
    else if (slot.source === 'contact') {
      // Successive contact slots take successive contacts; with none, the client company stands in.
      const contacts = people.filter((p) => p.kind === 'contact');
      const p = contacts[contactIndex++] ?? (contactIndex === 1 ? people.find((x) => x.kind === 'company') : undefined);
      if (p) out.push(fromPerson(slot, p));
    } else if (slot.source === 'user') {
      const u = users.find((x) => x.id === slot.userId);
      out.push(fromPerson(slot, u ? { key: `user:${u.id}`, kind: 'user', name: u.name, email: u.email, phone: null, b24UserId: u.id, ...(u.emailHidden ? { emailHidden: true } : {}) } : undefined));
    } else out.push(fromPerson(slot, undefined));
  }
  return out;
}

const FORMATTED = new Set<FieldDef['type']>(['money', 'number', 'date']);

/** Fields the sender sees before sending: everything that is not a mark made by a recipient. */
export function proposeFields(fields: readonly FieldDef[], data: CrmData, opts: { today: Date; lang?: 'en' | 'it' | 'ru'; recipients?: readonly ProposedRecipient[] }): ProposalField[] {
  const values = withCompanySigner(fields, valuesFromCrm(fields, data, opts), opts.recipients ?? []);
  const item = data.ref;
  return fields
    .filter((f) => !isMarkField(f.type) && (f.party === 'sender' || f.binding))
    .map((f) => {
      const canonical = toCanonical(f.type, values[f.key]) ?? f.defaultValue ?? '';
      const root = f.binding?.split('.')[0];
      const fixPath =
        root === 'contact' && data.contactIds[0] ? crmPath(3, data.contactIds[0])
        : root === 'company' && data.company?.ID ? crmPath(4, str(data.company.ID))
        : root === 'item' ? crmPath(item.entityTypeId, item.entityId)
        : null;
      return {
        key: f.key,
        label: f.label ?? f.key,
        type: f.type,
        value: canonical,
        required: f.required,
        binding: f.binding ?? null,
        missing: Boolean(f.required && f.binding && !canonical),
        fixPath,
        ...(followsCompanySigner(f.binding) ? { followsCompanySigner: true as const } : {}),
        ...(opts.lang && canonical && FORMATTED.has(f.type) ? { display: formatValue(f.type, canonical, opts.lang) } : {}),
      };
    });
}

export function findProblems(fields: ProposalField[], recipients: ProposedRecipient[], people: Person[]): Problem[] {
  const problems: Problem[] = [];
  for (const f of fields) if (f.missing) problems.push({ code: 'field_missing', key: f.key, label: f.label, fixPath: f.fixPath });
  if (!recipients.some((r) => r.role === 'signer')) problems.push({ code: 'no_signer' });
  if (!recipients.some((r) => r.party === 'client')) problems.push({ code: 'no_client' });
  recipients.forEach((r, index) => {
    const p = people.find((x) => x.key === r.personKey);
    // An employee without one signs inside Bitrix24; anyone else needs an e-mail for the code.
    if (!r.email && !reachedInPortal(r)) problems.push({ code: 'no_email', index, name: r.name, fixPath: p?.fixPath ?? null, ...(p?.emailHidden ? { emailHidden: true } : {}) });
  });
  return problems;
}
