import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFInvalidObject, PDFName, PDFNumber, PDFString, type PDFContext, type PDFRef } from 'pdf-lib';

/**
 * Adds an empty PAdES signature (invisible widget, /Sig dictionary, AcroForm /SigFlags 3) to a
 * pdf-lib document, to be written by the same save that writes the document.
 *
 * Ours rather than @signpdf/placeholder-pdf-lib because we need a field name of our own (that
 * package always names it "Signature1", which clashes with templates that carry such a field) and
 * a fixed-width, unique /ByteRange marker we can patch in place after the save (see splice.ts).
 * Like that package, the dictionary is registered as a PDFInvalidObject: pdf-lib writes its bytes
 * verbatim and never moves it into an object stream, where /Contents could not be a byte gap.
 */
export const SEAL_FIELD_NAME = 'b24-sign seal';

/** Unique and wide enough for `[0 b c d]` with 11-digit offsets; patched in place, same length. */
export const BYTE_RANGE_MARKER = '/ByteRange [0 /B24SIGN_BYTE_RANGE_PLACEHOLDER__________________]';

export interface PlaceholderOptions {
  /** Hex characters reserved for the CMS: the CMS may be at most half as many bytes. */
  contentsHexLength: number;
  /** /M, the claimed signing time (B-B forbids a signing-time attribute; this is where it goes). */
  signingTime: Date;
  name: string;
  reason: string;
  location?: string;
  contactInfo?: string;
}

const text = (s: string) => PDFHexString.fromText(s).toString();

export function sigDictionaryText(o: PlaceholderOptions): string {
  if (o.contentsHexLength % 2 !== 0 || o.contentsHexLength < 2) throw new Error('contentsHexLength must be a positive even number');
  return [
    '<<',
    '/Type /Sig',
    '/Filter /Adobe.PPKLite',
    '/SubFilter /ETSI.CAdES.detached',
    BYTE_RANGE_MARKER,
    `/Contents <${'0'.repeat(o.contentsHexLength)}>`,
    `/M ${PDFString.fromDate(o.signingTime).toString()}`,
    `/Name ${text(o.name)}`,
    `/Reason ${text(o.reason)}`,
    ...(o.location ? [`/Location ${text(o.location)}`] : []),
    ...(o.contactInfo ? [`/ContactInfo ${text(o.contactInfo)}`] : []),
    '/Prop_Build << /App << /Name /b24-sign >> /Filter << /Name /Adobe.PPKLite >> >>',
    '>>',
  ].join('\n');
}

export function addSealPlaceholder(doc: PDFDocument, o: PlaceholderOptions): void {
  const page = doc.getPages()[0];
  if (!page) throw new Error('Cannot seal a document without pages');
  addSealPlaceholderTo(doc.context, doc.catalog, { ref: page.ref, node: page.node }, o);
}

/**
 * The same on a bare context (the incremental fast path has no PDFDocument): `page` is the page the
 * widget sits on; the page's /Annots and the catalog's /AcroForm must already resolve in `ctx`.
 */
export function addSealPlaceholderTo(ctx: PDFContext, catalog: PDFDict, page: { ref: PDFRef; node: PDFDict }, o: PlaceholderOptions): void {
  addSignatureField(ctx, catalog, page, sigDictionaryText(o), SEAL_FIELD_NAME);
}

/**
 * An invisible signature field whose value is `dictionaryText` written verbatim (it must hold
 * BYTE_RANGE_MARKER and a zero-filled /Contents): the seal's /Sig, or a /DocTimeStamp (long-term.ts).
 */
export function addSignatureField(ctx: PDFContext, catalog: PDFDict, page: { ref: PDFRef; node: PDFDict }, dictionaryText: string, fieldName: string): void {
  const sigRef = ctx.register(PDFInvalidObject.of(new TextEncoder().encode(dictionaryText)));

  // An invisible widget (zero rectangle) with an empty appearance, as PDF/A and Acrobat expect.
  const appearance = ctx.register(ctx.formXObject([], { BBox: [0, 0, 0, 0], Resources: {} }));
  const widget = ctx.register(
    ctx.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      Rect: [0, 0, 0, 0],
      V: sigRef,
      T: PDFString.of(fieldName),
      F: 132, // Print + Locked
      P: page.ref,
      AP: { N: appearance },
    }),
  );

  const annots = page.node.lookupMaybe(PDFName.of('Annots'), PDFArray) ?? ctx.obj([]);
  annots.push(widget);
  page.node.set(PDFName.of('Annots'), annots);

  let acroForm = catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  if (!acroForm) {
    acroForm = ctx.obj({ Fields: [] });
    catalog.set(PDFName.of('AcroForm'), ctx.register(acroForm));
  }
  const flags = acroForm.lookupMaybe(PDFName.of('SigFlags'), PDFNumber)?.asNumber() ?? 0;
  acroForm.set(PDFName.of('SigFlags'), PDFNumber.of(flags | 3)); // SignaturesExist | AppendOnly
  let fields = acroForm.lookupMaybe(PDFName.of('Fields'), PDFArray);
  if (!fields) {
    fields = ctx.obj([]);
    acroForm.set(PDFName.of('Fields'), fields);
  }
  fields.push(widget);
}
