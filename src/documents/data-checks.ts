import { isMarkField, toDate, toMoney, toNumber, type FieldDef, type FieldValues } from './fields.js';

/**
 * What is wrong with a document's data before it is sent. The new-document form lists these while
 * the sender types and the server checks the same list at send (from-template.ts), so the two never
 * disagree: a `missing` field blocks sending; a `warning` is sent only once the sender confirms it.
 */
export type DataIssue =
  | { code: 'field_required'; field: string; label: string }
  | { code: 'amount_zero'; field: string; label: string }
  | { code: 'date_before_document_date'; field: string; label: string; documentDateField: string; documentDateLabel: string };

export interface DataCheck {
  missing: DataIssue[];
  warnings: DataIssue[];
}

type CheckedField = Pick<FieldDef, 'key' | 'type' | 'party' | 'required' | 'binding'> & { label?: string };

const isEmpty = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && !v.trim());

/**
 * Checks the sender's fields (those printed when the document is made; recipients fill their own
 * later, on the signing page, where their required fields are enforced).
 * - a required field left empty is missing;
 * - a required amount of 0 is a warning (a price of nothing is possible, but rarely meant);
 * - a date before the document's own date (the date field filled with `today`: contract, invoice,
 *   NDA date) is a warning — a delivery or due date cannot usually come before the contract.
 */
export function checkDocumentData(fields: readonly CheckedField[], values: FieldValues): DataCheck {
  const own = fields.filter((f) => f.party === 'sender' && !isMarkField(f.type));
  const label = (f: CheckedField) => f.label ?? f.key;
  const missing: DataIssue[] = [];
  const warnings: DataIssue[] = [];
  for (const f of own) if (f.required && isEmpty(values[f.key])) missing.push({ code: 'field_required', field: f.key, label: label(f) });
  for (const f of own) {
    if (f.type !== 'money' || !f.required || isEmpty(values[f.key])) continue;
    const amount = toMoney(values[f.key])?.amount ?? toNumber(values[f.key]);
    if (amount === 0) warnings.push({ code: 'amount_zero', field: f.key, label: label(f) });
  }
  const docDate = own.find((f) => f.type === 'date' && f.binding?.split('|').includes('today'));
  const docDay = docDate ? toDate(values[docDate.key]) : null;
  if (docDate && docDay) {
    for (const f of own) {
      if (f === docDate || f.type !== 'date') continue;
      const day = toDate(values[f.key]);
      if (day && day < docDay) warnings.push({ code: 'date_before_document_date', field: f.key, label: label(f), documentDateField: docDate.key, documentDateLabel: label(docDate) });
    }
  }
  return { missing, warnings };
}
