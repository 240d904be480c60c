// Plain JavaScript on purpose: this module also runs inside a worker thread, which starts without the
// TypeScript loader (tsx, vitest). Types: pdf-inspect.d.mts.
import { inflateZlib } from '../lib/inflate.mjs';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef } from 'pdf-lib';

/**
 * pdf-lib inflates every object stream while it parses, with no size bound, and the renderer parses
 * the file again later on the main thread. So a small upload whose object streams inflate to
 * gigabytes must be refused here, by size rather than by the clock: inflateZlib (src/lib/inflate.mjs)
 * stops at the budget instead of decoding it all.
 */
const OBJSTM_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * Reads a PDF with pdf-lib and reports what an upload needs to know, or why it cannot be used.
 * Never throws: every failure becomes `{ ok: false, code }`.
 * @param {Uint8Array} bytes
 * @param {{ maxPages: number, trialSave?: boolean }} opts
 */
export async function analysePdf(bytes, opts) {
  if (!objectStreamsWithinBudget(bytes)) return { ok: false, code: 'too_complex', detail: 'object streams inflate beyond the budget' };
  let doc;
  try {
    doc = await PDFDocument.load(bytes, { updateMetadata: false });
  } catch (e) {
    const name = e && e.constructor ? e.constructor.name : '';
    if (name === 'EncryptedPDFError' || /encrypted/i.test(String(e && e.message))) return { ok: false, code: 'encrypted' };
    return { ok: false, code: 'invalid', detail: short(e) };
  }
  try {
    const pageCount = doc.getPageCount();
    if (pageCount < 1) return { ok: false, code: 'invalid', detail: 'the document has no pages' };
    if (pageCount > opts.maxPages) return { ok: false, code: 'too_many_pages', pageCount };
    const pages = doc.getPages().map((p) => {
      const crop = p.getCropBox();
      return { width: round(crop.width), height: round(crop.height), rotation: p.getRotation().angle % 360 };
    });
    const { formFields, signedFields } = inspectForm(doc);
    if (opts.trialSave) {
      // Rendering will load and save this file again; prove now, under the worker's limits, that it can.
      await doc.save({ useObjectStreams: true });
    }
    return { ok: true, pageCount, pages, formFields, signedFields };
  } catch (e) {
    return { ok: false, code: 'invalid', detail: short(e) };
  }
}

/**
 * Inflates each FlateDecode object stream found in the raw bytes, capped at what is left of the
 * budget. Streams that do not inflate (other filters, damage) are left for pdf-lib to judge.
 * @param {Uint8Array} bytes
 */
function objectStreamsWithinBudget(bytes) {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const marker = /\/Type\s*\/ObjStm\b/g;
  let left = OBJSTM_BUDGET_BYTES;
  for (let m = marker.exec(text); m; m = marker.exec(text)) {
    const keyword = text.indexOf('stream', m.index);
    if (keyword < 0) break;
    let start = keyword + 6;
    if (text[start] === '\r') start++;
    if (text[start] === '\n') start++;
    const end = text.indexOf('endstream', start);
    if (end < 0) break;
    try {
      left -= inflateZlib(bytes.subarray(start, end), { maxOutputLength: Math.max(1, left), partial: true /* tolerate a missing end */ }).length;
    } catch (e) {
      if (e && e.code === 'ERR_BUFFER_TOO_LARGE') return false;
    }
    if (left <= 0) return false;
    marker.lastIndex = end;
  }
  return true;
}

/** Counts AcroForm fields and signature fields that carry a value (a signature dictionary). */
function inspectForm(doc) {
  const acro = doc.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  if (!acro) return { formFields: 0, signedFields: 0 };
  let formFields = 0;
  let signedFields = 0;
  const seen = new Set();
  const walk = (arr, depth) => {
    if (!arr || depth > 32) return;
    for (let i = 0; i < arr.size(); i++) {
      const ref = arr.get(i);
      const key = ref instanceof PDFRef ? ref.toString() : null;
      if (key) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      const field = doc.context.lookupMaybe(ref, PDFDict);
      if (!field) continue;
      formFields++;
      const ft = field.lookupMaybe(PDFName.of('FT'), PDFName);
      if (ft && ft.asString() === '/Sig' && field.get(PDFName.of('V'))) signedFields++;
      const kids = field.lookupMaybe(PDFName.of('Kids'), PDFArray);
      walk(kids, depth + 1);
    }
  };
  const fields = acro.lookupMaybe(PDFName.of('Fields'), PDFArray);
  walk(fields, 0);
  return { formFields, signedFields };
}

const round = (n) => Math.round(n * 100) / 100;
const short = (e) => String((e && e.message) || e).slice(0, 200);
