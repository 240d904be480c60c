/**
 * `batch` (reference §3.4): `cmd` maps keys to `"method?query"` strings, at most 50; `halt=1` stops at the
 * first error; `$result[key][FIELD]…` (also `$result_total`, `$result_next`, `$result_error`) reference
 * earlier answers. Always HTTP 200 with result / result_error / result_total / result_next / result_time;
 * an empty section is `[]` (PHP empty array). The whole batch costs one bucket unit (one HTTP request).
 */
import { asObject, RestError } from './envelope.js';
import { phpParseQuery } from './php-form.js';
import type { Outcome } from './rest.js';
import type { Row } from './types.js';

export const BATCH_MAX = 50;

/**
 * Characters of `cmd` strings one batch may carry. Bitrix24 refuses a batch whose parameters are
 * too long with ERROR_BATCH_LENGTH_EXCEEDED, "The maximum length of parameters passed to the batch
 * method has been exceeded" (b24restdocs _includes/system-errors.md), but documents no number: this
 * one (1 MB) is the emulator's own choice, and the option `batchMaxLength` changes it.
 */
export const BATCH_MAX_LENGTH = 1_000_000;

type Exec = (method: string, params: Row, key: string) => Promise<Outcome>;

interface Sections {
  result: Map<string, unknown>;
  result_error: Map<string, unknown>;
  result_total: Map<string, unknown>;
  result_next: Map<string, unknown>;
  result_time: Map<string, unknown>;
}

const REF = /\$(result|result_error|result_total|result_next|result_time)\[([^\]]+)\]((?:\[[^\]]*\])*)/g;

function lookup(s: Sections, section: string, key: string, path: string): unknown {
  let v: unknown = s[section as keyof Sections].get(key);
  for (const m of path.matchAll(/\[([^\]]*)\]/g)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[m[1]!];
  }
  return v;
}

/** Replaces references in every string leaf; a leaf that is exactly one reference takes the value as is. */
function substitute(v: unknown, s: Sections): unknown {
  if (typeof v === 'string') {
    REF.lastIndex = 0;
    const whole = /^\$(result|result_error|result_total|result_next|result_time)\[([^\]]+)\]((?:\[[^\]]*\])*)$/.exec(v);
    if (whole) {
      const r = lookup(s, whole[1]!, whole[2]!, whole[3] ?? '');
      return r === undefined ? v : r;
    }
    return v.replace(REF, (all, sec: string, key: string, path: string) => {
      const r = lookup(s, sec, key, path);
      return r === undefined || (r !== null && typeof r === 'object') ? all : String(r ?? '');
    });
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, s));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, s)]));
  return v;
}

/** PHP arrays: a list when keys are 0..n-1, else an object; empty → []. */
function phpArray(m: Map<string, unknown>, listInput: boolean): unknown {
  if (m.size === 0) return [];
  const keys = [...m.keys()];
  if (listInput && keys.every((k, i) => k === String(i))) return [...m.values()];
  return Object.fromEntries(m);
}

export async function runBatch(params: Row, exec: Exec, maxLength = BATCH_MAX_LENGTH): Promise<Record<string, unknown>> {
  const rawCmd = params.cmd;
  const listInput = Array.isArray(rawCmd);
  const entries: [string, unknown][] = listInput ? (rawCmd as unknown[]).map((c, i) => [String(i), c]) : Object.entries(asObject(rawCmd));
  if (entries.length > BATCH_MAX) throw new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded');
  // Refused as a whole, before any command runs: nothing in it takes effect.
  const length = entries.reduce((n, [, c]) => n + String(c ?? '').length, 0);
  if (length > maxLength) throw new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded');
  const halt = ['1', 'true', 'Y'].includes(String(params.halt ?? '0'));

  const s: Sections = { result: new Map(), result_error: new Map(), result_total: new Map(), result_next: new Map(), result_time: new Map() };
  for (const [key, cmd] of entries) {
    const str = String(cmd ?? '');
    const q = str.indexOf('?');
    const method = (q < 0 ? str : str.slice(0, q)).trim().toLowerCase().replace(/\.json$/, '');
    const subParams = substitute(phpParseQuery(q < 0 ? '' : str.slice(q + 1)), s) as Row;
    let out: Outcome;
    if (method === 'batch') {
      out = { status: 405, body: { error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', error_description: 'Method is not allowed for batch usage' } };
    } else {
      out = await exec(method, subParams, key);
    }
    if (out.status === 200) {
      s.result.set(key, out.body.result);
      if (out.body.total !== undefined) s.result_total.set(key, out.body.total);
      if (out.body.next !== undefined) s.result_next.set(key, out.body.next);
      if (out.body.time !== undefined) s.result_time.set(key, out.body.time);
    } else {
      s.result_error.set(key, { error: out.body.error, error_description: out.body.error_description });
      if (halt) break;
    }
  }
  return {
    result: phpArray(s.result, listInput),
    result_error: phpArray(s.result_error, listInput),
    result_total: phpArray(s.result_total, listInput),
    result_next: phpArray(s.result_next, listInput),
    result_time: phpArray(s.result_time, listInput),
  };
}
