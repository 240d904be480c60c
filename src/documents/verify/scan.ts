/**
 * Finds signature dictionaries in raw PDF bytes, without a PDF parser: a signature's /ByteRange
 * and /Contents must be literal bytes in the file (never inside an object stream), so scanning
 * is both enough and safe for hostile input.
 *
 * Linear in the file and capped per file, whatever the bytes: the native `indexOf` walks the file
 * forward once; every lookup around a hit is confined to a window of WINDOW bytes (never a search
 * back to the start or on to the end of the file); every `/ByteRange` key counts towards
 * MAX_KEYS, duplicates and placeholders included, so a file made of the same key repeated costs
 * MAX_KEYS small windows and is reported as truncated. No regular expression runs over the file.
 */
export const MAX_SIGNATURES = 32;
/** `/ByteRange` keys looked at per file (re-written copies in later revisions and placeholders count too). */
export const MAX_KEYS = 1024;
/** Larger /Contents than this is not a plausible CMS; treated as broken, never decoded. */
export const MAX_CONTENTS_HEX = 1 << 20;
const WINDOW = 64 * 1024;
/** `/ByteRange [...]`: the array must start and end this close to the key. */
const ARRAY_REACH = 256;

export interface ScannedSignature {
  /** Offset of the /ByteRange key. */
  at: number;
  /** Offset/length pairs as written (normally [0 b c d]). */
  byteRange: number[] | null;
  /** Why the ByteRange is unusable, when it is. */
  problem?: string;
  /**
   * The ranges are readable but not the shape ISO 32000 requires ([0 b c d], the gap exactly
   * /Contents, ending at a revision's %%EOF): the CMS is still checked over what they declare,
   * and the verdict says "coverage anomaly" rather than "intact" or "broken".
   */
  anomaly?: string;
  /** The CMS bytes (hex-decoded /Contents, trailing zero padding kept). */
  contents?: Uint8Array;
  subFilter?: string;
  type?: string;
  /** /M as written, e.g. D:20260115100000+01'00'. */
  claimedTime?: string;
  fieldName?: string;
}

export interface ScanResult {
  isPdf: boolean;
  encrypted: boolean;
  signatures: ScannedSignature[];
  /** More /ByteRange keys than MAX_SIGNATURES. */
  truncated: boolean;
}

const latin1 = (b: Buffer, from: number, to: number) => b.toString('latin1', Math.max(0, from), Math.min(b.length, to));
const isWs = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x00;
const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** `needle` within b[from, to) (clamped to the file), or -1: a bounded search, never the rest of the file. */
function indexIn(b: Buffer, needle: string, from: number, to: number): number {
  const lo = Math.max(0, from);
  const i = b.subarray(lo, Math.max(lo, Math.min(b.length, to))).indexOf(needle, 0, 'latin1');
  return i < 0 ? -1 : lo + i;
}
function lastIndexIn(b: Buffer, needle: string, from: number, to: number): number {
  const lo = Math.max(0, from);
  const part = b.subarray(lo, Math.max(lo, Math.min(b.length, to)));
  const i = part.lastIndexOf(needle, part.length, 'latin1');
  return i < 0 ? -1 : lo + i;
}

export function scanPdf(bytes: Uint8Array): ScanResult {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isPdf = indexIn(b, '%PDF-', 0, 1024 + 4) >= 0;
  if (!isPdf) return { isPdf, encrypted: false, signatures: [], truncated: false };
  // /Encrypt sits in the trailer (or xref-stream dictionary), which every revision repeats at the end;
  // linearized files also have one near the start. Searching only there saves a pass over big files.
  const edge = 1 << 20;
  const encrypted = b.length <= 2 * edge ? b.indexOf('/Encrypt') >= 0 : indexIn(b, '/Encrypt', 0, edge) >= 0 || indexIn(b, '/Encrypt', b.length - edge, b.length) >= 0;

  const signatures: ScannedSignature[] = [];
  const seen = new Set<string>();
  let from = 0;
  let keys = 0;
  let truncated = false;
  for (;;) {
    const at = b.indexOf('/ByteRange', from, 'latin1');
    if (at < 0) break;
    from = at + 10;
    // Counted before anything else, so no kind of repetition escapes the cap.
    if (++keys > MAX_KEYS) {
      truncated = true;
      break;
    }
    const range = readByteRange(b, at);
    if (range === 'placeholder') continue; // "/**********": not signed yet
    const key = 'byteRange' in range ? range.byteRange.join(',') : `@${at}`;
    if (seen.has(key)) continue; // the same dictionary re-written in a later revision
    seen.add(key);
    if (signatures.length === MAX_SIGNATURES) {
      truncated = true;
      break;
    }
    signatures.push(readSignature(b, at, range));
  }
  return { isPdf, encrypted, signatures, truncated };
}

type ByteRangeRead = 'placeholder' | { byteRange: number[] } | { problem: string; withMeta: boolean };

/** The array after a /ByteRange key, read from at most ARRAY_REACH bytes. */
function readByteRange(b: Buffer, at: number): ByteRangeRead {
  const open = indexIn(b, '[', at + 10, at + ARRAY_REACH);
  const close = open < 0 ? -1 : indexIn(b, ']', open, at + ARRAY_REACH);
  if (open < 0 || close < 0) return { problem: 'ByteRange is not a short array', withMeta: false };
  const items = latin1(b, open + 1, close).trim().split(/\s+/);
  if (items.some((x) => x.startsWith('/'))) return 'placeholder';
  const nums = items.map((x) => (/^\d{1,15}$/.test(x) ? Number(x) : NaN));
  if (nums.length < 2 || nums.length > 16 || nums.length % 2 !== 0 || nums.some((n) => !Number.isSafeInteger(n))) return { problem: 'ByteRange is not pairs of non-negative integers', withMeta: true };
  return { byteRange: nums };
}

function readSignature(b: Buffer, at: number, range: Exclude<ByteRangeRead, 'placeholder'>): ScannedSignature {
  if ('problem' in range) return { at, byteRange: null, problem: range.problem, ...(range.withMeta ? readMeta(b, at) : {}) };
  const br = range.byteRange;
  const meta = readMeta(b, at);
  for (let i = 0; i < br.length; i += 2) {
    if (br[i + 1]! <= 0 || br[i]! + br[i + 1]! > b.length || (i > 0 && br[i]! < br[i - 2]! + br[i - 1]!)) {
      return { at, byteRange: br, problem: 'ByteRange points outside the file or overlaps itself', ...meta };
    }
  }
  const shape = br.length !== 4 ? 'the ByteRange is not exactly two ranges' : br[0] !== 0 ? 'the ByteRange does not start at the beginning of the file' : undefined;
  const gap = shape ? undefined : gapContents(b, at, br[1]!, br[2]!);
  if (typeof gap === 'string' && /implausibly large/.test(gap)) return { at, byteRange: br, problem: gap, ...meta };
  const end = br[br.length - 2]! + br[br.length - 1]!;
  const eofAnomaly = end < b.length && !endsRevision(b, end) ? 'the signed ranges do not end at the end of a revision (%%EOF)' : undefined;
  if (gap instanceof Uint8Array) return { at, byteRange: br, contents: gap, ...(eofAnomaly ? { anomaly: eofAnomaly } : {}), ...meta };
  // An odd shape: the CMS is still read from this dictionary's own /Contents and checked over the
  // declared ranges, so a crafted range is reported for what it is, not as valid or as tampering.
  const contents = ownContents(b, at);
  const anomaly = shape ?? gap ?? eofAnomaly!;
  return contents ? { at, byteRange: br, contents, anomaly, ...meta } : { at, byteRange: br, problem: `${anomaly}, and its /Contents cannot be read`, ...meta };
}

/** The gap [gapStart, gapEnd) must be exactly this dictionary's /Contents hex string: its bytes, or why not. */
function gapContents(b: Buffer, at: number, gapStart: number, gapEnd: number): Uint8Array | string {
  if (gapEnd <= gapStart) return 'the ranges overlap';
  if (b[gapStart] !== 0x3c || b[gapEnd - 1] !== 0x3e) return 'the unsigned gap is not the /Contents hex string';
  const hexLen = gapEnd - gapStart - 2;
  if (hexLen <= 0 || hexLen % 2 !== 0) return 'the /Contents hex string has an odd or zero length';
  if (hexLen > MAX_CONTENTS_HEX) return 'the /Contents string is implausibly large';
  for (let i = gapStart + 1; i < gapEnd - 1; i++) {
    if (!isHex(b[i]!)) return 'the unsigned gap holds more than the /Contents hex string';
  }
  let k = gapStart - 1;
  const stop = Math.max(0, gapStart - WINDOW);
  while (k > stop && isWs(b[k])) k--;
  if (latin1(b, k - 8, k + 1) !== '/Contents') return 'the unsigned gap is not preceded by /Contents';
  // /ByteRange and /Contents must sit in the same object (measured before any text is made of it).
  const [from, to] = gapStart < at ? [gapEnd, at] : [at, gapStart];
  if (to - from > WINDOW || /\bendobj\b|\bobj\b/.test(latin1(b, from, to))) return '/Contents and /ByteRange belong to different objects';
  return new Uint8Array(Buffer.from(latin1(b, gapStart + 1, gapEnd - 1), 'hex'));
}

/** A revision ends with %%EOF and an optional end-of-line. */
function endsRevision(b: Buffer, end: number): boolean {
  return /%%EOF\s{0,2}$/.test(latin1(b, end - 8, end));
}

/** This dictionary's own `/Contents <hex>`, looked for within its object only. */
function ownContents(b: Buffer, at: number): Uint8Array | undefined {
  const objStart = Math.max(0, lastIndexIn(b, ' obj', at - WINDOW, at), at - WINDOW);
  const objEnd = indexIn(b, 'endobj', at, at + MAX_CONTENTS_HEX + WINDOW);
  const key = indexIn(b, '/Contents', objStart, objEnd < 0 ? at + WINDOW : objEnd);
  if (key < 0) return undefined;
  let i = key + 9;
  while (isWs(b[i])) i++;
  if (b[i] !== 0x3c) return undefined;
  const close = indexIn(b, '>', i, i + MAX_CONTENTS_HEX + 2);
  if (close < 0) return undefined;
  const hex = latin1(b, i + 1, close).replace(/\s+/g, '');
  return /^[0-9A-Fa-f]+$/.test(hex) && hex.length % 2 === 0 ? new Uint8Array(Buffer.from(hex, 'hex')) : undefined;
}

/** /SubFilter, /Type, /M and the field name near the dictionary (best effort, for display only). */
function readMeta(b: Buffer, at: number): Pick<ScannedSignature, 'subFilter' | 'type' | 'claimedTime'> {
  const objStart = Math.max(0, lastIndexIn(b, ' obj', at - WINDOW, at), at - WINDOW);
  let objEnd = indexIn(b, 'endobj', at, at + WINDOW);
  if (objEnd < 0) objEnd = Math.min(b.length, at + WINDOW);
  // Drop the (possibly long) hex gap before matching.
  const text = latin1(b, objStart, objEnd).replace(/<[0-9A-Fa-f\s]{64,}>/g, '<>');
  const name = (key: string) => new RegExp(`/${key}\\s*/([A-Za-z0-9.#_-]{1,64})`).exec(text)?.[1];
  const time = /\/M\s*\(([^)]{1,40})\)/.exec(text)?.[1];
  return { subFilter: name('SubFilter'), type: name('Type'), claimedTime: time };
}

/** PDF date "D:YYYYMMDDHHmmSS+HH'mm'" → Date (undefined when unreadable). */
export function parsePdfDate(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?/.exec(s);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', sign, oh = '00', om = '00'] = m;
  const base = Date.UTC(+y!, +mo - 1, +d, +h, +mi, +se);
  const off = (sign === '+' ? 1 : sign === '-' ? -1 : 0) * (+oh * 60 + +om) * 60_000;
  const t = new Date(base - off);
  return Number.isNaN(t.getTime()) ? undefined : t;
}
