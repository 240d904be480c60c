import type { Lang } from './index.js';

/**
 * One date format per language, everywhere a person reads a date (e-mails, pages, the card, the
 * sandbox, documents): the day, the month's name and the year — "2 December 2026", "2 dicembre 2026",
 * "2 декабря 2026 г." — and, where the time matters, the hour and minute after it. Server-rendered
 * text is in UTC unless a caller knows the reader's zone; browser scripts format in the reader's own
 * zone with the same options (`browserDateFormatter`).
 */
export const DATE_LOCALES: Record<Lang, string> = { en: 'en-GB', it: 'it-IT', ru: 'ru-RU' };
export const DATE_OPTIONS: Intl.DateTimeFormatOptions = { dateStyle: 'long' };
export const DATE_TIME_OPTIONS: Intl.DateTimeFormatOptions = { dateStyle: 'long', timeStyle: 'short' };

const cache = new Map<string, Intl.DateTimeFormat>();
function formatter(lang: Lang, withTime: boolean, timeZone: string): Intl.DateTimeFormat {
  const key = `${lang}|${withTime ? 't' : 'd'}|${timeZone}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(DATE_LOCALES[lang] ?? DATE_LOCALES.en, { ...(withTime ? DATE_TIME_OPTIONS : DATE_OPTIONS), timeZone });
    cache.set(key, f);
  }
  return f;
}

const asDate = (d: Date | string | number) => (d instanceof Date ? d : new Date(d));

/** "2 December 2026" (UTC unless `timeZone` says otherwise). */
export function formatDate(lang: Lang, d: Date | string | number, timeZone = 'UTC'): string {
  return formatter(lang, false, timeZone).format(asDate(d));
}

/** "2 December 2026 at 10:15 UTC": the zone is named when it is UTC, as a reader elsewhere needs it. */
export function formatDateTime(lang: Lang, d: Date | string | number, timeZone = 'UTC'): string {
  const s = formatter(lang, true, timeZone).format(asDate(d));
  return timeZone === 'UTC' ? `${s} UTC` : s;
}

/**
 * The same two formats for an inline browser script: a JavaScript expression (a function of a date
 * value and a flag for the time) to embed, so client-side lists read like the server's pages.
 */
export function browserDateFormatter(lang: Lang): string {
  const loc = JSON.stringify(DATE_LOCALES[lang] ?? DATE_LOCALES.en);
  return `(function(v,t){if(!v)return '';var d=new Date(v);return isNaN(d)?'':d.toLocaleString(${loc},t?${JSON.stringify(DATE_TIME_OPTIONS)}:${JSON.stringify(DATE_OPTIONS)});})`;
}
