import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SETTINGS_SCRIPT } from '../../src/doors/app-settings-script.js';
import { requestTimestampForImprint } from '../../src/documents/seal/tsa.js';
import { catalogFor, type Lang } from '../../src/i18n/index.js';
import { SETTINGS_MESSAGES } from '../../src/settings/texts.js';

/**
 * The settings page's TSA test button (issue 18 item 9): the failure reason from the API's
 * details.reason is said in the page's language; the API's English message never appears.
 * The real page script runs against a stub DOM and a stub fetch answering like /api/settings/tsa-test.
 */
async function tsaStatus(lang: Lang, error: { code: string; message: string; details?: Record<string, unknown> }): Promise<string> {
  const els = new Map<string, { value: string; textContent: string; className: string; hidden: boolean; files: never[]; listeners: Record<string, () => void>; addEventListener: (e: string, f: () => void) => void; appendChild: () => void; parentNode: { insertBefore: () => void } }>();
  const el = (id: string) => {
    if (!els.has(id)) {
      const listeners: Record<string, () => void> = {};
      els.set(id, { value: id === 'settings-tsa-url' ? 'http://127.0.0.1:9/tsa' : '', textContent: '', className: '', hidden: false, files: [], listeners, addEventListener: (e, f) => (listeners[e] = f), appendChild: () => {}, parentNode: { insertBefore: () => {} } });
    }
    return els.get(id)!;
  };
  const fetch = async (path: string) => ({
    ok: path !== '/api/settings/tsa-test',
    status: path === '/api/settings/tsa-test' ? 503 : 200,
    json: async () => (path === '/api/settings/tsa-test' ? { error: error } : { changes: [] }),
  });
  const boot = { token: 'x', lang, t: catalogFor(SETTINGS_MESSAGES, lang) };
  runInNewContext(`(${SETTINGS_SCRIPT})(boot)`, { boot, fetch, document: { getElementById: el, querySelectorAll: () => [], createElement: () => el('new') } });
  el('settings-tsa-test').listeners.click!();
  for (let i = 0; i < 20 && /^…?$/.test(el('settings-tsa-status').textContent); i++) await new Promise((r) => setTimeout(r, 5));
  expect(el('settings-tsa-status').className).toBe('bad');
  return el('settings-tsa-status').textContent;
}

/** The reason each failure of the real TSA client carries, from stub TSAs. */
async function reasonOf(fetchFn: typeof fetch): Promise<unknown> {
  const err = await requestTimestampForImprint({ url: 'http://tsa.test/', fetch: fetchFn, timeoutMs: 1000 }, new Uint8Array(32)).catch((e: unknown) => e);
  return (err as { details?: unknown }).details;
}

describe('TSA test button messages', () => {
  it('the client names its failure reasons: unreachable, an HTTP error with its status, an unreadable reply', async () => {
    expect(await reasonOf(async () => Promise.reject(new TypeError('fetch failed')))).toEqual({ reason: 'unreachable' });
    expect(await reasonOf(async () => new Response('no', { status: 502 }))).toEqual({ reason: 'http_status', status: 502 });
    expect(await reasonOf(async () => new Response(new Uint8Array([1, 2, 3])))).toEqual({ reason: 'unreadable_reply' });
  });

  it('says each reason in ru/it/en without the API’s English detail; an unknown reason is the translated generic one', async () => {
    const unreachable = { code: 'TSA_UNAVAILABLE', message: 'The timestamp authority could not be reached.', details: { reason: 'unreachable' } };
    expect(await tsaStatus('ru', unreachable)).toBe('Проверка службы меток времени не прошла: служба недоступна.');
    expect(await tsaStatus('it', unreachable)).toBe('La prova dell’autorità di marcatura temporale non è riuscita: non è raggiungibile.');
    expect(await tsaStatus('en', unreachable)).toBe('The timestamp authority test failed: it could not be reached.');
    const http = { code: 'TSA_UNAVAILABLE', message: 'The timestamp authority answered HTTP 502.', details: { reason: 'http_status', status: 502 } };
    expect(await tsaStatus('ru', http)).toBe('Проверка службы меток времени не прошла: она ответила ошибкой HTTP 502.');
    const unknown = { code: 'TSA_UNAVAILABLE', message: 'Something new went wrong.', details: { reason: 'brand_new' } };
    expect(await tsaStatus('ru', unknown)).toBe('Проверка службы меток времени не прошла: её ответ непригоден.');
    expect(await tsaStatus('it', { code: 'TSA_UNAVAILABLE', message: 'Old server without details.' })).toBe('La prova dell’autorità di marcatura temporale non è riuscita: la sua risposta non è utilizzabile.');
  });

  it('every reason the TSA client and the test can give has a text in each language', async () => {
    const { readFileSync } = await import('node:fs');
    const src = readFileSync('src/documents/seal/tsa.ts', 'utf8') + readFileSync('src/settings/tsa-check.ts', 'utf8');
    const reasons = [...src.matchAll(/reason: '([a-z_]+)'/g)].map((m) => m[1]!);
    expect(reasons.length).toBeGreaterThanOrEqual(8);
    for (const r of reasons) for (const lang of ['en', 'it', 'ru'] as const) expect((SETTINGS_MESSAGES as Record<string, Record<Lang, string>>)[`tsaWhy_${r}`]?.[lang], `${r} ${lang}`).toBeTruthy();
  });
});
