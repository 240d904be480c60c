import { AppError } from '../lib/app-error.js';
import { OFF_THREAD_FULL, type OffThread } from '../lib/off-thread.js';
import { refuseIfCertifiedLocked } from './seal/docmdp.js';
import { openLazy } from './seal/lazy-pdf.js';
import type { PdfAnalysis } from './pdf-inspect.mjs';

/**
 * Accepting an uploaded PDF (or one fetched from the Bitrix24 document generator).
 *
 * Order of checks, cheapest first: size → header/version → byte-level sniff (encryption, existing
 * signatures) → a full pdf-lib parse and trial save in a worker thread with a time limit and a heap
 * limit. The worker is what keeps hostile files (millions of objects, deep nesting, decompression
 * bombs in object streams) from taking the server down: it is killed, the upload refused.
 *
 * Files that already carry digital signatures are accepted: everything added to them later (sender
 * values, recipients' marks, stamps, the certificate page, the seal) is appended as incremental
 * updates (seal/incremental.ts), so those signatures stay valid. Only a certification signature that
 * allows no change at all (DocMDP P=1) is refused, since any addition would void it.
 */
export interface UploadLimits {
  maxBytes: number;
  maxPages: number;
  timeoutMs: number;
  memoryMb: number;
}

export interface PdfInfo {
  version: string;
  pageCount: number;
  pages: Array<{ width: number; height: number; rotation: number }>;
  linearized: boolean;
  xrefStreams: boolean;
  objectStreams: boolean;
  /** Number of `%%EOF` markers: 1 for a file saved once, more after incremental updates. */
  revisions: number;
  formFields: number;
  /** Digital signatures already in the file; they stay valid (incremental updates only). */
  signatures: number;
  size: number;
  sha256: string;
}

export interface PdfSniff {
  /** `1.7`, `2.0`; empty when there is no %PDF header in the first KiB. */
  version: string;
  encrypted: boolean;
  /** Signature dictionaries with a numeric /ByteRange, i.e. applied signatures (placeholders do not count). */
  signatures: number;
  linearized: boolean;
  xrefStreams: boolean;
  objectStreams: boolean;
  revisions: number;
}

const latin1 = new TextDecoder('latin1');

function indexesOf(buf: Buffer, needle: string, limit = 10_000): number[] {
  const out: number[] = [];
  let i = buf.indexOf(needle, 0, 'latin1');
  while (i !== -1 && out.length < limit) {
    out.push(i);
    i = buf.indexOf(needle, i + needle.length, 'latin1');
  }
  return out;
}

/**
 * A byte-level look at a PDF without parsing it: native `indexOf` over the buffer, so it costs a few
 * milliseconds even for 25 MB. Signature dictionaries and the trailer's /Encrypt are never inside
 * compressed object streams (their offsets must be readable as they are), so a scan finds them.
 */
export function sniffPdf(bytes: Uint8Array): PdfSniff {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = latin1.decode(bytes.subarray(0, 1024));
  const version = /%PDF-(\d\.\d)/.exec(head)?.[1] ?? '';
  let signatures = 0;
  for (const i of indexesOf(buf, '/ByteRange')) {
    const after = latin1.decode(bytes.subarray(i + 10, i + 120));
    if (/^\s*\[\s*\d+\s+\d+\s+\d+\s+\d+\s*\]/.test(after)) signatures++;
  }
  let encrypted = false;
  for (const i of indexesOf(buf, '/Encrypt')) {
    // `/Encrypt 5 0 R` or `/Encrypt <<…>>` in a trailer or xref stream; not /EncryptMetadata.
    const after = latin1.decode(bytes.subarray(i + 8, i + 40));
    if (/^\s*(\d+\s+\d+\s+R|<<)/.test(after)) encrypted = true;
  }
  return {
    version,
    encrypted,
    signatures,
    linearized: /\/Linearized\b/.test(head),
    xrefStreams: /\/Type\s*\/XRef\b/.test(latin1.decode(bytes.subarray(Math.max(0, bytes.length - 64 * 1024)))) || indexesOf(buf, '/XRef', 1).length > 0,
    objectStreams: indexesOf(buf, '/ObjStm', 1).length > 0,
    revisions: indexesOf(buf, '%%EOF').length,
  };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Checks an upload and returns what the template editor needs (page sizes), or throws a specific AppError. */
export async function inspectUpload(bytes: Uint8Array, limits: UploadLimits, offThread: OffThread): Promise<PdfInfo> {
  if (bytes.byteLength > limits.maxBytes) {
    throw new AppError('PDF_TOO_LARGE', `The file is ${mb(bytes.byteLength)}; the limit is ${mb(limits.maxBytes)}.`, { size: bytes.byteLength, limit: limits.maxBytes });
  }
  const sniff = sniffPdf(bytes);
  if (!sniff.version) throw new AppError('PDF_INVALID', 'This file is not a PDF (it does not start with a %PDF header).');
  const [major, minor] = sniff.version.split('.').map(Number) as [number, number];
  if (major > 2 || (major === 2 && minor > 0)) {
    throw new AppError('PDF_INVALID', `PDF version ${sniff.version} is not supported (1.0 to 2.0 are).`, { version: sniff.version });
  }
  if (sniff.encrypted) throw encryptedError();
  if (sniff.signatures > 0) refuseIfLocked(bytes);

  const analysis = await analyseInWorker(bytes, limits, offThread);
  if (!analysis.ok) {
    if (analysis.code === 'encrypted') throw encryptedError();
    if (analysis.code === 'too_complex') throw tooComplex('its compressed objects expand to more than 64 MB');
    if (analysis.code === 'too_many_pages') {
      throw new AppError('PDF_TOO_MANY_PAGES', `The document has ${analysis.pageCount} pages; the limit is ${limits.maxPages}.`, { pages: analysis.pageCount, limit: limits.maxPages });
    }
    throw new AppError('PDF_INVALID', 'This PDF is damaged and could not be read. Re-export it from the program that made it and upload it again.', { detail: analysis.detail });
  }

  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return {
    version: sniff.version,
    pageCount: analysis.pageCount,
    pages: analysis.pages,
    linearized: sniff.linearized,
    xrefStreams: sniff.xrefStreams,
    objectStreams: sniff.objectStreams,
    revisions: sniff.revisions,
    formFields: analysis.formFields,
    signatures: Math.max(sniff.signatures, analysis.signedFields),
    size: bytes.byteLength,
    sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
  };
}

const encryptedError = () => new AppError('PDF_ENCRYPTED', 'This PDF is encrypted or password-protected. Remove the protection (print to PDF or save without a password) and upload it again.');
/**
 * DocMDP P=1 refuses every change. Read with the lazy reader (xref and a handful of objects, no full
 * parse); a file it cannot read that way is left to the worker's full parse, and to the seal's own check.
 */
function refuseIfLocked(bytes: Uint8Array): void {
  let lazy: ReturnType<typeof openLazy>;
  try {
    lazy = openLazy(bytes);
  } catch {
    return;
  }
  refuseIfCertifiedLocked(lazy.catalog, lazy.resolve);
}

const tooComplex = (why: string) => new AppError('PDF_TOO_COMPLEX', `This PDF is too complex to process safely (${why}). Re-export or simplify it and upload it again.`);

/** pdf-inspect off the main thread (the off-thread port; a fresh worker thread per file on Node): the main thread only waits. */
async function analyseInWorker(bytes: Uint8Array, limits: UploadLimits, offThread: OffThread): Promise<PdfAnalysis> {
  const data = { bytes: new Uint8Array(bytes), maxPages: limits.maxPages, trialSave: true };
  const out = await offThread.run<PdfAnalysis>('pdf-inspect', data, { limits: { timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb } });
  if (out === OFF_THREAD_FULL) throw new AppError('SERVICE_UNAVAILABLE', 'Too many files are being read right now; try again in a minute.', { retryAfterSeconds: 30 });
  if (out.ok) return out.value;
  if (out.reason === 'timeout') throw tooComplex(`reading it took longer than ${Math.round(limits.timeoutMs / 1000)} s`);
  if (out.reason === 'memory') throw tooComplex(`reading it needed more than ${limits.memoryMb} MB of memory`);
  if (out.reason === 'stack') throw tooComplex('its structure is nested too deeply');
  if (out.reason === 'error') return { ok: false, code: 'invalid', detail: out.detail };
  throw tooComplex(`the reader stopped unexpectedly (${out.detail})`);
}

export function uploadLimitsFrom(config: { UPLOAD_MAX_BYTES: number; UPLOAD_MAX_PAGES: number; UPLOAD_PARSE_TIMEOUT_MS: number; UPLOAD_PARSE_MEMORY_MB: number }): UploadLimits {
  return { maxBytes: config.UPLOAD_MAX_BYTES, maxPages: config.UPLOAD_MAX_PAGES, timeoutMs: config.UPLOAD_PARSE_TIMEOUT_MS, memoryMb: config.UPLOAD_PARSE_MEMORY_MB };
}
