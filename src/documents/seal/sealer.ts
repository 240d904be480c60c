/**
 * The platform seal: one PAdES signature per finished document.
 *
 * Contract (called by the signing flow; keep stable):
 *   const sealer = await createSealer(identity, { tsaUrl, fetch })   // once per process (entry/node.ts)
 *   const { bytes, sha256 } = await sealPdf(pdfDoc | pdfBytes, sealer)
 *
 * - Given the pdf-lib document the flow has just rendered from a built-in layout (stamps and certificate
 *   page included), the placeholder goes into that document and it is saved ONCE; the saved buffer is
 *   then signed in place. Nothing may re-save the result.
 * - Given bytes, or a document opened with `openIncremental` plus its snapshot (`opts.incremental`:
 *   uploads and document-generator PDFs), everything new is appended as ONE incremental update
 *   (incremental.ts): the original file is a byte-identical prefix of the result and signatures it
 *   carries stay valid (unless a certification signature forbids any change: PDF_CERTIFIED_LOCKED).
 * - PAdES B-B always; B-T (RFC 3161 signature timestamp) when the sealer has a TSA URL. With a TSA,
 *   `sealer.longTerm(sealed.bytes)` then appends B-LT/B-LTA evidence (long-term.ts); the signing flow
 *   calls it separately so that a failure there never loses the B-T seal.
 * - The key is an imported WebCrypto CryptoKey behind SealKey, built once; sealing reuses it.
 * - With a development identity every page gets a "development certificate" label before the save.
 */
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, type PDFObject } from 'pdf-lib';
import { AppError } from '../../lib/app-error.js';
import { createHasher, nativeHashing, sha256HexOf, sha256Of, toHex } from '../../lib/digest.js';
import type { SealIdentity } from '../certificates/identity.js';
import { stampDevelopmentLabel } from '../stamp.js';
import { createCmsBuilder, type CmsIdentity } from './cms.js';
import { parseCertificate } from './der.js';
import { webCryptoSealKey, type SealKey } from './key.js';
import { useBulkStreamCopy } from './bulk-streams.js';
import { addSealPlaceholder, addSealPlaceholderTo, type PlaceholderOptions } from './placeholder.js';
import { openLazy, xrefChainIsSound } from './lazy-pdf.js';
import { byteRangeFor, locatePlaceholder, writeByteRange, writeContents } from './splice.js';
import { requestTimestampToken } from './tsa.js';
import { appendUpdate, openIncremental, saveIncremental, type IncrementalBase } from './incremental.js';
import { refuseIfCertifiedLocked } from './docmdp.js';
import { addLongTermEvidence, type LongTermResult } from './long-term.js';

export interface Sealer {
  readonly development: boolean;
  /** DER certificates, leaf first, as embedded in every seal. */
  readonly certificates: readonly Uint8Array[];
  /** DER anchors the verifier trusts for our own seals (the top of our chain). */
  readonly trustRoots: readonly Uint8Array[];
  /** The certificate's common name, shown as the signer. */
  readonly signerName: string;
  readonly timestamped: boolean;
  /** Hex characters reserved for the CMS in the placeholder. */
  readonly contentsHexLength: number;
  /** A complete DER CMS (ContentInfo/SignedData) over `contentDigest` = SHA-256 of the signed byte ranges. */
  signDigest(contentDigest: Uint8Array): Promise<Uint8Array>;
  /**
   * With a TSA: B-T → B-LTA on a file this sealer sealed (DSS with OCSP/CRL data, then a document
   * timestamp), through the same fetch. Throws LongTermEvidenceError / TSA_UNAVAILABLE on failure.
   */
  longTerm?(sealedPdf: Uint8Array): Promise<LongTermResult>;
  /** The same identity and key with another TSA (a portal's own TSA URL, src/settings/portal-sealer.ts); B-LT/B-LTA follow it. */
  withTsa?(tsaUrl: string): Promise<Sealer>;
}

export interface SealerOptions {
  tsaUrl?: string;
  fetch?: typeof fetch;
  tsaTimeoutMs?: number;
  /** Per OCSP / CRL request of the long-term step; default 10 s. */
  revocationTimeoutMs?: number;
  /** A KMS/HSM key in place of the identity's CryptoKey. */
  key?: SealKey;
}

export async function createSealer(identity: SealIdentity, opts: SealerOptions = {}): Promise<Sealer> {
  const certificates = identity.chain.map(parseCertificate);
  const leafDer = identity.chain[0];
  if (!leafDer) throw new Error('A seal identity needs its certificate');
  const cmsIdentity: CmsIdentity = {
    certificates,
    key: opts.key ?? webCryptoSealKey(identity.privateKey),
    leafSha256: new Uint8Array(await crypto.subtle.digest('SHA-256', leafDer as Uint8Array<ArrayBuffer>)),
  };
  const cms = createCmsBuilder(cmsIdentity);
  const tsaUrl = opts.tsaUrl;
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const timestamp = tsaUrl ? (sig: Uint8Array) => requestTimestampToken({ url: tsaUrl, fetch: doFetch, timeoutMs: opts.tsaTimeoutMs }, sig) : undefined;
  const chainBytes = identity.chain.reduce((n, c) => n + c.length, 0);
  // Room for the chain, the attributes and signature, and a TSA token with its own chain.
  const cmsBudget = chainBytes + 2048 + (tsaUrl ? 16384 : 0);
  return {
    development: identity.development,
    certificates: identity.chain,
    trustRoots: [identity.chain[identity.chain.length - 1]!],
    signerName: identity.subjectCommonName,
    timestamped: Boolean(tsaUrl),
    contentsHexLength: Math.ceil((cmsBudget * 2) / 1024) * 1024,
    signDigest: (digest) => cms.build(digest, timestamp),
    ...(tsaUrl ? { longTerm: (pdf: Uint8Array) => addLongTermEvidence(pdf, { tsaUrl, fetch: doFetch, timeoutMs: opts.revocationTimeoutMs ?? opts.tsaTimeoutMs }) } : {}),
    withTsa: (url: string) => createSealer(identity, { ...opts, key: cmsIdentity.key, tsaUrl: url }),
  };
}

export interface SealResult {
  bytes: Uint8Array;
  /** Lowercase hex SHA-256 of `bytes`, the key under which the sealed document is recorded. */
  sha256: string;
}

export interface SealOptions {
  /** /M in the signature dictionary; defaults to now. */
  signingTime?: Date;
  reason?: string;
  location?: string;
  /** pdf-lib object streams: smaller files but slower to write; default false (classic xref table). */
  useObjectStreams?: boolean;
  /**
   * The snapshot taken when the document was loaded from an existing file (`openIncremental`): the
   * seal, and every change made since, are appended as an incremental update after those bytes.
   */
  incremental?: IncrementalBase;
}

export async function sealPdf(input: PDFDocument | Uint8Array, sealer: Sealer, opts: SealOptions = {}): Promise<SealResult> {
  // An existing file (bytes) is always sealed incrementally: its bytes, and any signature it carries, stay intact.
  if (!(input instanceof PDFDocument) && !sealer.development) {
    const fast = await sealWithoutFullParse(input, sealer, opts);
    if (fast) return fast;
  }
  let base = opts.incremental;
  let doc: PDFDocument;
  if (input instanceof PDFDocument) doc = input;
  else ({ doc, base } = await loadForSealing(input));
  if (base) refuseIfCertifiedLocked(doc.catalog, (o) => (o ? doc.context.lookup(o) : undefined));
  else if (hasSignedField(doc)) {
    throw new AppError('PDF_ALREADY_SIGNED', 'This PDF already carries a digital signature; re-saving it would break that signature.');
  }
  if (sealer.development) await stampDevelopmentLabel(doc);
  addSealPlaceholder(doc, placeholderOptions(sealer, opts));
  useBulkStreamCopy(doc);
  if (base) return sealSavedPdf(await saveIncremental(doc, base), sealer, { placeholderIsOurs: true });
  // objectsPerTick: Infinity — pdf-lib otherwise yields to the event loop (setTimeout 0, ≥1 ms) every
  // 50 objects; no object streams by default — pdf-lib deflates them in JS, costing 10+ ms for 50 pages.
  const saved = await doc.save({ updateFieldAppearances: false, addDefaultPage: false, useObjectStreams: opts.useObjectStreams ?? false, objectsPerTick: Infinity });
  return sealSavedPdf(saved, sealer, { placeholderIsOurs: true });
}

function placeholderOptions(sealer: Sealer, opts: SealOptions): PlaceholderOptions {
  return {
    contentsHexLength: sealer.contentsHexLength,
    signingTime: opts.signingTime ?? new Date(),
    name: sealer.signerName,
    reason: opts.reason ?? (sealer.development ? 'Sealed by b24-sign (development certificate)' : 'Sealed by b24-sign'),
    location: opts.location,
  };
}

/**
 * The seal alone on an existing file, reading only its cross-reference sections, the catalog, the
 * AcroForm and the first page (lazy-pdf.ts), then appending the update. Returns undefined when the
 * file needs the full pdf-lib load (a structure the lazy reader does not handle, or a broken file,
 * which the full load then reports with the right error code).
 */
export async function sealWithoutFullParse(bytes: Uint8Array, sealer: Sealer, opts: SealOptions = {}): Promise<SealResult | undefined> {
  let updated: Uint8Array;
  try {
    const lazy = openLazy(bytes);
    const { resolve, catalog } = lazy;
    refuseIfCertifiedLocked(catalog, resolve);
    let ref: PDFObject | undefined = catalog.get(PDFName.of('Pages'));
    let node = resolve(ref);
    for (let depth = 0; node instanceof PDFDict && node.get(PDFName.of('Type')) !== PDFName.of('Page'); depth++) {
      const kids = resolve(node.get(PDFName.of('Kids')));
      if (!(kids instanceof PDFArray) || depth > 64) return undefined;
      ref = kids.get(0);
      node = resolve(ref);
    }
    if (!(node instanceof PDFDict) || !(ref instanceof PDFRef)) return undefined;
    // What addSealPlaceholderTo looks up must be in the context.
    resolve(node.get(PDFName.of('Annots')));
    const acroForm = resolve(catalog.get(PDFName.of('AcroForm')));
    if (acroForm instanceof PDFDict) {
      resolve(acroForm.get(PDFName.of('Fields')));
      resolve(acroForm.get(PDFName.of('SigFlags')));
    }
    addSealPlaceholderTo(lazy.context, catalog, { ref, node }, placeholderOptions(sealer, opts));
    updated = appendUpdate(lazy.context, lazy.catalogRef, lazy.base);
  } catch (e) {
    if (e instanceof AppError) throw e;
    return undefined;
  }
  return sealSavedPdf(updated, sealer, { placeholderIsOurs: true });
}

/**
 * Signs a saved document holding our placeholder, in place. One pass of SHA-256 over the file: the
 * hash state after the first range is forked, so the digest of the final bytes costs only the
 * /Contents and the short tail after it (pdf-lib writes the signature dictionary last).
 * node:crypto's Hash.copy() is used for that fork; Workers provide it under nodejs_compat.
 */
export async function sealSavedPdf(pdf: Uint8Array, sealer: Sealer, opts: { placeholderIsOurs?: boolean } = {}): Promise<SealResult> {
  const loc = locatePlaceholder(pdf, { unique: !opts.placeholderIsOurs });
  const range = byteRangeFor(loc, pdf.length);
  writeByteRange(pdf, loc, range);

  const head = pdf.subarray(0, loc.contentsStart);
  const tail = pdf.subarray(loc.contentsEnd);
  if (nativeHashing()) {
    // One pass over the file: the state after the bytes before /Contents serves both the signed digest and,
    // once the signature is written, the whole file's hash (a 10 MB seal hashed it twice and copied it once).
    const beforeContents = createHasher('SHA-256').update(head);
    const whole = beforeContents.clone();
    const cms = await sealer.signDigest(beforeContents.update(tail).digest());
    writeContents(pdf, loc, cms);
    return { bytes: pdf, sha256: toHex(whole.update(pdf.subarray(loc.contentsStart, loc.contentsEnd)).update(tail).digest()) };
  }
  // Without one (Workers): WebCrypto, native there, hashes the signed ranges as one copy and the file after.
  const cms = await sealer.signDigest(await sha256Of(head, tail));
  writeContents(pdf, loc, cms);
  return { bytes: pdf, sha256: await sha256HexOf(pdf) };
}

/**
 * Bytes are opened for an incremental update. A file whose cross-reference chain is broken (pdf-lib's own
 * scan still recovers it) cannot be appended to safely: it is loaded for the one-save path instead,
 * where a signature it carries is refused (PDF_ALREADY_SIGNED) rather than silently broken.
 */
async function loadForSealing(bytes: Uint8Array): Promise<{ doc: PDFDocument; base?: IncrementalBase }> {
  try {
    if (!xrefChainIsSound(bytes)) return { doc: await PDFDocument.load(bytes, { updateMetadata: false }) };
    return await openIncremental(bytes);
  } catch (e) {
    if (e instanceof Error && /encrypted/i.test(e.message)) {
      throw new AppError('PDF_ENCRYPTED', 'This PDF is encrypted; remove its password protection and try again.', undefined, { cause: e });
    }
    throw new AppError('PDF_INVALID', 'This file could not be read as a PDF.', undefined, { cause: e });
  }
}

/** True when any AcroForm field is a signature with a value: re-saving would invalidate it. */
function hasSignedField(doc: PDFDocument): boolean {
  const acroForm = doc.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  const fields = acroForm?.lookupMaybe(PDFName.of('Fields'), PDFArray);
  if (!fields) return false;
  const stack: PDFDict[] = [];
  for (let i = 0; i < fields.size(); i++) {
    const f = fields.lookupMaybe(i, PDFDict);
    if (f) stack.push(f);
  }
  let guard = 0;
  while (stack.length && guard++ < 10_000) {
    const f = stack.pop()!;
    if (f.get(PDFName.of('FT')) === PDFName.of('Sig') && f.get(PDFName.of('V'))) return true;
    const kids = f.lookupMaybe(PDFName.of('Kids'), PDFArray);
    if (kids) for (let i = 0; i < kids.size(); i++) {
      const k = kids.lookupMaybe(i, PDFDict);
      if (k) stack.push(k);
    }
  }
  return false;
}
