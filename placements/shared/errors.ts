/**
 * What a failed call says to the person: a translated sentence chosen by our error code (or, for a
 * reply that is not ours, by the kind of failure), never a bare HTTP status or "Failed to fetch".
 */
import { ApiError } from './api.js';
import type { Translate } from './boot.js';

/** An HTTP status in free text ("HTTP 502", "(404)") is not for people. */
const STATUS_TEXT = /\s*\(?\bHTTP\s*[1-5]\d\d\b\)?|\s*\([1-5]\d\d\)/g;

export function userMessage(t: Translate, e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'FIELDS_OVERLAP') {
      const first = (e.details?.overlaps as { a: { label: string }; b: { label: string }; page: number }[] | undefined)?.[0];
      if (first) return t('error.fieldsOverlap', { a: first.a.label, b: first.b.label, page: first.page + 1 });
    }
    if (e.status === 401 || e.code === 'UNAUTHORIZED') return t('error.session');
    if (e.status === 403) return t('error.forbidden');
    if (e.status === 404) return t('error.notFound');
    if (e.status === 409 && e.code !== 'PORTAL_NEEDS_REAUTH') return t('error.conflict');
    if (e.status === 429) return t('error.busy');
    if (e.code.startsWith('BITRIX24_')) return t('error.bitrix24');
    if (e.status >= 500 || e.code.startsWith('HTTP_')) return t('error.server');
    // Our own 4xx codes carry a sentence naming what was refused: keep it, without any status number.
    const detail = e.message.replace(STATUS_TEXT, '').replace(/\s{2,}/g, ' ').trim();
    return detail ? t('error.invalid', { detail }) : t('error.server');
  }
  // fetch() rejects with a TypeError when the network or the server is unreachable.
  if (e instanceof TypeError) return t('error.network');
  return t('error.server');
}
