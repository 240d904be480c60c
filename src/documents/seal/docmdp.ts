import { PDFArray, PDFDict, PDFName, PDFNumber, type PDFObject } from 'pdf-lib';
import { AppError } from '../../lib/app-error.js';

/**
 * A certification signature with DocMDP permission 1 (PDF 32000-1 §12.8.2.2) forbids every later
 * change, so even an incremental update would void it. Sealing such a file is refused up front.
 */
export type Deref = (obj: PDFObject | undefined) => PDFObject | undefined;

export function docMdpPermission(catalog: PDFDict, deref: Deref): number | undefined {
  const get = <T>(d: PDFDict | undefined, key: string, type: { prototype: T }): T | undefined => {
    const v = deref(d?.get(PDFName.of(key)));
    return v instanceof (type as unknown as typeof PDFDict) ? (v as T) : undefined;
  };
  const sig = get(get(catalog, 'Perms', PDFDict), 'DocMDP', PDFDict);
  const refs = get(sig, 'Reference', PDFArray);
  if (!refs) return undefined;
  for (const item of refs.asArray()) {
    const ref = deref(item);
    if (!(ref instanceof PDFDict) || ref.get(PDFName.of('TransformMethod')) !== PDFName.of('DocMDP')) continue;
    // /P defaults to 2 (form filling and signing allowed).
    return get(get(ref, 'TransformParams', PDFDict), 'P', PDFNumber)?.asNumber() ?? 2;
  }
  return undefined;
}

/** `deref` resolves references (pdf-lib: `(o) => doc.context.lookup(o)`). */
export function refuseIfCertifiedLocked(catalog: PDFDict, deref: Deref): void {
  if (docMdpPermission(catalog, deref) === 1) {
    throw new AppError('PDF_CERTIFIED_LOCKED', 'This PDF carries a certification signature that allows no changes; it cannot be signed or sealed without voiding that signature.');
  }
}
