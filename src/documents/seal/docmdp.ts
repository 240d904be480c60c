import { PDFArray, PDFDict, PDFName, PDFNumber, type PDFDocument } from 'pdf-lib';
import { AppError } from '../../http/errors.js';

/**
 * A certification signature with DocMDP permission 1 (PDF 32000-1 §12.8.2.2) forbids every later
 * change, so even an incremental update would void it. Sealing such a file is refused up front.
 */
export function docMdpPermission(doc: PDFDocument): number | undefined {
  const perms = doc.catalog.lookupMaybe(PDFName.of('Perms'), PDFDict);
  const sig = perms?.lookupMaybe(PDFName.of('DocMDP'), PDFDict);
  const refs = sig?.lookupMaybe(PDFName.of('Reference'), PDFArray);
  if (!sig || !refs) return undefined;
  for (let i = 0; i < refs.size(); i++) {
    const ref = refs.lookupMaybe(i, PDFDict);
    if (ref?.get(PDFName.of('TransformMethod')) !== PDFName.of('DocMDP')) continue;
    // /P defaults to 2 (form filling and signing allowed).
    return ref.lookupMaybe(PDFName.of('TransformParams'), PDFDict)?.lookupMaybe(PDFName.of('P'), PDFNumber)?.asNumber() ?? 2;
  }
  return undefined;
}

export function refuseIfCertifiedLocked(doc: PDFDocument): void {
  if (docMdpPermission(doc) === 1) {
    throw new AppError('PDF_CERTIFIED_LOCKED', 'This PDF carries a certification signature that allows no changes; it cannot be signed or sealed without voiding that signature.');
  }
}
