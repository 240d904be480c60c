import { createHasher, toHex } from '../../lib/digest.js';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRawStream, PDFRef, PDFString, type PDFContext, type PDFObject } from 'pdf-lib';
import { AppError } from '../../lib/app-error.js';
import { signedDataOf } from '../verify/cms-verify.js';
import { ocspSignedForIssuer } from '../verify/long-term-level.js';
import { scanPdf } from '../verify/scan.js';
import { cryptoEngine, describeName, OID, toArrayBuffer } from './der.js';
import { appendUpdate, saveIncremental, snapshotForIncremental } from './incremental.js';
import { openLazy } from './lazy-pdf.js';
import { addSignatureField, BYTE_RANGE_MARKER } from './placeholder.js';
import { byteRangeFor, locatePlaceholder, writeByteRange, writeContents } from './splice.js';
import { requestTimestampForImprint } from './tsa.js';

/**
 * Long-term evidence for a sealed PDF (ETSI EN 319 142-1, PAdES B-LT and B-LTA), added after the
 * B-T seal as two incremental updates that leave every earlier byte as it was:
 *
 *  1. B-LT: a Document Security Store (catalog /DSS) holding every certificate of the seal's chain
 *     and of the TSA's chain, and for every certificate that is not a self-signed root an OCSP
 *     response (from the certificate's AIA OCSP URL) or, when that fails or there is none, a CRL
 *     (from its CRL distribution points). /VRI, keyed by the upper-case hex SHA-1 of the signature's
 *     /Contents (the whole hex string as written, zero padding included), names the same objects.
 *     Each response is checked before it is kept: an OCSP reply must be signed by the issuer (or a
 *     responder it authorised) and say "good"; a CRL must be signed by the issuer and not list the
 *     certificate. A revoked certificate, an unreachable responder or a reply that does not check
 *     out is a LongTermEvidenceError naming the certificate and every URL tried.
 *  2. B-LTA: a document timestamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161) whose /Contents
 *     is the TSA's token over the SHA-256 of the whole file as it stands after the DSS.
 *
 * Every outbound request goes through the injected fetch (the service's guarded outbound fetch),
 * with a time limit per request. Only http(s) URLs are followed (no LDAP).
 */
export interface LongTermOptions {
  tsaUrl: string;
  fetch: typeof fetch;
  /** Per OCSP / CRL / TSA request; default 10 s. */
  timeoutMs?: number;
  /** Time of the check (OCSP and CRL freshness); default now. */
  now?: Date;
}

export interface RevocationSource {
  /** Subject of the certificate the object is about. */
  certificate: string;
  kind: 'ocsp' | 'crl';
  url: string;
}

export interface ValidationData {
  certificates: Uint8Array[];
  ocsps: Uint8Array[];
  crls: Uint8Array[];
  /** Where each revocation object came from, in the order fetched. */
  sources: RevocationSource[];
}

export interface LongTermResult {
  bytes: Uint8Array;
  /** Lowercase hex SHA-256 of `bytes`. */
  sha256: string;
  validation: ValidationData;
  /** The document timestamp token (DER ContentInfo). */
  documentTimestamp: Uint8Array;
}

/**
 * What could not be fetched or checked, per certificate; the seal itself stays at B-T. `transient`:
 * a responder or distribution point did not answer or answered badly, so a later retry may succeed;
 * false when retrying cannot help (a revoked certificate, no revocation URL, no issuer, no B-T).
 */
export class LongTermEvidenceError extends AppError {
  constructor(
    message: string,
    readonly attempts: { certificate: string; url: string; problem: string }[] = [],
    readonly transient = false,
    options?: { cause?: unknown },
  ) {
    super('LTV_UNAVAILABLE', message, { attempts, transient }, options);
  }
}

const OID_AIA = '1.3.6.1.5.5.7.1.1';
const OID_AIA_OCSP = '1.3.6.1.5.5.7.48.1';
const OID_CRL_DP = '2.5.29.31';
const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const MAX_CRL_BYTES = 16 * 1024 * 1024;
const MAX_OCSP_BYTES = 1024 * 1024;
/** Room reserved for the document timestamp token (its chain included). */
const DOC_TIMESTAMP_BYTES = 16384;
export const DOC_TIMESTAMP_FIELD_NAME = 'b24-sign document timestamp';

const der = (c: pkijs.Certificate) => new Uint8Array(c.toSchema().toBER(false));
const sha256Hex = (b: Uint8Array) => toHex(createHasher('SHA-256').update(b).digest());
const subjectOf = (c: pkijs.Certificate) => describeName(c.subject) || 'unnamed certificate';

/** B-T → B-LTA: the DSS update, then the document timestamp update. */
export async function addLongTermEvidence(sealed: Uint8Array, opts: LongTermOptions): Promise<LongTermResult> {
  const signature = lastSignature(sealed);
  const validation = await collectValidationData(signature.chains, opts);
  const withDss = await appendDss(sealed, signature.contents, validation, opts.now ?? new Date());
  const { bytes, token } = await appendDocumentTimestamp(withDss, opts);
  return { bytes, sha256: sha256Hex(bytes), validation, documentTimestamp: token };
}

/** The last signature of the file (ours: the seal), with its CMS certificates and its timestamp token's. */
export function lastSignature(pdf: Uint8Array): { contents: Uint8Array; chains: pkijs.Certificate[] } {
  const sig = scanPdf(pdf).signatures.filter((s) => s.subFilter !== 'ETSI.RFC3161' && s.type !== 'DocTimeStamp' && s.contents).pop();
  if (!sig?.contents) throw new LongTermEvidenceError('The file carries no signature to add long-term evidence for.');
  const asn = asn1js.fromBER(toArrayBuffer(sig.contents));
  const sd = asn.offset === -1 ? 'not DER' : signedDataOf(asn.result);
  if (typeof sd === 'string') throw new LongTermEvidenceError(`The signature cannot be read (${sd}).`);
  const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const tokenAttr = sd.signerInfos[0]?.unsignedAttrs?.attributes.find((a) => a.type === OID.signatureTimeStampToken);
  if (!tokenAttr?.values[0]) throw new LongTermEvidenceError('The signature has no signature timestamp (B-T); long-term evidence builds on it.');
  const token = signedDataOf(tokenAttr.values[0]);
  if (typeof token !== 'string') certs.push(...(token.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate));
  return { contents: sig.contents, chains: certs };
}

/**
 * Certificates (deduplicated) and, for each one that is not self-signed, a checked OCSP response or
 * CRL. OCSP first (small, per certificate), the CRL distribution points second.
 */
export async function collectValidationData(certs: pkijs.Certificate[], opts: LongTermOptions): Promise<ValidationData> {
  const pool: pkijs.Certificate[] = [];
  const seen = new Set<string>();
  for (const c of certs) {
    const key = sha256Hex(der(c));
    if (!seen.has(key)) {
      seen.add(key);
      pool.push(c);
    }
  }
  const roots = pool.filter(selfIssued);
  const out: ValidationData = { certificates: pool.map(der), ocsps: [], crls: [], sources: [] };
  const extraCerts = new Map<string, Uint8Array>();
  const engine = cryptoEngine();
  for (const cert of pool) {
    if (selfIssued(cert)) continue;
    const name = subjectOf(cert);
    const issuer = await findIssuer(cert, pool);
    if (!issuer) throw new LongTermEvidenceError(`The issuer of "${name}" is not in the seal's or the TSA's chain, so its revocation status cannot be checked.`);
    const attempts: { certificate: string; url: string; problem: string }[] = [];
    // OCSP first (fresher, smaller), then the CRLs; the first source that answers for this certificate wins.
    const sources = [
      ...ocspUrls(cert).map((url) => ({ kind: 'ocsp' as const, url })),
      ...crlUrls(cert).map((url) => ({ kind: 'crl' as const, url })),
    ];
    let done = false;
    for (const { kind, url } of sources) {
      try {
        if (kind === 'ocsp') {
          const { response, responderCerts } = await fetchOcsp(cert, issuer, url, roots, pool, opts, engine);
          out.ocsps.push(response);
          for (const rc of responderCerts) extraCerts.set(sha256Hex(rc), rc);
        } else {
          out.crls.push(await fetchCrl(cert, issuer, url, opts, engine));
        }
        out.sources.push({ certificate: name, kind, url });
        done = true;
        break;
      } catch (e) {
        if (e instanceof RevokedError) throw new LongTermEvidenceError(`"${name}" is revoked (${url}): the seal must not be extended with it.`, [{ certificate: name, url, problem: e.message }]);
        attempts.push({ certificate: name, url, problem: (e as Error).message });
      }
    }
    if (!done) {
      const tried = attempts.length ? attempts.map((a) => `${a.url}: ${a.problem}`).join('; ') : 'the certificate names no http OCSP responder and no http CRL distribution point';
      throw new LongTermEvidenceError(`No revocation data for "${name}" (${tried}).`, attempts, attempts.length > 0);
    }
  }
  for (const extra of extraCerts.values()) if (!seen.has(sha256Hex(extra))) out.certificates.push(extra);
  return out;
}

/**
 * For a start-up warning: the certificates of `chain` (DER, leaf first) that are not self-signed and
 * name no http OCSP responder and no http CRL distribution point — long-term evidence cannot be
 * fetched for them, so seals would stay B-T.
 */
export function certificatesWithoutRevocationUrls(chain: readonly Uint8Array[]): string[] {
  return chain
    .map((d) => pkijs.Certificate.fromBER(toArrayBuffer(d)))
    .filter((c) => !selfIssued(c) && ocspUrls(c).length === 0 && crlUrls(c).length === 0)
    .map(subjectOf);
}

class RevokedError extends Error {}

function selfIssued(c: pkijs.Certificate): boolean {
  return c.subject.isEqual(c.issuer);
}

async function findIssuer(cert: pkijs.Certificate, pool: pkijs.Certificate[]): Promise<pkijs.Certificate | undefined> {
  for (const c of pool) {
    if (c === cert || !c.subject.isEqual(cert.issuer)) continue;
    if (await cert.verify(c).catch(() => false)) return c;
  }
  return undefined;
}

const httpUrl = (u: unknown): u is string => typeof u === 'string' && /^https?:\/\//i.test(u);

export function ocspUrls(cert: pkijs.Certificate): string[] {
  const ext = cert.extensions?.find((e) => e.extnID === OID_AIA);
  const aia = ext?.parsedValue as pkijs.InfoAccess | undefined;
  return (aia?.accessDescriptions ?? []).filter((d) => d.accessMethod === OID_AIA_OCSP && d.accessLocation.type === 6).map((d) => d.accessLocation.value).filter(httpUrl);
}

export function crlUrls(cert: pkijs.Certificate): string[] {
  const ext = cert.extensions?.find((e) => e.extnID === OID_CRL_DP);
  const dps = ext?.parsedValue as pkijs.CRLDistributionPoints | undefined;
  const out: string[] = [];
  for (const dp of dps?.distributionPoints ?? []) {
    if (!Array.isArray(dp.distributionPoint)) continue;
    for (const g of dp.distributionPoint) if (g.type === 6 && httpUrl(g.value)) out.push(g.value);
  }
  return out;
}

/** One bounded HTTP exchange; every failure is an Error with a sentence a person can act on. */
async function exchange(url: string, init: RequestInit, opts: LongTermOptions, maxBytes: number): Promise<Uint8Array> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let res: Response;
  try {
    res = await opts.fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error;
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError') throw new Error(`no answer within ${timeoutMs} ms`);
    const cause = (err as { cause?: Error })?.cause;
    throw new Error(`could not connect (${cause?.message ?? err?.message ?? String(e)})`);
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw new Error(`the answer is too large (${declared} bytes)`);
  const body = new Uint8Array(await res.arrayBuffer());
  if (body.length > maxBytes) throw new Error(`the answer is too large (${body.length} bytes)`);
  return body;
}

async function fetchOcsp(
  cert: pkijs.Certificate,
  issuer: pkijs.Certificate,
  url: string,
  roots: pkijs.Certificate[],
  pool: pkijs.Certificate[],
  opts: LongTermOptions,
  engine: pkijs.CryptoEngine,
): Promise<{ response: Uint8Array; responderCerts: Uint8Array[] }> {
  const req = new pkijs.OCSPRequest();
  await req.createForCertificate(cert, { hashAlgorithm: 'SHA-1', issuerCertificate: issuer }, engine);
  const body = new Uint8Array(req.toSchema(true).toBER(false));
  const reply = await exchange(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' }, body }, opts, MAX_OCSP_BYTES);
  let resp: pkijs.OCSPResponse;
  let basic: pkijs.BasicOCSPResponse;
  try {
    resp = pkijs.OCSPResponse.fromBER(toArrayBuffer(reply));
  } catch {
    throw new Error('the answer is not an OCSP response');
  }
  const status = resp.responseStatus.valueBlock.valueDec;
  if (status !== 0) throw new Error(`the responder refused (OCSP status ${status})`);
  if (!resp.responseBytes || resp.responseBytes.responseType !== OID_OCSP_BASIC) throw new Error('the OCSP response is not a basic response');
  try {
    basic = pkijs.BasicOCSPResponse.fromBER(resp.responseBytes.response.valueBlock.valueHexView.slice().buffer);
  } catch {
    throw new Error('the basic OCSP response cannot be read');
  }
  if (!(await ocspSignedForIssuer(basic, issuer, roots, pool, engine))) throw new Error('the OCSP response is not signed by the issuer or a responder it authorised');
  const st = await basic.getCertificateStatus(cert, issuer, engine);
  if (!st.isForCertificate) throw new Error('the OCSP response is about another certificate');
  if (st.status === 1) throw new RevokedError('OCSP says revoked');
  if (st.status !== 0) throw new Error('the responder does not know the certificate (status unknown)');
  const now = opts.now ?? new Date();
  const single = basic.tbsResponseData.responses.find((r) => r.certID.serialNumber.isEqual(cert.serialNumber));
  if (single?.nextUpdate && single.nextUpdate < now) throw new Error('the OCSP response is out of date (nextUpdate has passed)');
  return { response: reply, responderCerts: (basic.certs ?? []).map(der) };
}

async function fetchCrl(cert: pkijs.Certificate, issuer: pkijs.Certificate, url: string, opts: LongTermOptions, engine: pkijs.CryptoEngine): Promise<Uint8Array> {
  let body = await exchange(url, { method: 'GET', headers: { accept: 'application/pkix-crl' } }, opts, MAX_CRL_BYTES);
  // Some distribution points serve PEM; the DSS holds DER.
  const text = body.length < MAX_CRL_BYTES && body[0] === 0x2d ? Buffer.from(body).toString('latin1') : '';
  const pem = /-----BEGIN X509 CRL-----([\s\S]+?)-----END X509 CRL-----/.exec(text);
  if (pem) body = new Uint8Array(Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64'));
  let crl: pkijs.CertificateRevocationList;
  try {
    crl = pkijs.CertificateRevocationList.fromBER(toArrayBuffer(body));
  } catch {
    throw new Error('the answer is not a CRL');
  }
  if (!crl.issuer.isEqual(cert.issuer)) throw new Error('the CRL is issued by another authority');
  if (!(await crl.verify({ issuerCertificate: issuer }, engine).catch(() => false))) throw new Error('the CRL signature does not verify');
  const now = opts.now ?? new Date();
  if (crl.nextUpdate && crl.nextUpdate.value < now) throw new Error('the CRL is out of date (nextUpdate has passed)');
  if (crl.isCertificateRevoked(cert)) throw new RevokedError('listed in the CRL');
  return body;
}

/* ---------------------------------------------------------------------------------------------
 * PDF updates
 * ------------------------------------------------------------------------------------------- */

interface Editable {
  context: PDFContext;
  catalog: PDFDict;
  resolve(o: PDFObject | undefined): PDFObject | undefined;
  firstPage(): { ref: PDFRef; node: PDFDict };
  save(): Promise<Uint8Array> | Uint8Array;
}

/**
 * The file opened for one more incremental update: the lazy reader when it can (only the objects
 * touched are parsed), pdf-lib's full load otherwise (hybrid xref files, unusual filters).
 */
async function openForUpdate(bytes: Uint8Array): Promise<Editable> {
  try {
    const lazy = openLazy(bytes);
    return {
      context: lazy.context,
      catalog: lazy.catalog,
      resolve: lazy.resolve,
      firstPage: () => firstPageOf(lazy.catalog, lazy.resolve),
      save: () => appendUpdate(lazy.context, lazy.catalogRef, lazy.base),
    };
  } catch {
    const doc = await PDFDocument.load(bytes, { updateMetadata: false });
    const base = snapshotForIncremental(doc, bytes);
    const resolve = (o: PDFObject | undefined) => (o instanceof PDFRef ? doc.context.lookup(o) : o);
    return { context: doc.context, catalog: doc.catalog, resolve, firstPage: () => firstPageOf(doc.catalog, resolve), save: () => saveIncremental(doc, base) };
  }
}

function firstPageOf(catalog: PDFDict, resolve: Editable['resolve']): { ref: PDFRef; node: PDFDict } {
  let ref: PDFObject | undefined = catalog.get(PDFName.of('Pages'));
  let node = resolve(ref);
  for (let depth = 0; node instanceof PDFDict && node.get(PDFName.of('Type')) !== PDFName.of('Page'); depth++) {
    const kids = resolve(node.get(PDFName.of('Kids')));
    if (!(kids instanceof PDFArray) || depth > 64) break;
    ref = kids.get(0);
    node = resolve(ref);
  }
  if (!(node instanceof PDFDict) || !(ref instanceof PDFRef)) throw new LongTermEvidenceError('The sealed file has no first page to attach the document timestamp to.');
  return { ref, node };
}

/** VRI key: upper-case hex SHA-1 of the signature's /Contents bytes as stored (padding included). */
export function vriKey(contents: Uint8Array): string {
  return toHex(createHasher('SHA-1').update(contents).digest()).toUpperCase();
}

/** Appends the DSS (merging a DSS the file may already carry) as one incremental update. */
export async function appendDss(pdf: Uint8Array, signatureContents: Uint8Array, data: ValidationData, now: Date): Promise<Uint8Array> {
  const ed = await openForUpdate(pdf);
  writeDss(ed.context, ed.catalog, ed.resolve, signatureContents, data, now);
  return ed.save();
}

function writeDss(ctx: PDFContext, catalog: PDFDict, resolve: Editable['resolve'], signatureContents: Uint8Array, data: ValidationData, now: Date): void {
  const streamOf = (bytes: Uint8Array) => ctx.register(PDFRawStream.of(ctx.obj({}), bytes));
  const certs = data.certificates.map(streamOf);
  const ocsps = data.ocsps.map(streamOf);
  const crls = data.crls.map(streamOf);
  const old = resolve(catalog.get(PDFName.of('DSS')));
  const kept = (key: string): PDFObject[] => {
    const a = old instanceof PDFDict ? resolve(old.get(PDFName.of(key))) : undefined;
    return a instanceof PDFArray ? a.asArray() : [];
  };
  const vri = ctx.obj({});
  const oldVri = old instanceof PDFDict ? resolve(old.get(PDFName.of('VRI'))) : undefined;
  if (oldVri instanceof PDFDict) for (const [k, v] of oldVri.entries()) vri.set(k, v);
  const entry = ctx.obj({ Cert: certs, ...(ocsps.length ? { OCSP: ocsps } : {}), ...(crls.length ? { CRL: crls } : {}) });
  entry.set(PDFName.of('TU'), PDFString.fromDate(now));
  vri.set(PDFName.of(vriKey(signatureContents)), entry);
  const dss = ctx.obj({ Type: 'DSS' });
  dss.set(PDFName.of('Certs'), ctx.obj([...kept('Certs'), ...certs]));
  const allOcsps = [...kept('OCSPs'), ...ocsps];
  const allCrls = [...kept('CRLs'), ...crls];
  if (allOcsps.length) dss.set(PDFName.of('OCSPs'), ctx.obj(allOcsps));
  if (allCrls.length) dss.set(PDFName.of('CRLs'), ctx.obj(allCrls));
  dss.set(PDFName.of('VRI'), vri);
  catalog.set(PDFName.of('DSS'), ctx.register(dss));
}

/** The B-LTA step alone: a document timestamp over the whole file, appended as one update. */
export async function appendDocumentTimestamp(pdf: Uint8Array, opts: Pick<LongTermOptions, 'tsaUrl' | 'fetch' | 'timeoutMs'>): Promise<{ bytes: Uint8Array; token: Uint8Array }> {
  const ed = await openForUpdate(pdf);
  const page = ed.firstPage();
  // What addSignatureField looks up must be loaded (the lazy reader parses on demand).
  ed.resolve(page.node.get(PDFName.of('Annots')));
  const acroForm = ed.resolve(ed.catalog.get(PDFName.of('AcroForm')));
  if (acroForm instanceof PDFDict) {
    ed.resolve(acroForm.get(PDFName.of('Fields')));
    ed.resolve(acroForm.get(PDFName.of('SigFlags')));
  }
  const text = ['<<', '/Type /DocTimeStamp', '/Filter /Adobe.PPKLite', '/SubFilter /ETSI.RFC3161', BYTE_RANGE_MARKER, `/Contents <${'0'.repeat(DOC_TIMESTAMP_BYTES * 2)}>`, '>>'].join('\n');
  addSignatureField(ed.context, ed.catalog, page, text, fieldName(ed));
  const bytes = await ed.save();
  const loc = locatePlaceholder(bytes, { unique: false });
  const range = byteRangeFor(loc, bytes.length);
  writeByteRange(bytes, loc, range);
  const imprint = createHasher('SHA-256').update(bytes.subarray(0, loc.contentsStart)).update(bytes.subarray(loc.contentsEnd)).digest();
  const token = await requestTimestampForImprint({ url: opts.tsaUrl, fetch: opts.fetch, timeoutMs: opts.timeoutMs }, imprint);
  writeContents(bytes, loc, token);
  return { bytes, token };
}

/** A field name not yet used (a document may be re-timestamped later). */
function fieldName(ed: Editable): string {
  const acroForm = ed.resolve(ed.catalog.get(PDFName.of('AcroForm')));
  const fields = acroForm instanceof PDFDict ? ed.resolve(acroForm.get(PDFName.of('Fields'))) : undefined;
  const names = new Set<string>();
  if (fields instanceof PDFArray) {
    for (const f of fields.asArray()) {
      const d = ed.resolve(f);
      const t = d instanceof PDFDict ? d.get(PDFName.of('T')) : undefined;
      if (t instanceof PDFString || t instanceof PDFHexString) names.add(t.decodeText());
    }
  }
  let name = DOC_TIMESTAMP_FIELD_NAME;
  for (let i = 2; names.has(name); i++) name = `${DOC_TIMESTAMP_FIELD_NAME} ${i}`;
  return name;
}
