import { z } from 'zod';

/**
 * Template fields: what a document asks for, who fills it, and where its value comes from.
 *
 * The shape matches the envelope's frozen `EnvelopeField` (src/db/schema/envelopes.ts) so a template's
 * fields can be copied into an envelope as they are, after rendering has fixed page and box for fields
 * that a built-in layout places itself.
 */
export const FIELD_TYPES = ['text', 'multiline', 'number', 'money', 'date', 'checkbox', 'signature', 'initials', 'stamp'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** company = our side (a Bitrix24 user signs), client = the customer's signer, sender = filled before sending. */
export const FIELD_PARTIES = ['company', 'client', 'sender'] as const;
export type FieldParty = (typeof FIELD_PARTIES)[number];

/** Fields whose value is a mark made by a person at signing time, never CRM data. */
export const MARK_TYPES: ReadonlySet<FieldType> = new Set(['signature', 'initials', 'stamp']);
export const isMarkField = (t: FieldType) => MARK_TYPES.has(t);

/**
 * CRM bindings are dotted paths into the data of one CRM item (read in one batch, see crm-data.ts):
 *
 * - `item.<FIELD>`                the item itself, UPPER_CASE REST names: TITLE, OPPORTUNITY, CURRENCY_ID,
 *                                 BEGINDATE, CLOSEDATE, UF_CRM_… (smart processes are mapped to the same names)
 * - `contact.<FIELD>`             the client contact; virtual FULL_NAME, EMAIL, PHONE (first values)
 * - `company.<FIELD>`             the client company; virtual EMAIL, PHONE
 * - `company.requisite.<RQ_…>`    the client's requisite chosen on the item (else the company's first)
 * - `company.bank.<RQ_…>`         its bank details
 * - `myCompany.<FIELD>`, `myCompany.requisite.<RQ_…>`, `myCompany.bank.<RQ_…>`   our side, via MC_* links
 * - `responsible.<FIELD>`         the item's responsible user; virtual FULL_NAME
 * - `companySigner.FULL_NAME`     the person who signs for our company (the envelope's company signer,
 *                                 set at send and when the form's signer changes; signer-binding.ts)
 * - `today`                       the date the document is rendered
 *
 * Alternatives: `a|b|c` takes the first path that has a value (requisites are often missing).
 * A money field bound to `item.OPPORTUNITY` takes its currency from `item.CURRENCY_ID` (any
 * `<X>` with a sibling `CURRENCY_ID` works the same way).
 */
const ONE_BINDING = String.raw`(?:today|companySigner\.FULL_NAME|(?:item|contact|company|myCompany|responsible)\.[A-Z][A-Z0-9_]*|(?:company|myCompany)\.(?:requisite|bank)\.[A-Z][A-Z0-9_]*)`;
/** One path, or alternatives separated by `|`: the first that has a value wins (`company.requisite.RQ_COMPANY_NAME|company.TITLE`). */
export const BINDING_PATTERN = new RegExp(`^${ONE_BINDING}(?:\\|${ONE_BINDING}){0,5}$`);

export const ZFieldBox = z.object({
  x: z.number().finite().min(0).max(14400),
  y: z.number().finite().min(0).max(14400),
  w: z.number().finite().positive().max(14400),
  h: z.number().finite().positive().max(14400),
});
export type FieldBox = z.infer<typeof ZFieldBox>;

export const ZFieldDef = z.object({
  /** Stable key; built-in layouts refer to it as `{{key}}`. */
  key: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and _; starts with a letter'),
  type: z.enum(FIELD_TYPES),
  label: z.string().max(200).optional(),
  party: z.enum(FIELD_PARTIES),
  required: z.boolean().default(false),
  binding: z.string().regex(BINDING_PATTERN, 'not a known CRM binding').optional(),
  /** Where the field sits on an uploaded PDF: 0-based page, box in points from the bottom-left corner of the page as displayed (/Rotate applied; page-space.ts). */
  page: z.number().int().min(0).max(9999).optional(),
  box: ZFieldBox.optional(),
  /** Preferred font size in points; rendering may shrink it to fit the box. */
  fontSize: z.number().min(4).max(72).optional(),
  /** A value used when neither CRM data nor the sender gives one (canonical string form, see below). */
  defaultValue: z.string().max(10_000).optional(),
});
export type FieldDef = z.infer<typeof ZFieldDef>;
/** What callers may send: `required` may be omitted. */
export type FieldDefInput = z.input<typeof ZFieldDef>;

export const ZFieldDefs = z
  .array(ZFieldDef)
  .max(500)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    fields.forEach((f, i) => {
      if (seen.has(f.key)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `duplicate key ${f.key}` });
      seen.add(f.key);
      if ((f.page === undefined) !== (f.box === undefined)) {
        ctx.addIssue({ code: 'custom', path: [i, 'box'], message: 'page and box go together' });
      }
      if (isMarkField(f.type) && f.party === 'sender') {
        ctx.addIssue({ code: 'custom', path: [i, 'party'], message: 'signatures, initials and stamps belong to company or client' });
      }
      if (isMarkField(f.type) && f.binding) {
        ctx.addIssue({ code: 'custom', path: [i, 'binding'], message: 'signatures, initials and stamps cannot be bound to CRM data' });
      }
    });
  });

export interface Money {
  amount: number;
  /** ISO 4217, e.g. EUR, RUB, USD. */
  currency: string;
}

/**
 * A field's value in memory. Stored values are strings in canonical form so that field_values stays
 * one text column: number `1234.5`, money `1234.50 EUR`, date `2026-11-27`, checkbox `true`/`false`.
 */
export type FieldValue = string | number | boolean | Date | Money | null | undefined;
export type FieldValues = Record<string, FieldValue>;

/**
 * Printed when the envelope is made rather than left for a recipient: the sender's fields, and on a
 * built-in layout any text it sets inline (without a page and box, nobody could fill it later).
 */
export const printedAtSend = (f: FieldDef, onLayout: boolean) => f.party === 'sender' || (onLayout && !isMarkField(f.type) && !(f.page !== undefined && f.box));

/** The values to render into the PDF at send time (see printedAtSend). */
export function valuesPrintedAtSend(fields: FieldDef[], values: FieldValues, onLayout: boolean): FieldValues {
  const out: FieldValues = {};
  for (const f of fields) if (printedAtSend(f, onLayout) && values[f.key] !== undefined) out[f.key] = values[f.key];
  return out;
}

/** The canonical string of a typed value (what goes into field_values.value). */
export function toCanonical(type: FieldType, v: FieldValue): string | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'number': {
      const n = toNumber(v);
      return n === null ? (typeof v === 'object' ? null : String(v)) : String(n);
    }
    case 'money': {
      const m = toMoney(v);
      return m ? `${m.amount.toFixed(2)} ${m.currency}` : typeof v === 'object' ? null : String(v);
    }
    case 'date': {
      const d = toDate(v);
      return d ? d.toISOString().slice(0, 10) : typeof v === 'object' ? null : String(v);
    }
    case 'checkbox':
      return toBool(v) ? 'true' : 'false';
    default:
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString().slice(0, 10);
      return typeof v === 'object' ? `${String(v.amount)} ${String(v.currency)}` : String(v);
  }
}

export function toNumber(v: FieldValue): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string') return null;
  const s = v.trim().replace(/\s/g, '');
  if (!/^[-+]?\d*\.?\d+(e[-+]?\d+)?$/i.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function toMoney(v: FieldValue, fallbackCurrency?: string): Money | null {
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const amount = toNumber(v.amount as never);
    return amount === null || !/^[A-Z]{3}$/.test(v.currency) ? null : { amount, currency: v.currency };
  }
  if (typeof v === 'number') return fallbackCurrency ? { amount: v, currency: fallbackCurrency } : null;
  if (typeof v !== 'string') return null;
  // "1234.50 EUR", "1234.50|EUR" (Bitrix24 money UF fields), or a bare amount with a fallback currency.
  const m = /^\s*([-+]?\d*\.?\d+)\s*[| ]\s*([A-Z]{3})\s*$/.exec(v);
  if (m) return { amount: Number(m[1]), currency: m[2]! };
  const n = toNumber(v);
  return n !== null && fallbackCurrency ? { amount: n, currency: fallbackCurrency } : null;
}

/** Dates from CRM come as ISO 8601 with an offset; the calendar day printed is the one in that offset. */
export function toDate(v: FieldValue): Date | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v;
  if (typeof v !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v.trim());
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return Number.isNaN(d.getTime()) ? null : d;
}

export function toBool(v: FieldValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return ['true', 'y', 'yes', '1', 'on', 'x'].includes(v.trim().toLowerCase());
  return false;
}
