import type { Lang } from '../i18n/index.js';
import { toBool, toDate, toMoney, toNumber, type FieldType, type FieldValue } from './fields.js';
import { formatDate as formatDateIn } from '../i18n/dates.js';

/**
 * How values look on paper, per document language. Intl does the work (Node ships full ICU); the
 * locale per language is chosen for contracts: British English writes "27 November 2026", which
 * reads the same on both sides of the Atlantic.
 */
const LOCALE: Record<Lang, string> = { en: 'en-GB', it: 'it-IT', ru: 'ru-RU' };

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function memo<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) {
    f = make();
    cache.set(key, f);
  }
  return f;
}

export function formatDate(v: FieldValue, lang: Lang): string | null {
  const d = toDate(v);
  if (!d) return null;
  // Dates are calendar days: format in UTC so the server's zone never shifts them by one.
  return formatDateIn(lang, d);
}

export function formatNumber(v: FieldValue, lang: Lang): string | null {
  const n = toNumber(v);
  if (n === null) return null;
  return memo(`n:${lang}`, () => new Intl.NumberFormat(LOCALE[lang], { maximumFractionDigits: 6 })).format(n);
}

export function formatMoney(v: FieldValue, lang: Lang, fallbackCurrency?: string): string | null {
  const m = toMoney(v, fallbackCurrency);
  if (!m) return null;
  try {
    return memo(`m:${lang}:${m.currency}`, () => new Intl.NumberFormat(LOCALE[lang], { style: 'currency', currency: m.currency })).format(m.amount);
  } catch {
    // A currency Intl does not know (custom Bitrix24 currencies): amount plus code.
    return `${memo(`m2:${lang}`, () => new Intl.NumberFormat(LOCALE[lang], { minimumFractionDigits: 2, maximumFractionDigits: 2 })).format(m.amount)} ${m.currency}`;
  }
}

const CHECK = { on: '☒', off: '☐' };

/** Any value as text without trusting its prototype (values come from JSON and CRM data). */
function plain(v: NonNullable<FieldValue>): string {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10);
  if (typeof v === 'object') return `${String((v as { amount?: unknown }).amount ?? '')} ${String((v as { currency?: unknown }).currency ?? '')}`.trim();
  return String(v);
}

/**
 * The text printed for a value. Values that do not parse as their type are printed as given rather
 * than dropped: a human typed them and should see them on the page.
 */
export function formatValue(type: FieldType, v: FieldValue, lang: Lang, opts: { currency?: string } = {}): string {
  if (v === null || v === undefined || v === '') return '';
  switch (type) {
    case 'date':
      return formatDate(v, lang) ?? plain(v);
    case 'number':
      return formatNumber(v, lang) ?? plain(v);
    case 'money':
      return formatMoney(v, lang, opts.currency) ?? plain(v);
    case 'checkbox':
      return toBool(v) ? CHECK.on : CHECK.off;
    default:
      if (v instanceof Date) return formatDate(v, lang) ?? '';
      if (typeof v === 'object') return formatMoney(v, lang) ?? plain(v);
      return plain(v);
  }
}
