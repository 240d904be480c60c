// Plain JavaScript on purpose: upload inspection (src/documents/pdf-inspect.mjs) imports it inside a
// worker thread that starts without the TypeScript loader. Types: inflate.d.mts.
import { Unzlib } from 'fflate';

/** More output than the caller allowed (`code` matches node:zlib's, which callers used to check). */
export class InflateLimitExceeded extends Error {
  /** @param {number} limit */
  constructor(limit) {
    super(`inflated data exceeds ${limit} bytes`);
    this.name = 'InflateLimitExceeded';
    this.code = 'ERR_BUFFER_TOO_LARGE';
  }
}

/** Input slice per push: fflate emits what each push decoded, so the limit stops a bomb within one slice's output. */
const SLICE = 16 * 1024;

/**
 * Inflates zlib-wrapped deflate data (PDF's FlateDecode) without node:zlib, so the domain runs on any
 * runtime (fflate, pure JavaScript). Bounded: past `maxOutputLength` bytes it throws
 * InflateLimitExceeded, so a bomb never decodes in full. With `partial`, data that ends before the
 * stream does (a damaged file) gives what was decoded so far instead of an error, as zlib's
 * Z_SYNC_FLUSH does.
 * @param {Uint8Array} data
 * @param {{ maxOutputLength: number; partial?: boolean }} opts
 * @returns {Uint8Array}
 */
export function inflateZlib(data, opts) {
  /** @type {Uint8Array[]} */
  const chunks = [];
  let total = 0;
  const stream = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > opts.maxOutputLength) throw new InflateLimitExceeded(opts.maxOutputLength);
    chunks.push(chunk);
  });
  if (data.length === 0) stream.push(data, !opts.partial);
  for (let at = 0; at < data.length; at += SLICE) {
    const end = Math.min(data.length, at + SLICE);
    stream.push(data.subarray(at, end), end === data.length && !opts.partial);
  }
  if (chunks.length === 1) return /** @type {Uint8Array} */ (chunks[0]);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
