/**
 * Finds signature dictionaries in raw PDF bytes, without a PDF parser: a signature's /ByteRange
 * and /Contents must be literal bytes in the file (never inside an object stream), so scanning
 * is both enough and safe for hostile input. Everything is bounded: at most MAX_SIGNATURES,
 * a window of WINDOW bytes around each, and no regular expression runs over the whole file.
 */
export const MAX_SIGNATURES = 32;
/** Larger /Contents than this is not a plausible CMS; treated as broken, never decoded. */
export const MAX_CONTENTS_HEX = 1 << 20;
const WINDOW = 64 * 1024;

export interface ScannedSignature {
  /** Offset of the /ByteRange key. */
  at: number;
  byteRange: [number, number, number, number] | null;
  /** Why the ByteRange is unusable, when it is. */
  problem?: string;
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

export function scanPdf(bytes: Uint8Array): ScanResult {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = b.indexOf('%PDF-');
  const isPdf = head >= 0 && head < 1024;
  if (!isPdf) return { isPdf, encrypted: false, signatures: [], truncated: false };
  // /Encrypt sits in the trailer (or xref-stream dictionary), which every revision repeats at the end;
  // linearized files also have one near the start. Searching only there saves a pass over big files.
  const edge = 1 << 20;
  const encrypted = b.length <= 2 * edge ? b.indexOf('/Encrypt') >= 0 : b.subarray(0, edge).indexOf('/Encrypt') >= 0 || b.subarray(b.length - edge).indexOf('/Encrypt') >= 0;

  const signatures: ScannedSignature[] = [];
  const seen = new Set<string>();
  let from = 0;
  let truncated = false;
  for (;;) {
    const at = b.indexOf('/ByteRange', from);
    if (at < 0) break;
    from = at + 10;
    const sig = readSignature(b, at);
    if (!sig) continue; // an unsigned placeholder
    const key = sig.byteRange ? sig.byteRange.join(',') : `@${at}`;
    if (seen.has(key)) continue; // the same dictionary re-written in a later revision
    seen.add(key);
    if (signatures.length === MAX_SIGNATURES) {
      truncated = true;
      break;
    }
    signatures.push(sig);
  }
  return { isPdf, encrypted, signatures, truncated };
}

function readSignature(b: Buffer, at: number): ScannedSignature | null {
  const open = b.indexOf('[', at + 10);
  const close = open < 0 ? -1 : b.indexOf(']', open);
  if (open < 0 || close < 0 || close - at > 256) return { at, byteRange: null, problem: 'ByteRange is not a short array' };
  const items = latin1(b, open + 1, close).trim().split(/\s+/);
  if (items.some((x) => x.startsWith('/'))) return null; // "/**********" placeholders: not signed yet
  const nums = items.map((x) => (/^\d{1,15}$/.test(x) ? Number(x) : NaN));
  const meta = readMeta(b, at);
  if (nums.length !== 4 || nums.some((n) => !Number.isSafeInteger(n))) return { at, byteRange: null, problem: 'ByteRange is not four non-negative integers', ...meta };
  const br = nums as [number, number, number, number];
  const [a, len1, start2, len2] = br;
  if (a !== 0) return { at, byteRange: br, problem: 'ByteRange does not start at the beginning of the file', ...meta };
  if (len1 <= 0 || start2 <= len1 || start2 + len2 > b.length) return { at, byteRange: br, problem: 'ByteRange points outside the file or overlaps itself', ...meta };

  // The gap must be exactly one hex string, and that string must be this dictionary's /Contents.
  const gapStart = len1;
  const gapEnd = start2;
  if (b[gapStart] !== 0x3c || b[gapEnd - 1] !== 0x3e) return { at, byteRange: br, problem: 'the unsigned gap is not the /Contents hex string', ...meta };
  const hexLen = gapEnd - gapStart - 2;
  if (hexLen <= 0 || hexLen % 2 !== 0) return { at, byteRange: br, problem: 'the /Contents hex string has an odd or zero length', ...meta };
  if (hexLen > MAX_CONTENTS_HEX) return { at, byteRange: br, problem: 'the /Contents string is implausibly large', ...meta };
  for (let i = gapStart + 1; i < gapEnd - 1; i++) {
    if (!isHex(b[i]!)) return { at, byteRange: br, problem: 'the unsigned gap holds more than the /Contents hex string', ...meta };
  }
  let k = gapStart - 1;
  while (k > 0 && isWs(b[k])) k--;
  if (latin1(b, k - 8, k + 1) !== '/Contents') return { at, byteRange: br, problem: 'the unsigned gap is not preceded by /Contents', ...meta };
  // /ByteRange and /Contents must sit in the same object.
  const between = gapStart < at ? latin1(b, gapEnd, at) : latin1(b, at, gapStart);
  if (between.length > WINDOW || /\bendobj\b|\bobj\b/.test(between)) return { at, byteRange: br, problem: '/Contents and /ByteRange belong to different objects', ...meta };

  const contents = new Uint8Array(Buffer.from(latin1(b, gapStart + 1, gapEnd - 1), 'hex'));
  return { at, byteRange: br, contents, ...meta };
}

/** /SubFilter, /Type, /M and the field name near the dictionary (best effort, for display only). */
function readMeta(b: Buffer, at: number): Pick<ScannedSignature, 'subFilter' | 'type' | 'claimedTime'> {
  const objStart = Math.max(0, b.lastIndexOf(' obj', at), at - WINDOW);
  let objEnd = b.indexOf('endobj', at);
  if (objEnd < 0 || objEnd - at > WINDOW) objEnd = Math.min(b.length, at + WINDOW);
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
