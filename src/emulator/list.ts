/** List semantics shared by `*.list` methods: filter prefixes, order, select, pages of 50 (reference §3.3). */
import { asObject } from './envelope.js';
import type { Row } from './types.js';

export const PAGE = 50;

function cmp(a: unknown, b: unknown): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== null && b !== null && a !== '' && b !== '' && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

const eq = (a: unknown, b: unknown) => (Array.isArray(b) ? b.some((x) => cmp(a, x) === 0) : cmp(a, b) === 0 || String(a ?? '') === String(b ?? ''));

/** Case-insensitive field access: filters arrive as `ID`, `id`, `entityId`… */
function field(row: Row, name: string): unknown {
  if (name in row) return row[name];
  const k = Object.keys(row).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : row[k];
}

/** Bitrix24 filter keys: `FIELD`, `=FIELD`, `!FIELD`, `>FIELD`, `>=FIELD`, `<FIELD`, `<=FIELD`, `%FIELD`, `@FIELD`, `!@FIELD`. */
export function matches(row: Row, filter: Row): boolean {
  for (const [rawKey, want] of Object.entries(filter)) {
    const m = /^(!@|>=|<=|!=|=%|%=|[=!><%@])?(.+)$/.exec(rawKey)!;
    const op = m[1] ?? '=';
    const v = field(row, m[2]!);
    const ok =
      op === '=' ? eq(v, want)
      : op === '!' || op === '!=' ? !eq(v, want)
      : op === '>' ? cmp(v, want) > 0
      : op === '>=' ? cmp(v, want) >= 0
      : op === '<' ? cmp(v, want) < 0
      : op === '<=' ? cmp(v, want) <= 0
      : op === '@' ? eq(v, Array.isArray(want) ? want : String(want).split(','))
      : op === '!@' ? !eq(v, Array.isArray(want) ? want : String(want).split(','))
      : String(v ?? '').toLowerCase().includes(String(want ?? '').replace(/%/g, '').toLowerCase());
    if (!ok) return false;
  }
  return true;
}

export function sortRows(rows: Row[], order: Row): Row[] {
  const entries = Object.entries(order);
  if (!entries.length) return rows;
  return [...rows].sort((a, b) => {
    for (const [k, dir] of entries) {
      const c = cmp(field(a, k), field(b, k));
      if (c) return String(dir).toUpperCase() === 'DESC' ? -c : c;
    }
    return 0;
  });
}

/** `select`: `*` = every plain field; multi-fields (PHONE, EMAIL…) only when named, as in classic CRM lists. */
export function selectFields(row: Row, select: unknown, multiFields: string[] = []): Row {
  const list = Array.isArray(select) ? select.map(String) : [];
  if (!list.length || list.includes('*')) {
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) {
      if (multiFields.includes(k) && !list.includes(k)) continue;
      out[k] = v;
    }
    for (const k of list) if (k !== '*' && row[k] !== undefined) out[k] = row[k];
    return out;
  }
  const out: Row = {};
  for (const k of list) if (field(row, k) !== undefined) out[k] = field(row, k);
  if (row.ID !== undefined && out.ID === undefined && !list.some((k) => k.toLowerCase() === 'id')) out.ID = row.ID;
  return out;
}

/** Page by `start` (fixed 50); `start=-1` skips counting: no total, no next. */
export function page<T>(rows: T[], startParam: unknown): { items: T[]; total?: number; next?: number } {
  const start = Number(startParam ?? 0) || 0;
  if (start === -1) return { items: rows.slice(0, PAGE) };
  const s = Math.max(0, start);
  const items = rows.slice(s, s + PAGE);
  const next = s + PAGE < rows.length ? s + PAGE : undefined;
  return { items, total: rows.length, ...(next !== undefined ? { next } : {}) };
}

export function listRows(rows: Row[], params: Row, multiFields: string[] = []) {
  const filter = asObject(params.filter ?? params.FILTER);
  const order = asObject(params.order ?? params.ORDER);
  const filtered = sortRows(rows.filter((r) => matches(r, filter)), Object.keys(order).length ? order : { ID: 'ASC' });
  const p = page(filtered, params.start ?? params.START);
  return { ...p, items: p.items.map((r) => selectFields(r, params.select ?? params.SELECT, multiFields)) };
}
