import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { hashBytes } from '../../lib/digest.js';
import { cryptoEngine, describeName, nameAttribute, OID, serialHex, toArrayBuffer, toHex } from '../seal/der.js';
import { digestOf, signatureRoute, verifyEdDsa, type DigestName } from './algorithms.js';

/**
 * Cryptographic checks of one CMS signature over the signed byte ranges (pkijs on WebCrypto):
 * the message digest, the signature value, the signing certificate and an embedded RFC 3161
 * timestamp. Trust (the chain to configured roots) is decided separately in chain.ts.
 */
/** Real chains have 2–4 certificates; more only makes path building expensive. */
export const MAX_CERTIFICATES = 20;

export interface SignerDetail {
  subject: string;
  commonName: string | null;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the certificate DER, hex. */
  sha256: string;
}

export interface TimestampCheck {
  time: string | null;
  /** The token's own signature verifies and it stamps this signature (or these bytes). */
  verified: boolean;
  authority: string | null;
  problem?: string;
  /** Set by the caller once the TSA chain is checked. */
  trusted?: boolean;
}

export interface CmsCheck {
  /** Digest matches and the signature value verifies. */
  valid: boolean;
  problem?: string;
  /** Set when an algorithm is outside what this runtime can check: neither valid nor broken. */
  unsupported?: string;
  digestAlgorithm?: string;
  signer?: SignerDetail;
  signerCertificate?: pkijs.Certificate;
  certificates: pkijs.Certificate[];
  signedAttributes: { signingCertificateV2: boolean; signingTime: boolean };
  timestamp?: TimestampCheck;
  timestampToken?: pkijs.SignedData;
}

const DIGEST_MISMATCH = 'the document bytes do not match the signed digest: the file was changed after signing';

const bytesEqual = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Synchronous hashing of the ranges (src/lib/digest.ts: native where the platform installed it); SHAKE256 at 512 bits (RFC 8419, Ed448). */
export { hashBytes };

/** The signer's certificate by issuer + serial or by subject key identifier (RFC 5652 §5.3). */
function findSigner(si: pkijs.SignerInfo, certs: pkijs.Certificate[]): pkijs.Certificate | undefined {
  const sid = si.sid as pkijs.IssuerAndSerialNumber | asn1js.Constructed;
  if (sid instanceof pkijs.IssuerAndSerialNumber) return certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
  const ski = (sid as asn1js.Constructed).valueBlock?.value?.[0] as asn1js.OctetString | undefined;
  if (!ski) return undefined;
  const want = Buffer.from(ski.valueBlock.valueHexView);
  return certs.find((c) => {
    const ext = c.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
    const v = ext?.parsedValue as asn1js.OctetString | undefined;
    return !!v && Buffer.from(v.valueBlock.valueHexView).equals(want);
  });
}

const empty = (problem: string): CmsCheck => ({ valid: false, problem, certificates: [], signedAttributes: { signingCertificateV2: false, signingTime: false } });

/**
 * SignedData from its parsed ASN.1, field by field. pkijs' own `new SignedData({ schema })` matches
 * the whole structure against one big schema, which costs ~3× more than parsing the parts; for a
 * structure this path does not expect, the caller falls back to pkijs.
 */
function signedDataFromParts(content: asn1js.AsnType): pkijs.SignedData {
  const parts = (content as asn1js.Sequence).valueBlock.value;
  let i = 0;
  const version = (parts[i++] as asn1js.Integer).valueBlock.valueDec;
  const digestAlgorithms = (parts[i++] as asn1js.Set).valueBlock.value.map((a) => new pkijs.AlgorithmIdentifier({ schema: a }));
  const encapContentInfo = new pkijs.EncapsulatedContentInfo({ schema: parts[i++] });
  let certificates: pkijs.Certificate[] | undefined;
  if (parts[i]?.idBlock.tagClass === 3 && parts[i]!.idBlock.tagNumber === 0) {
    const items = (parts[i++] as asn1js.Constructed).valueBlock.value;
    if (items.length > MAX_CERTIFICATES) throw new Error('too many certificates');
    // Only X.509 certificates (universal SEQUENCE); attribute and other certificate formats are skipped.
    certificates = items.filter((c) => c.idBlock.tagClass === 1 && c.idBlock.tagNumber === 16).map((c) => new pkijs.Certificate({ schema: c }));
  }
  if (parts[i]?.idBlock.tagClass === 3 && parts[i]!.idBlock.tagNumber === 1) i++; // CRLs: not used
  const signerInfos = (parts[i++] as asn1js.Set).valueBlock.value.map((si) => new pkijs.SignerInfo({ schema: si }));
  if (i !== parts.length || !Array.isArray(signerInfos)) throw new Error('unexpected SignedData layout');
  return new pkijs.SignedData({ version, digestAlgorithms, encapContentInfo, certificates, signerInfos });
}

/** ContentInfo(SignedData) → SignedData; a string says why not. */
export function signedDataOf(contentInfo: asn1js.AsnType): pkijs.SignedData | string {
  let ci: pkijs.ContentInfo;
  try {
    ci = new pkijs.ContentInfo({ schema: contentInfo });
  } catch {
    return 'the signature is not well-formed CMS';
  }
  if (ci.contentType !== OID.signedData) return 'the signature is not CMS SignedData';
  try {
    return signedDataFromParts(ci.content);
  } catch (e) {
    if ((e as Error)?.message === 'too many certificates') return 'the signature carries an implausible number of certificates';
    try {
      return new pkijs.SignedData({ schema: ci.content });
    } catch {
      return 'the signature is not well-formed CMS';
    }
  }
}

function parseSignedData(der: Uint8Array): pkijs.SignedData | string {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) return 'the signature is not valid DER';
  return signedDataOf(asn.result);
}

export async function certificateDetail(cert: pkijs.Certificate): Promise<SignerDetail> {
  const der = new Uint8Array(cert.toSchema().toBER(false));
  return {
    subject: describeName(cert.subject),
    commonName: nameAttribute(cert.subject, OID.commonName) ?? null,
    issuer: describeName(cert.issuer),
    serial: serialHex(cert),
    notBefore: cert.notBefore.value.toISOString(),
    notAfter: cert.notAfter.value.toISOString(),
    sha256: toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', der))),
  };
}

/** What the verifier knows about the signed byte ranges, without copying them. */
export interface SignedContent {
  /** Digest of the signed ranges (SHA-1/256/384/512, SHAKE256 with 512-bit output), hashed in place. */
  digest(hash: DigestName): Uint8Array;
  /** The ranges concatenated, for the rare CMS without signed attributes and for document timestamps. */
  concat(): ArrayBuffer;
}

/**
 * pkijs hashes the `data` it is given; for a 10 MB file that is a second pass plus a copy. With
 * signed attributes present pkijs only needs that digest, so it gets a one-byte stand-in for the
 * data and an engine that answers the stand-in's digest with the one already computed.
 */
class PrecomputedDigestEngine extends pkijs.CryptoEngine {
  constructor(
    private readonly standIn: ArrayBuffer,
    private readonly precomputed: Uint8Array,
  ) {
    super({ name: 'webcrypto-precomputed', crypto: globalThis.crypto });
  }

  override async digest(algorithm: globalThis.AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer> {
    const buffer = ArrayBuffer.isView(data) ? data.buffer : data;
    if (buffer === this.standIn) return toArrayBuffer(this.precomputed);
    return super.digest(algorithm, data);
  }
}

/** `kind` 'document-timestamp' means the CMS is itself an RFC 3161 token over the ranges (/SubFilter /ETSI.RFC3161). */
export async function verifyCms(contents: Uint8Array, content: SignedContent, kind: 'signature' | 'document-timestamp', subFilter?: string): Promise<CmsCheck> {
  // A prepared field whose placeholder was never filled: nothing was signed, yet the field claims it was.
  if (contents.every((x) => x === 0)) return empty('the signature is empty (its placeholder was never filled)');
  const sd = parseSignedData(contents);
  if (typeof sd === 'string') return empty(sd);
  const certificates = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (certificates.length > MAX_CERTIFICATES) return empty('the signature carries an implausible number of certificates');
  const si = sd.signerInfos[0];
  if (!si || sd.signerInfos.length !== 1) return { ...empty('the signature must have exactly one signer'), certificates };

  const attrs = si.signedAttrs?.attributes ?? [];
  const signedAttributes = {
    signingCertificateV2: attrs.some((a) => a.type === OID.signingCertificateV2),
    signingTime: attrs.some((a) => a.type === OID.signingTime),
  };
  const digest = digestOf(si.digestAlgorithm);
  if (typeof digest !== 'string') return { ...empty(`not checkable here: ${digest.unsupported}`), unsupported: digest.unsupported, certificates };
  const digestAlgorithm = digest;
  const signerCertificate = findSigner(si, certificates);
  const signer = signerCertificate ? await certificateDetail(signerCertificate) : undefined;
  const base: CmsCheck = { valid: false, digestAlgorithm, signerCertificate, signer, certificates, signedAttributes };
  const route = signatureRoute(si, signerCertificate, digest);
  if (typeof route !== 'string') return { ...base, problem: `not checkable here: ${route.unsupported}`, unsupported: route.unsupported };

  // What the signature covers. For a PDF signature that is always the signed byte ranges: an
  // encapsulated eContent is ignored (pkijs would verify against it instead, so a CMS over some other
  // message would pass), except for adbe.pkcs7.sha1, whose eContent must be SHA-1 of the ranges
  // (ISO 32000-1 §12.8.3.3.1) and is then what the signature covers.
  let covered: Uint8Array | 'ranges' = 'ranges';
  if (kind === 'signature') {
    const eContent = sd.encapContentInfo.eContent;
    if (subFilter === 'adbe.pkcs7.sha1') {
      const inner = eContent ? new Uint8Array(eContent.getValue()) : new Uint8Array(0);
      if (!bytesEqual(inner, content.digest('SHA-1'))) return { ...base, problem: DIGEST_MISMATCH };
      covered = inner;
    } else {
      sd.encapContentInfo.eContent = undefined;
    }
  }
  const coveredDigest = () => (covered === 'ranges' ? content.digest(digestAlgorithm) : hashBytes(digestAlgorithm, covered));
  if (kind === 'signature' && si.signedAttrs) {
    const md = attrs.find((a) => a.type === OID.messageDigest)?.values[0] as asn1js.OctetString | undefined;
    if (!md || !attrs.some((a) => a.type === OID.contentType)) return { ...base, problem: 'the signed attributes lack content-type or message-digest' };
    if (!bytesEqual(new Uint8Array(md.valueBlock.valueHexView), coveredDigest())) return { ...base, problem: DIGEST_MISMATCH };
  }
  if (route === 'eddsa') {
    if (!signerCertificate) return { ...base, problem: 'the signing certificate is not in the signature' };
    const message = si.signedAttrs ? new Uint8Array(si.signedAttrs.encodedValue) : covered === 'ranges' ? new Uint8Array(content.concat()) : covered;
    base.valid = verifyEdDsa(si, signerCertificate, message);
    if (!base.valid) base.problem = 'the signature value does not verify (EdDSA)';
    return base;
  }

  let engine: pkijs.CryptoEngine = cryptoEngine();
  let data: ArrayBuffer;
  if (kind === 'signature' && si.signedAttrs && digestAlgorithm !== 'SHAKE256') {
    data = new ArrayBuffer(1);
    engine = new PrecomputedDigestEngine(data, coveredDigest());
  } else {
    data = covered === 'ranges' ? content.concat() : toArrayBuffer(covered);
  }
  let result: pkijs.SignedDataVerifyResult;
  try {
    result = await sd.verify({ signer: 0, data, checkChain: false, extendedMode: true }, engine);
  } catch (e) {
    const r = e as pkijs.SignedDataVerifyError;
    result = { message: r?.message ?? String(e), code: r?.code, signatureVerified: r?.signatureVerified ?? false, signerCertificate: r?.signerCertificate ?? null, certificatePath: [] };
  }
  base.valid = result.signatureVerified === true;
  if (result.signerCertificate && !base.signerCertificate) {
    base.signerCertificate = result.signerCertificate;
    base.signer = await certificateDetail(result.signerCertificate);
  }
  if (!base.valid) {
    const msg = result.message ?? '';
    if (/unsupported|not supported|NotSupportedError|Unrecognized|unknown/i.test(msg) && !/digest/i.test(msg)) {
      return { ...base, problem: `not checkable here: ${msg}`, unsupported: msg };
    }
    base.problem = /digest/i.test(msg)
      ? DIGEST_MISMATCH
      : /signer certificate|Unable to find/i.test(msg)
        ? 'the signing certificate is not in the signature'
        : `the signature value does not verify (${msg || 'unknown reason'})`;
    return base;
  }
  if (kind === 'document-timestamp') {
    base.timestamp = await readTimestampToken(sd, data);
    return base;
  }
  const tokenAttr = si.unsignedAttrs?.attributes.find((a) => a.type === OID.signatureTimeStampToken);
  if (tokenAttr?.values[0]) {
    try {
      const token = signedDataOf(tokenAttr.values[0]);
      if (typeof token === 'string') throw new Error(token);
      base.timestampToken = token;
      base.timestamp = await readTimestampToken(token, toArrayBuffer(new Uint8Array(si.signature.valueBlock.valueHexView)));
    } catch {
      base.timestamp = { time: null, verified: false, authority: null, problem: 'the timestamp token is not well-formed' };
    }
  }
  return base;
}

/** An RFC 3161 token: pkijs checks the TSTInfo message imprint against `stamped` and the token signature. */
async function readTimestampToken(token: pkijs.SignedData, stamped: ArrayBuffer): Promise<TimestampCheck> {
  let time: string | null = null;
  try {
    const eContent = token.encapContentInfo.eContent;
    if (token.encapContentInfo.eContentType !== OID.tstInfo || !eContent) return { time, verified: false, authority: null, problem: 'not a timestamp token' };
    time = pkijs.TSTInfo.fromBER(eContent.getValue()).genTime.toISOString();
  } catch {
    return { time, verified: false, authority: null, problem: 'the timestamp token is not well-formed' };
  }
  try {
    const r = await token.verify({ signer: 0, data: stamped, checkChain: false, extendedMode: true }, cryptoEngine());
    const authority = r.signerCertificate ? describeName(r.signerCertificate.subject) : null;
    return r.signatureVerified ? { time, verified: true, authority } : { time, verified: false, authority, problem: r.message };
  } catch (e) {
    return { time, verified: false, authority: null, problem: (e as Error)?.message ?? 'the timestamp does not verify' };
  }
}

/** Trust: a path from `cert` (with the CMS's other certificates as intermediates) to one of `roots`, at `at`. */
export async function chainTrusted(cert: pkijs.Certificate, intermediates: pkijs.Certificate[], roots: pkijs.Certificate[], at: Date): Promise<{ trusted: boolean; problem?: string }> {
  if (roots.length === 0) return { trusted: false, problem: 'no trust roots configured' };
  // A configured self-signed signing certificate is trusted directly (pkijs only accepts CA anchors).
  const der = new Uint8Array(cert.toSchema().toBER(false));
  const direct = roots.some((r) => Buffer.from(r.toSchema().toBER(false)).equals(der));
  if (direct) {
    const valid = at >= cert.notBefore.value && at <= cert.notAfter.value;
    return valid ? { trusted: true } : { trusted: false, problem: 'the certificate was not valid at the signing time' };
  }
  try {
    const engine = new pkijs.CertificateChainValidationEngine({ trustedCerts: roots, certs: [cert, ...intermediates.filter((c) => c !== cert)], checkDate: at });
    const r = await engine.verify({}, cryptoEngine());
    return r.result ? { trusted: true } : { trusted: false, problem: r.resultMessage };
  } catch (e) {
    return { trusted: false, problem: (e as { resultMessage?: string; message?: string })?.resultMessage ?? (e as Error)?.message ?? 'chain check failed' };
  }
}
