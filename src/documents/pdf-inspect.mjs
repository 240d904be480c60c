// Plain JavaScript on purpose: this module also runs inside a worker thread, which starts without the
// TypeScript loader (tsx, vitest). Types: pdf-inspect.d.mts.
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef } from 'pdf-lib';

/**
 * Reads a PDF with pdf-lib and reports what an upload needs to know, or why it cannot be used.
 * Never throws: every failure becomes `{ ok: false, code }`.
 * @param {Uint8Array} bytes
 * @param {{ maxPages: number, trialSave?: boolean }} opts
 */
export async function analysePdf(bytes, opts) {
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
