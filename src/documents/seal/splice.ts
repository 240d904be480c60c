import { BYTE_RANGE_MARKER } from './placeholder.js';

/**
 * Byte-range maths for a saved document that holds exactly one seal placeholder. Pure and in
 * place: the saved buffer is patched where it lies (no copies of a 10 MB file), which is also why
 * nothing can re-save it afterwards.
 */
export interface PlaceholderLocation {
  /** Offset of the /ByteRange marker text. */
  markerAt: number;
  /** Offset of '<' opening /Contents: the end of the first signed range. */
  contentsStart: number;
  /** Offset just past '>': the start of the second signed range. */
  contentsEnd: number;
}

const enc = new TextEncoder();
const MARKER = enc.encode(BYTE_RANGE_MARKER);
const CONTENTS = enc.encode('/Contents <');

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * `unique` scans the rest of the file for a second marker; sealPdf skips it (it just wrote the only
 * placeholder, and refuses documents that already had a signature), saving a pass over big files.
 */
export function locatePlaceholder(pdf: Uint8Array, opts: { unique?: boolean } = {}): PlaceholderLocation {
  const b = asBuffer(pdf);
  const markerAt = b.lastIndexOf(MARKER);
  if (markerAt < 0) throw new Error('No seal placeholder in the document');
  if ((opts.unique ?? true) && markerAt > 0 && b.lastIndexOf(MARKER, markerAt - 1) >= 0) throw new Error('More than one seal placeholder in the document');
  const c = b.indexOf(CONTENTS, markerAt + MARKER.length);
  if (c < 0) throw new Error('The seal placeholder has no /Contents');
  const contentsStart = c + CONTENTS.length - 1;
  const close = b.indexOf(0x3e /* > */, contentsStart);
  if (close < 0) throw new Error('The seal placeholder /Contents is not closed');
  return { markerAt, contentsStart, contentsEnd: close + 1 };
}

export function byteRangeFor(loc: PlaceholderLocation, fileLength: number): [number, number, number, number] {
  return [0, loc.contentsStart, loc.contentsEnd, fileLength - loc.contentsEnd];
}

/** Writes the real /ByteRange over the marker, padded with spaces to the same width. */
export function writeByteRange(pdf: Uint8Array, loc: PlaceholderLocation, range: readonly number[]): void {
  const text = `/ByteRange [${range.join(' ')}]`;
  if (text.length > MARKER.length) throw new Error('ByteRange does not fit its placeholder');
  pdf.set(enc.encode(text.padEnd(MARKER.length, ' ')), loc.markerAt);
}

/** Writes the CMS as hex into /Contents; the rest of the gap stays '0' (DER parsers stop at the end). */
export function writeContents(pdf: Uint8Array, loc: PlaceholderLocation, cms: Uint8Array): void {
  const room = loc.contentsEnd - loc.contentsStart - 2;
  if (cms.length * 2 > room) throw new Error(`The signature (${cms.length} bytes) exceeds its placeholder (${room / 2} bytes)`);
  pdf.set(enc.encode(asBuffer(cms).toString('hex')), loc.contentsStart + 1);
}
