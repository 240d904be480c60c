/**
 * What the incremental updates after a signature add: only validation data (PAdES B-LT/B-LTA), or
 * anything else. Validation data is
 *   - a DSS dictionary (/Certs /OCSPs /CRLs /VRI), its VRI dictionaries, and the streams and arrays
 *     reachable from them;
 *   - a document timestamp: the /Type /DocTimeStamp (/SubFilter /ETSI.RFC3161) dictionary, its field
 *     or widget, and what that widget references (an appearance);
 *   - re-issued objects whose only change is that: the catalog gaining /DSS (and the /Extensions
 *     declaring ESIC that PAdES asks for), the AcroForm /Fields or a page's /Annots gaining the
 *     timestamp's field.
 * Anything else (a new page, a changed content stream, a form value, an object stream we cannot
 * inspect) counts as a modification. The parse is a bounded scan of the update's bytes; an object's
 * earlier version is found by its "N G obj" header before the update.
 */
const MAX_OBJECTS = 4096;

type Value = string | Value[] | Dict;
interface Dict {
  [key: string]: Value;
}
interface Obj {
  num: number;
  gen: number;
  body: Value | undefined;
  stream: boolean;
}

export type UpdateCheck = { validationOnly: true; adds: string[] } | { validationOnly: false; why: string };

export function updatesAfter(b: Buffer, from: number): UpdateCheck {
  const objs = readObjects(b, from, b.length);
  if (typeof objs === 'string') return { validationOnly: false, why: objs };
  const earlier = headersBefore(b, from, new Set(objs.map((o) => `${o.num} ${o.gen}`)));
  // Every version the update defines (a DSS may be re-issued in a later update of the same tail).
  const byNum = new Map<number, Obj[]>();
  for (const o of objs) byNum.set(o.num, [...(byNum.get(o.num) ?? []), o]);
  // A new trailer may not point the document at another catalog.
  const rootBefore = lastRoot(b, from);
  for (const m of b.toString('latin1', from).matchAll(/\/Root\s+(\d+)\s+(\d+)\s+R/g)) {
    if (rootBefore && `${m[1]} ${m[2]}` !== rootBefore) return { validationOnly: false, why: 'a later trailer names another document catalog' };
  }
  const dssRoots: Obj[] = [];
  const tsRoots: Obj[] = [];
  const adds = new Set<string>();
  for (const o of objs) {
    const d = isDict(o.body) ? o.body : undefined;
    if (d?.['/Type'] === '/ObjStm') return { validationOnly: false, why: 'the update holds compressed objects (an object stream)' };
    if (d && (isDss(d) || d['/Type'] === '/VRI')) {
      dssRoots.push(o);
      adds.add('DSS');
    } else if (d && isDocTimeStamp(d, byNum)) {
      tsRoots.push(o);
      adds.add('document timestamp');
    }
  }
  // What the update itself defines and those roots reach. From a DSS only DER streams, arrays and VRI
  // dictionaries (nothing a viewer renders); from a timestamp field its signature and appearance.
  const seen = new Set<Obj>();
  const reach = (roots: Obj[], fits: (o: Obj) => boolean) => {
    const queue = [...roots];
    while (queue.length) {
      const o = queue.pop()!;
      if (seen.has(o)) continue;
      seen.add(o);
      for (const r of refsIn(o.body)) {
        for (const next of byNum.get(r) ?? []) if (!seen.has(next) && !isReissue(next) && fits(next)) queue.push(next);
      }
    }
  };
  reach(dssRoots, isValidationData);
  reach(tsRoots, (o) => !isDict(o.body) || !['/Catalog', '/Pages', '/Page'].includes(o.body['/Type'] as string));
  // Fields may gain timestamp fields; a page's /Annots only invisible ones (a visible widget could
  // paint over the signed content).
  const tsFields = new Set(tsRoots.filter((o) => isDict(o.body) && o.body['/FT'] === '/Sig').map((o) => o.num));
  const invisible = new Set(tsRoots.filter((o) => isDict(o.body) && o.body['/FT'] === '/Sig' && zeroArea(o.body['/Rect'])).map((o) => o.num));
  for (const o of objs) {
    if (seen.has(o)) continue;
    const d = isDict(o.body) ? o.body : undefined;
    if (d?.['/Type'] === '/XRef') continue;
    const why = reissueProblem(b, earlier, from, o, { fields: tsFields, annots: invisible });
    if (why) return { validationOnly: false, why: `object ${o.num}: ${why}` };
  }
  return { validationOnly: true, adds: [...adds] };

  function isReissue(o: Obj): boolean {
    return earlier.has(`${o.num} ${o.gen}`);
  }
}

/** DSS content: arrays, DER streams (only /Length, /Filter, /DecodeParms), VRI dictionaries and the VRI map. */
function isValidationData(o: Obj): boolean {
  const v = o.body;
  if (Array.isArray(v)) return true;
  if (!isDict(v)) return false;
  const keys = Object.keys(v);
  if (o.stream) return keys.every((k) => ['/Length', '/Filter', '/DecodeParms'].includes(k));
  return keys.every((k) => ['/Type', '/Cert', '/OCSP', '/CRL', '/TU', '/TS'].includes(k)) || keys.every((k) => /^\/[0-9A-Fa-f]{40}$/.test(k));
}

const zeroArea = (rect: Value | undefined) => {
  if (rect === undefined) return true;
  if (!Array.isArray(rect) || rect.length !== 4) return false;
  const [x1, y1, x2, y2] = rect.map(Number) as [number, number, number, number];
  return (x1 === x2 || y1 === y2) && [x1, y1, x2, y2].every(Number.isFinite);
};

/** The /Root of the last trailer (or xref stream) before `from`, as "num gen". */
function lastRoot(b: Buffer, from: number): string | undefined {
  const at = b.lastIndexOf('/Root', from - 1, 'latin1');
  if (at < 0) return undefined;
  return /^\/Root\s+(\d+)\s+(\d+)\s+R/.exec(b.toString('latin1', at, at + 40))?.slice(1, 3).join(' ');
}

const isDict = (v: Value | undefined): v is Dict => !!v && typeof v === 'object' && !Array.isArray(v);
const DSS_KEYS = new Set(['/Type', '/Certs', '/OCSPs', '/CRLs', '/VRI']);
function isDss(d: Dict): boolean {
  const keys = Object.keys(d);
  return (d['/Type'] === '/DSS' || keys.some((k) => k !== '/Type')) && keys.every((k) => DSS_KEYS.has(k)) && (d['/Type'] ?? '/DSS') === '/DSS';
}
function isDocTimeStamp(d: Dict, byNum: Map<number, Obj[]>): boolean {
  if (d['/Type'] === '/DocTimeStamp' || d['/SubFilter'] === '/ETSI.RFC3161') return true;
  // Its field / widget: /FT /Sig whose value is a timestamp dictionary in this update.
  if (d['/FT'] !== '/Sig' || typeof d['/V'] !== 'string') return false;
  return (byNum.get(refNum(d['/V']) ?? -1) ?? []).some(({ body: v }) => isDict(v) && (v['/Type'] === '/DocTimeStamp' || v['/SubFilter'] === '/ETSI.RFC3161'));
}

/** Why a re-issued object is more than validation bookkeeping (undefined when it is only that). */
function reissueProblem(b: Buffer, earlier: Map<string, number>, from: number, o: Obj, may: { fields: Set<number>; annots: Set<number> }): string | undefined {
  const at = earlier.get(`${o.num} ${o.gen}`);
  const prev = at === undefined ? undefined : previousVersion(b, at, from);
  if (prev === undefined) return 'a new object that is not validation data';
  if (prev === null) return 'its earlier version cannot be compared (compressed or unreadable)';
  const now = o.body;
  // An indirect /Fields or /Annots array: it may gain timestamp fields (invisible ones, for /Annots).
  if (Array.isArray(now) && Array.isArray(prev)) return grows(prev, now, may.annots) ? undefined : 'an array changed beyond adding a timestamp field';
  if (!isDict(now) || !isDict(prev) || o.stream) return 'its content changed';
  const changed = new Set([...Object.keys(now), ...Object.keys(prev)].filter((k) => canon(now[k]) !== canon(prev[k])));
  const type = now['/Type'];
  for (const k of changed) {
    if (type === '/Catalog' && (k === '/DSS' || k === '/Extensions')) continue;
    if (type === '/Catalog' && k === '/AcroForm' && isDict(now[k]) && isDict(prev[k]) && formGrows(prev[k] as Dict, now[k] as Dict, may.fields)) continue;
    if (k === '/Fields' || k === '/Annots') {
      const ok = k === '/Fields' ? may.fields : may.annots;
      if (Array.isArray(now[k]) && (prev[k] === undefined || Array.isArray(prev[k])) && grows((prev[k] as Value[]) ?? [], now[k] as Value[], ok)) continue;
    }
    if (k === '/SigFlags' && (type === undefined || type === '/AcroForm')) continue;
    return `its ${k} changed`;
  }
  return undefined;
}

function formGrows(prev: Dict, now: Dict, allowed: Set<number>): boolean {
  return [...new Set([...Object.keys(now), ...Object.keys(prev)])].every(
    (k) => canon(now[k]) === canon(prev[k]) || k === '/SigFlags' || (k === '/Fields' && Array.isArray(now[k]) && grows((prev[k] as Value[]) ?? [], now[k] as Value[], allowed)),
  );
}

/** `now` = `prev` plus references to allowed objects only. */
function grows(prev: Value[], now: Value[], allowed: Set<number>): boolean {
  const before = new Set(prev.map(canon));
  if (![...before].every((x) => now.some((v) => canon(v) === x))) return false;
  return now.filter((v) => !before.has(canon(v))).every((v) => typeof v === 'string' && allowed.has(refNum(v) ?? -1));
}

const canon = (v: Value | undefined): string =>
  v === undefined ? '' : typeof v === 'string' ? v : Array.isArray(v) ? `[${v.map(canon).join(' ')}]` : `<<${Object.keys(v).sort().map((k) => `${k} ${canon(v[k])}`).join(' ')}>>`;
const refNum = (v: string): number | undefined => {
  const m = /^(\d+) \d+ R$/.exec(v);
  return m ? Number(m[1]) : undefined;
};
function refsIn(v: Value | undefined, out: number[] = []): number[] {
  if (typeof v === 'string') {
    const n = refNum(v);
    if (n !== undefined) out.push(n);
  } else if (Array.isArray(v)) v.forEach((x) => refsIn(x, out));
  else if (v) Object.values(v).forEach((x) => refsIn(x, out));
  return out;
}

/**
 * Where each wanted object ("num gen") was last defined before `from`: one forward pass over the
 * earlier bytes, so the cost stays linear however many objects an update re-issues.
 */
function headersBefore(b: Buffer, from: number, wanted: Set<string>): Map<string, number> {
  const found = new Map<string, number>();
  const re = /(?:^|[\s>])(\d{1,10}) (\d{1,5}) obj\b/g;
  const CHUNK = 1 << 20;
  for (let lo = 0; lo < from; lo += CHUNK) {
    const text = b.toString('latin1', lo, Math.min(from, lo + CHUNK + 32));
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const at = lo + m.index + m[0].length - `${m[1]} ${m[2]} obj`.length;
      if (at >= lo + CHUNK) break; // the overlap belongs to the next chunk
      const key = `${Number(m[1])} ${Number(m[2])}`;
      if (wanted.has(key)) found.set(key, at);
    }
  }
  return found;
}

/** The object defined at `at` (before `from`): its parsed body, or null if unreadable. */
function previousVersion(b: Buffer, at: number, from: number): Value | null {
  const objs = readObjects(b, at, Math.min(from, at + (1 << 20)), 1);
  return typeof objs === 'string' || !objs[0] ? null : (objs[0].body ?? null);
}

/** `N G obj … endobj` objects in b[from, to); a string says why the bytes are not readable. */
function readObjects(b: Buffer, from: number, to: number, limit = MAX_OBJECTS): Obj[] | string {
  const out: Obj[] = [];
  const p = new Parser(b, from, to);
  while (out.length < limit) {
    const head = p.nextObjectHeader();
    if (!head) break;
    let body: Value | undefined;
    try {
      body = p.value();
    } catch {
      return `object ${head.num} cannot be read`;
    }
    let stream = false;
    p.ws();
    if (p.startsWith('stream')) {
      stream = true;
      const len = isDict(body) ? Number(body['/Length']) : NaN;
      const start = p.i + 6 + (b[p.i + 6] === 0x0d ? 2 : 1);
      p.i = Number.isSafeInteger(len) && len >= 0 ? start + len : start;
      const end = b.indexOf('endstream', p.i, 'latin1');
      if (end < 0 || end >= to) return `the stream of object ${head.num} has no end`;
      p.i = end + 9;
    }
    out.push({ ...head, body, stream });
  }
  return out.length === limit && limit === MAX_OBJECTS ? 'the update is too large to inspect' : out;
}

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
/** PDF delimiters and white space (ISO 32000-1 §7.2.2, §7.2.3). */
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) DELIM[c] = 1;
const WS_OR_GT = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x3e]) WS_OR_GT[c] = 1;

class Parser {
  constructor(
    private readonly b: Buffer,
    public i: number,
    private readonly to: number,
  ) {}

  startsWith(s: string) {
    return this.b.toString('latin1', this.i, this.i + s.length) === s;
  }

  ws() {
    for (;;) {
      const c = this.b[this.i];
      if (c === 0x25) {
        while (this.i < this.to && this.b[this.i] !== 0x0a && this.b[this.i] !== 0x0d) this.i++;
      } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x00) this.i++;
      else return;
    }
  }

  /** The next "N G obj" at a token start, skipping xref tables and trailers. */
  nextObjectHeader(): { num: number; gen: number } | undefined {
    const start = this.i;
    const b = this.b;
    // Native search for " obj", then the digits before it are read back: no text is made of the bytes.
    while (this.i < this.to) {
      const k = b.indexOf(' obj', this.i, 'latin1');
      if (k < 0 || k + 4 > this.to) break;
      this.i = k + 4;
      if (k + 4 < this.to && !DELIM[b[k + 4]!]) continue; // "objects", "obj1"
      let g = k;
      while (g > start && g > k - 6 && isDigit(b[g - 1])) g--;
      if (g === k || b[g - 1] !== 0x20) continue;
      let n = g - 1;
      while (n > start && n > g - 12 && isDigit(b[n - 1])) n--;
      if (n === g - 1 || (n > start && !WS_OR_GT[b[n - 1]!])) continue;
      return { num: Number(b.toString('latin1', n, g - 1)), gen: Number(b.toString('latin1', g, k)) };
    }
    this.i = this.to;
    return undefined;
  }

  value(depth = 0): Value {
    if (depth > 32) throw new Error('too deep');
    this.ws();
    const c = this.b[this.i];
    if (this.i >= this.to) throw new Error('eof');
    if (this.startsWith('<<')) {
      this.i += 2;
      const d: Dict = {};
      for (;;) {
        this.ws();
        if (this.startsWith('>>')) {
          this.i += 2;
          return d;
        }
        const k = this.value(depth + 1);
        if (typeof k !== 'string' || !k.startsWith('/')) throw new Error('bad key');
        d[k] = this.value(depth + 1);
      }
    }
    if (c === 0x5b) {
      this.i++;
      const a: Value[] = [];
      for (;;) {
        this.ws();
        if (this.b[this.i] === 0x5d) {
          this.i++;
          return a;
        }
        a.push(this.value(depth + 1));
      }
    }
    if (c === 0x3c) {
      const end = this.b.indexOf('>', this.i, 'latin1');
      if (end < 0 || end >= this.to) throw new Error('eof');
      const s = this.b.toString('latin1', this.i, end + 1).replace(/\s+/g, '');
      this.i = end + 1;
      return s;
    }
    if (c === 0x28) {
      const start = this.i;
      let level = 0;
      for (; this.i < this.to; this.i++) {
        const ch = this.b[this.i];
        if (ch === 0x5c) this.i++;
        else if (ch === 0x28) level++;
        else if (ch === 0x29 && --level === 0) break;
      }
      this.i++;
      return this.b.toString('latin1', start, this.i);
    }
    // A name, number, keyword, or "N G R".
    const start = this.i;
    this.i++;
    while (this.i < this.to && !DELIM[this.b[this.i]!]) this.i++;
    const tok = this.b.toString('latin1', start, this.i);
    if (/^\d+$/.test(tok)) {
      const m = /^\s+(\d+)\s+R(?![A-Za-z])/.exec(this.b.toString('latin1', this.i, Math.min(this.to, this.i + 24)));
      if (m) {
        this.i += m[0].length;
        return `${tok} ${m[1]} R`;
      }
    }
    return tok;
  }
}
