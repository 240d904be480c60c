import { describe, expect, it } from 'vitest';
import { checkDocumentData } from '../../src/documents/data-checks.js';
import { companySignerName, followsCompanySigner } from '../../src/documents/signer-binding.js';
import { stampNeed } from '../../src/signing/stamp-rule.js';

const FIELDS = [
  { key: 'contract_date', type: 'date', party: 'sender', required: true, binding: 'today', label: 'Contract date' },
  { key: 'delivery_date', type: 'date', party: 'sender', required: false, binding: 'item.CLOSEDATE', label: 'Delivery date' },
  { key: 'amount', type: 'money', party: 'sender', required: true, binding: 'item.OPPORTUNITY', label: 'Total' },
  { key: 'tax', type: 'money', party: 'sender', required: false, label: 'VAT' },
  { key: 'client_vat', type: 'text', party: 'client', required: true, label: 'Client VAT' },
] as const;

describe('checkDocumentData', () => {
  it('a delivery on the contract day, a VAT of 0 and a client field left for the client raise nothing', () => {
    expect(checkDocumentData(FIELDS, { contract_date: '2026-12-02', delivery_date: '2026-12-02', amount: '10.00 EUR', tax: '0.00 EUR' })).toEqual({ missing: [], warnings: [] });
  });
  it('a blank required amount is missing, not a zero warning; whitespace counts as blank', () => {
    expect(checkDocumentData(FIELDS, { contract_date: '2026-12-02', amount: '  ' }).missing.map((m) => m.field)).toEqual(['amount']);
    expect(checkDocumentData(FIELDS, { contract_date: '2026-12-02', amount: '  ' }).warnings).toEqual([]);
  });
  it('a bare 0 and a 0 with a currency are both an amount of 0; a day before the contract is a date warning', () => {
    expect(checkDocumentData(FIELDS, { contract_date: '2026-12-02', amount: '0' }).warnings.map((w) => w.code)).toEqual(['amount_zero']);
    expect(checkDocumentData(FIELDS, { contract_date: '2026-12-02', delivery_date: '2026-12-01', amount: '0.00 RUB' }).warnings.map((w) => w.code)).toEqual(['amount_zero', 'date_before_document_date']);
  });
  it('without a document date (no field filled from today) dates are not compared', () => {
    const noToday = FIELDS.map((f) => (f.key === 'contract_date' ? { ...f, binding: 'item.BEGINDATE' } : f));
    expect(checkDocumentData(noToday, { contract_date: '2026-12-02', delivery_date: '2020-01-01', amount: '5 EUR' }).warnings).toEqual([]);
  });
});

describe('signer and stamp rules', () => {
  it('the company signer is the first company signer in order; approvers and clients are not', () => {
    expect(companySignerName([
      { role: 'approver', party: 'company', order: 1, name: 'Approver' },
      { role: 'signer', party: 'client', order: 1, name: 'Client' },
      { role: 'signer', party: 'company', order: 3, name: 'Later' },
      { role: 'signer', party: 'company', order: 2, name: ' Anna ' },
    ])).toBe('Anna');
    expect(companySignerName([{ party: 'client', name: 'Client' }])).toBeUndefined();
    expect(followsCompanySigner('companySigner.FULL_NAME|responsible.FULL_NAME')).toBe(true);
    expect(followsCompanySigner('responsible.FULL_NAME')).toBe(false);
  });
  it('a stamp is asked of a signer with a stamp field only', () => {
    expect(stampNeed('signer', [{ type: 'stamp', required: true }])).toBe('required');
    expect(stampNeed('signer', [{ type: 'stamp', required: false }, { type: 'signature', required: true }])).toBe('optional');
    expect(stampNeed('signer', [{ type: 'signature', required: true }])).toBe('none');
    expect(stampNeed('approver', [{ type: 'stamp', required: true }])).toBe('none');
  });
});
