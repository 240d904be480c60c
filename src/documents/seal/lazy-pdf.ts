import { inflateZlib } from '../../lib/inflate.mjs';
import { PDFArray, PDFContext, PDFDict, PDFName, PDFNumber, PDFObjectParser, PDFRawStream, PDFRef, type PDFObject } from 'pdf-lib';
import { fingerprint, readLastXref, type Fingerprint, type IncrementalBase } from './incremental.js';

/**
 * Opens an existing PDF for an incremental edit WITHOUT parsing it whole: only the cross-reference
 * sections (following /Prev) and the objects the caller looks up are read, into a pdf-lib context
 * under their own object numbers. That is what makes sealing a 10 MB file cost little more than
 * hashing it. Anything this reader does not handle (hybrid /XRefStm files, unusual filters, broken
 * offsets) throws `LazyPdfUnsupported`; the caller then takes the full pdf-lib load instead.
 */
export class LazyPdfUnsupported extends Error {
  /** True when the file itself is sound and only this reader lacks the feature (hybrid xref, a filter). */
  constructor(message: string, readonly featureOnly = false) {
    super(message);
  }
}

/**
 * Whether the file's cross-reference chain can be appended to: every section from the last
 * `startxref` back through /Prev reads cleanly. pdf-lib recovers files whose xref is broken by
 * scanning; an update pointing back at a broken table would lean on every reader doing the same.
 */
export function xrefChainIsSound(bytes: Uint8Array): boolean {
  try {
    openLazy(bytes);
    return true;
  } catch (e) {
    return e instanceof LazyPdfUnsupported && e.featureOnly;
  }
}

/** null: a free entry in a newer section, which hides older entries of that number. */
type Entry = { offset: number } | { stream: number; index: number } | null;

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const HEADER = /^\s*(\d+)\s+(\d+)\s+obj\b/;

export interface LazyPdf {
  readonly context: PDFContext;
  readonly base: IncrementalBase;
  readonly catalog: PDFDict;
  readonly catalogRef: PDFRef;
  /** Loads (once) and returns the object behind `ref`, or the object itself when it is direct. */
  resolve(obj: PDFObject | undefined): PDFObject | undefined;
}

export function openLazy(bytes: Uint8Array): LazyPdf {
  const last = readLastXref(bytes);
  const entries = new Map<number, Entry>();
  let trailer: PDFDict | undefined;
  const context = PDFContext.create();
  const seen = new Set<number>();
  for (let at: number | undefined = last.prevXref; at !== undefined; ) {
    if (seen.has(at) || seen.size > 1000) throw new LazyPdfUnsupported('xref /Prev loop');
    seen.add(at);
    const dict: PDFDict = last.xrefStream || !/^\s*xref/.test(latin1(bytes.subarray(at, at + 16))) ? readXrefStream(bytes, at, context, entries) : readXrefTable(bytes, at, context, entries);
    trailer ??= dict;
    if (dict.get(PDFName.of('XRefStm'))) throw new LazyPdfUnsupported('hybrid-reference file', true);
    if (dict.get(PDFName.of('Encrypt'))) throw new LazyPdfUnsupported('encrypted', true);
    const prev: PDFObject | undefined = dict.get(PDFName.of('Prev'));
    at = prev instanceof PDFNumber ? prev.asNumber() : undefined;
  }
  const rootRef = trailer?.get(PDFName.of('Root'));
  if (!(rootRef instanceof PDFRef)) throw new LazyPdfUnsupported('no /Root');
  context.trailerInfo = { Root: rootRef, Info: trailer!.get(PDFName.of('Info')), ID: trailer!.get(PDFName.of('ID')) };

  const objectStreams = new Map<number, { first: number; offsets: number[]; data: Uint8Array }>();
  const load = (ref: PDFRef): PDFObject | undefined => {
    const have = context.lookup(ref);
    if (have) return have;
    const e = entries.get(ref.objectNumber);
    if (!e) return undefined;
    let obj: PDFObject;
    if ('offset' in e) obj = parseAt(bytes, e.offset, context, ref);
    else {
      let os = objectStreams.get(e.stream);
      if (!os) {
        const se = entries.get(e.stream);
        if (!se || !('offset' in se)) throw new LazyPdfUnsupported('object stream not found');
        const raw = parseAt(bytes, se.offset, context);
        if (!(raw instanceof PDFRawStream)) throw new LazyPdfUnsupported('object stream is not a stream');
        const data = decodeStream(raw);
        const n = (raw.dict.get(PDFName.of('N')) as PDFNumber).asNumber();
        const first = (raw.dict.get(PDFName.of('First')) as PDFNumber).asNumber();
        const nums = latin1(data.subarray(0, first)).trim().split(/\s+/).map(Number);
        os = { first, data, offsets: Array.from({ length: n }, (_, i) => nums[2 * i + 1]!) };
        objectStreams.set(e.stream, os);
      }
      const off = os.offsets[e.index];
      if (off === undefined) throw new LazyPdfUnsupported('object stream index out of range');
      obj = PDFObjectParser.forBytes(os.data.subarray(os.first + off), context).parseObject();
    }
    context.assign(ref, obj);
    fingerprints.set(ref, fingerprint(obj));
    return obj;
  };
  const fingerprints = new Map<PDFRef, Fingerprint>();
  const resolve = (obj: PDFObject | undefined) => (obj instanceof PDFRef ? load(obj) : obj);
  const catalog = load(rootRef);
  if (!(catalog instanceof PDFDict)) throw new LazyPdfUnsupported('the catalog is not a dictionary');
  context.largestObjectNumber = Math.max(last.size - 1, ...entries.keys());
  return { context, catalog, catalogRef: rootRef, resolve, base: { original: bytes, ...last, fingerprints } };
}

/** Parses `N G obj …` at `offset`; checks the header names the expected object. */
function parseAt(bytes: Uint8Array, offset: number, context: PDFContext, expect?: PDFRef): PDFObject {
  const head = HEADER.exec(latin1(bytes.subarray(offset, offset + 40)));
  if (!head) throw new LazyPdfUnsupported(`no object at offset ${offset}`);
  if (expect && Number(head[1]) !== expect.objectNumber) throw new LazyPdfUnsupported('xref offset points at another object');
  return PDFObjectParser.forBytes(bytes.subarray(offset + head[0].length), context).parseObject();
}

function readXrefTable(bytes: Uint8Array, at: number, context: PDFContext, entries: Map<number, Entry>): PDFDict {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const t = buf.indexOf('trailer', at, 'latin1');
  if (t < 0) throw new LazyPdfUnsupported('xref table without trailer');
  const lines = latin1(bytes.subarray(at, t)).split(/\r\n|\r|\n/);
  let num = 0;
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    if (!line) continue;
    const parts = line.split(/\s+/);
    if (parts.length === 2) num = Number(parts[0]);
    else if (parts.length === 3) {
      // The newest section is read first, so an object already known keeps its newer entry.
      if (parts[2] === 'n' && !entries.has(num)) entries.set(num, { offset: Number(parts[0]) });
      else if (!entries.has(num)) entries.set(num, null);
      num++;
    } else throw new LazyPdfUnsupported('malformed xref table');
  }
  const dict = PDFObjectParser.forBytes(bytes.subarray(t + 7), context).parseObject();
  if (!(dict instanceof PDFDict)) throw new LazyPdfUnsupported('trailer is not a dictionary');
  return dict;
}

function readXrefStream(bytes: Uint8Array, at: number, context: PDFContext, entries: Map<number, Entry>): PDFDict {
  const stream = parseAt(bytes, at, context);
  if (!(stream instanceof PDFRawStream) || stream.dict.get(PDFName.of('Type')) !== PDFName.of('XRef')) throw new LazyPdfUnsupported('not an xref stream');
  const d = stream.dict;
  const w = (d.get(PDFName.of('W')) as PDFArray).asArray().map((x) => (x as PDFNumber).asNumber());
  const size = (d.get(PDFName.of('Size')) as PDFNumber).asNumber();
  const indexArr = d.get(PDFName.of('Index'));
  const index = indexArr instanceof PDFArray ? indexArr.asArray().map((x) => (x as PDFNumber).asNumber()) : [0, size];
  const data = decodeStream(stream);
  const rowLen = w[0]! + w[1]! + w[2]!;
  let p = 0;
  const field = (width: number, dflt: number) => {
    if (width === 0) return dflt;
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 256 + data[p++]!;
    return v;
  };
  for (let s = 0; s < index.length; s += 2) {
    for (let k = 0; k < index[s + 1]!; k++) {
      if (p + rowLen > data.length) throw new LazyPdfUnsupported('xref stream too short');
      const num = index[s]! + k;
      const type = field(w[0]!, 1);
      const a = field(w[1]!, 0);
      const b = field(w[2]!, 0);
      if (entries.has(num)) continue;
      if (type === 1) entries.set(num, { offset: a });
      else if (type === 2) entries.set(num, { stream: a, index: b });
      else entries.set(num, null);
    }
  }
  return d;
}

/** FlateDecode (with a PNG predictor, as xref and object streams use) or no filter; nothing else here. */
function decodeStream(stream: PDFRawStream): Uint8Array {
  const filter = stream.dict.get(PDFName.of('Filter'));
  const name = filter instanceof PDFArray ? (filter.size() === 1 ? filter.get(0) : undefined) : filter;
  if (name === undefined && filter === undefined) return stream.contents;
  if (name !== PDFName.of('FlateDecode')) throw new LazyPdfUnsupported('unsupported stream filter', true);
  // Bounded: these are xref and object streams of untrusted files (a bomb throws, and the caller falls back).
  const inflated = inflateZlib(stream.contents, { maxOutputLength: 64 * 1024 * 1024 });
  let parms = stream.dict.get(PDFName.of('DecodeParms'));
  if (parms instanceof PDFArray) parms = parms.get(0);
  if (!(parms instanceof PDFDict)) return inflated;
  const predictor = (parms.get(PDFName.of('Predictor')) as PDFNumber | undefined)?.asNumber() ?? 1;
  if (predictor === 1) return inflated;
  if (predictor < 10) throw new LazyPdfUnsupported('TIFF predictor', true);
  const columns = (parms.get(PDFName.of('Columns')) as PDFNumber | undefined)?.asNumber() ?? 1;
  return unPng(inflated, columns);
}

/** Undoes PNG row filters (one byte per pixel, as in xref streams). */
function unPng(data: Uint8Array, columns: number): Uint8Array {
  const rows = Math.floor(data.length / (columns + 1));
  const out = new Uint8Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (columns + 1)]!;
    const src = r * (columns + 1) + 1;
    const dst = r * columns;
    for (let c = 0; c < columns; c++) {
      const left = c > 0 ? out[dst + c - 1]! : 0;
      const up = r > 0 ? out[dst - columns + c]! : 0;
      const upLeft = r > 0 && c > 0 ? out[dst - columns + c - 1]! : 0;
      const x = data[src + c]!;
      let v: number;
      if (type === 0) v = x;
      else if (type === 1) v = x + left;
      else if (type === 2) v = x + up;
      else if (type === 3) v = x + ((left + up) >> 1);
      else if (type === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        v = x + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
      } else throw new LazyPdfUnsupported('bad PNG predictor row');
      out[dst + c] = v & 0xff;
    }
  }
  return out;
}
