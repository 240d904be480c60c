import { describe, expect, it } from 'vitest';
import { toCanonical, toMoney, ZFieldDefs } from '../../src/documents/fields.js';
import { formatDate, formatMoney, formatNumber, formatValue } from '../../src/documents/format.js';

const nb = (s: string | null) => s?.replace(/[\u00a0\u202f]/g, ' ');

describe('format per language', () => {
  it('dates are calendar days in the document language, never shifted by time zones', () => {
    expect(formatDate('2026-04-25T00:00:00+03:00', 'en')).toBe('25 April 2026');
    expect(formatDate('2026-04-25', 'it')).toBe('25 aprile 2026');
    expect(formatDate('2026-04-25T23:30:00-05:00', 'ru')).toBe('25 апреля 2026 г.');
  });

  it('numbers and money use the language separators and the currency sign', () => {
    expect(nb(formatNumber('1234567.5', 'en'))).toBe('1,234,567.5');
    expect(nb(formatNumber(1234567.5, 'it'))).toBe('1.234.567,5');
    expect(nb(formatNumber('1234567.5', 'ru'))).toBe('1 234 567,5');
    // Italian CLDR groups from five digits on: 1234,50 but 12.345,50.
    expect(nb(formatMoney({ amount: 1234.5, currency: 'EUR' }, 'it'))).toBe('1234,50 €');
    expect(nb(formatMoney({ amount: 12345.5, currency: 'EUR' }, 'it'))).toBe('12.345,50 €');
    expect(nb(formatMoney('2222000.00', 'ru', 'RUB'))).toBe('2 222 000,00 ₽');
    expect(nb(formatMoney('99.9 USD', 'en'))).toBe('US$99.90');
    // A custom currency code Intl does not reject still prints amount and code.
    expect(nb(formatMoney('5 XBT', 'en'))).toContain('5.00');
  });

  it('prints unparseable values as typed rather than dropping them', () => {
    expect(formatValue('number', 'about ten', 'en')).toBe('about ten');
    expect(formatValue('date', 'next week', 'it')).toBe('next week');
    expect(formatValue('checkbox', 'Y', 'ru')).toBe('☒');
    expect(formatValue('text', null, 'en')).toBe('');
  });

  it('canonical strings round-trip through the parsers', () => {
    expect(toCanonical('money', { amount: 10, currency: 'EUR' })).toBe('10.00 EUR');
    expect(toMoney('10.00 EUR')).toEqual({ amount: 10, currency: 'EUR' });
    expect(toMoney('10.00|RUB')).toEqual({ amount: 10, currency: 'RUB' });
    expect(toCanonical('date', new Date('2026-11-27T12:00:00Z'))).toBe('2026-11-27');
    expect(toCanonical('checkbox', 'yes')).toBe('true');
  });
});

describe('field definitions', () => {
  it('accept bindings with alternatives and refuse unknown paths, duplicates and bound signatures', () => {
    const ok = ZFieldDefs.safeParse([
      { key: 'a', type: 'text', party: 'sender', binding: 'company.requisite.RQ_INN|company.TITLE' },
      { key: 'b', type: 'signature', party: 'client', page: 0, box: { x: 10, y: 10, w: 100, h: 40 } },
    ]);
    expect(ok.success).toBe(true);
    const bad = ZFieldDefs.safeParse([
      { key: 'a', type: 'text', party: 'sender', binding: 'deal.TITLE' },
      { key: 'a', type: 'text', party: 'sender' },
      { key: 's', type: 'signature', party: 'sender', binding: 'item.TITLE' },
      { key: 'p', type: 'text', party: 'client', page: 1 },
    ]);
    expect(bad.success).toBe(false);
    const msgs = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        '0.binding: not a known CRM binding',
        '1.key: duplicate key a',
        '2.party: signatures, initials and stamps belong to company or client',
        '2.binding: signatures, initials and stamps cannot be bound to CRM data',
        '3.box: page and box go together',
      ]),
    );
  });
});
