/**
 * The query-string form of parameters inside a `batch` command (`"crm.deal.get?id=5"`), encoded the
 * way PHP's parse_str reads it: nested objects and arrays become bracket keys
 * (`fields[PHONE][0][VALUE]=…`), booleans 1/0 as http_build_query writes them.
 *
 * Two deliberate differences from http_build_query: `null` becomes an empty value instead of
 * vanishing (a vanished filter silently widens a query, reference §13.18), and `$`, `[` and `]`
 * stay readable so that `$result[key][FIELD]` references reach Bitrix24 intact either way it parses.
 */
export function buildQuery(params: Record<string, unknown>): string {
  const parts: string[] = [];
  const add = (key: string, value: unknown) => {
    if (value === undefined) return;
    if (value === null) {
      parts.push(`${encodeKey(key)}=`);
    } else if (value instanceof Date) {
      parts.push(`${encodeKey(key)}=${encodeValue(value.toISOString())}`);
    } else if (Array.isArray(value)) {
      if (value.length === 0) parts.push(`${encodeKey(key)}=`);
      value.forEach((v, i) => add(`${key}[${i}]`, v));
    } else if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) parts.push(`${encodeKey(key)}=`);
      for (const [k, v] of entries) add(`${key}[${k}]`, v);
    } else if (typeof value === 'boolean') {
      parts.push(`${encodeKey(key)}=${value ? '1' : '0'}`);
    } else {
      parts.push(`${encodeKey(key)}=${encodeValue(String(value))}`);
    }
  };
  for (const [k, v] of Object.entries(params)) add(k, v);
  return parts.join('&');
}

const keepReadable = (s: string) => s.replace(/%5B/gi, '[').replace(/%5D/gi, ']').replace(/%24/gi, '$');
const encodeKey = (k: string) => keepReadable(encodeURIComponent(k));
const encodeValue = (v: string) => keepReadable(encodeURIComponent(v));
