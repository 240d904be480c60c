/**
 * PHP-style form encoding, both ways. Bitrix24 posts `application/x-www-form-urlencoded` bodies built by
 * `http_build_query` (reference §11.2): bracket keys percent-encoded, spaces as `+`, nulls dropped, every
 * scalar a string. The emulator must produce exactly that, and must read the same shape back from
 * batch `cmd` strings and form-encoded REST calls.
 */

/** PHP `urlencode`: everything but `A-Za-z0-9-_.` is percent-encoded, space becomes `+`. */
export function phpUrlencode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*~]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

type Pair = [key: string, value: string];

function flatten(prefix: string, value: unknown, out: Pair[]) {
  if (value === null || value === undefined) return; // http_build_query drops nulls
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(`${prefix}[${i}]`, v, out));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(`${prefix}[${k}]`, v, out);
  } else if (typeof value === 'boolean') {
    out.push([prefix, value ? '1' : '0']);
  } else {
    out.push([prefix, String(value)]);
  }
}

/** Ordered `[key, value]` pairs with bracket keys, before encoding (handy for assertions). */
export function phpPairs(data: Record<string, unknown>): Pair[] {
  const out: Pair[] = [];
  for (const [k, v] of Object.entries(data)) flatten(k, v, out);
  return out;
}

/** `http_build_query($data)`. */
export function phpBuildQuery(data: Record<string, unknown>): string {
  return phpPairs(data)
    .map(([k, v]) => `${phpUrlencode(k)}=${phpUrlencode(v)}`)
    .join('&');
}

function decode(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

type Tree = { [k: string]: Tree | string };

/** Objects whose keys are all integers become arrays (PHP list semantics, as `qs` does). */
function normalise(node: Tree | string): unknown {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = normalise(node[k]!);
  if (keys.length > 0 && keys.every((k) => /^(0|[1-9]\d*)$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => out[k]);
  }
  return out;
}

/** Splits `a[b][]` into `['a','b','']`; a key without brackets is one segment. */
function keySegments(key: string): string[] {
  const m = /^([^[]*)((?:\[[^\]]*\])*)(.*)$/.exec(key);
  if (!m || m[1] === '') return [key];
  const segs = [m[1]!];
  for (const b of m[2]!.matchAll(/\[([^\]]*)\]/g)) segs.push(b[1]!);
  if (m[3]) return [key]; // trailing garbage after brackets: PHP keeps the raw key; so do we
  return segs;
}

/** Adds one decoded pair into the tree the way PHP's `parse_str` would. */
function insert(root: Tree, key: string, value: string) {
  const segs = keySegments(key);
  let node: Tree = root;
  for (let i = 0; i < segs.length; i++) {
    let seg = segs[i]!;
    const last = i === segs.length - 1;
    if (seg === '') seg = String(Object.keys(node).filter((k) => /^\d+$/.test(k)).length);
    if (last) {
      node[seg] = value;
    } else {
      const next = node[seg];
      if (typeof next !== 'object') node[seg] = {};
      node = node[seg] as Tree;
    }
  }
}

/** PHP `parse_str`: nested objects from bracket keys, integer-keyed objects become arrays. */
export function phpParseQuery(qs: string): Record<string, unknown> {
  const root: Tree = {};
  const s = qs.startsWith('?') ? qs.slice(1) : qs;
  if (!s) return {};
  for (const part of s.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decode(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (k) insert(root, k, v);
  }
  const out = normalise(root);
  return Array.isArray(out) ? { ...out } : (out as Record<string, unknown>);
}
