import * as pkijs from 'pkijs';
import { AppError } from '../../lib/app-error.js';
import { OID, describeName, nameAttribute } from '../seal/der.js';

/**
 * A seal identity: the private key (imported once, non-extractable) and its certificate chain.
 * Built from a PKCS#12 (config or a portal admin's upload) or the generated development one.
 */
export interface SealIdentity {
  privateKey: CryptoKey;
  /** DER certificates, leaf first, then issuers as far as the file provides them. */
  chain: Uint8Array[];
  development: boolean;
  source: 'config' | 'upload' | 'development';
  subject: string;
  subjectCommonName: string;
  notBefore: Date;
  notAfter: Date;
}

/** EKUs that allow document signatures; without an EKU extension every use is allowed. */
const SIGNING_EKUS = new Set<string>([OID.ekuAnyExtendedKeyUsage, OID.ekuDocumentSigning, OID.ekuAdobeAuthenticDocuments, OID.ekuMsDocumentSigning, OID.ekuEmailProtection]);

export function importParamsFor(cert: pkijs.Certificate): RsaHashedImportParams | EcKeyImportParams {
  const alg = cert.subjectPublicKeyInfo.algorithm;
  if (alg.algorithmId === OID.rsaEncryption) return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (alg.algorithmId === OID.ecPublicKey) {
    const curveOid = (alg.algorithmParams as { valueBlock?: { toString(): string } } | undefined)?.valueBlock?.toString();
    const curve = curveOid === '1.2.840.10045.3.1.7' ? 'P-256' : curveOid === '1.3.132.0.34' ? 'P-384' : undefined;
    if (!curve) throw new AppError('CERT_KEY_UNFIT', 'The certificate uses an elliptic curve we cannot seal with (P-256 and P-384 are supported).');
    return { name: 'ECDSA', namedCurve: curve };
  }
  throw new AppError('CERT_KEY_UNFIT', 'The certificate key is neither RSA nor ECDSA.');
}

export async function publicKeyOf(cert: pkijs.Certificate): Promise<CryptoKey> {
  return crypto.subtle.importKey('spki', cert.subjectPublicKeyInfo.toSchema().toBER(false), importParamsFor(cert), true, ['verify']);
}

const signParams = (key: CryptoKey) => (key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: key.algorithm.name });

/** True when the private key belongs to the certificate: a signature round trip proves it. */
export async function keyMatchesCertificate(privateKey: CryptoKey, cert: pkijs.Certificate): Promise<boolean> {
  try {
    const pub = await publicKeyOf(cert);
    if (pub.algorithm.name !== privateKey.algorithm.name) return false;
    const probe = new TextEncoder().encode('b24-sign key check');
    const sig = await crypto.subtle.sign(signParams(privateKey), privateKey, probe);
    return await crypto.subtle.verify(signParams(pub), pub, sig, probe);
  } catch {
    return false;
  }
}

const sameName = (a: pkijs.RelativeDistinguishedNames, b: pkijs.RelativeDistinguishedNames) => a.isEqual(b);

export const isSelfIssued = (c: pkijs.Certificate) => sameName(c.issuer, c.subject);

/**
 * Orders the file's certificates into a chain from the leaf and checks everything a seal needs:
 * validity dates, key fitness, key/certificate match and an issuer for a CA-issued leaf.
 * Throws AppError with a specific CERT_* code.
 */
export async function buildIdentity(
  privateKey: CryptoKey,
  leaf: pkijs.Certificate,
  others: pkijs.Certificate[],
  opts: { now: Date; source: SealIdentity['source']; development?: boolean },
): Promise<SealIdentity> {
  const notBefore = leaf.notBefore.value;
  const notAfter = leaf.notAfter.value;
  const cn = nameAttribute(leaf.subject, OID.commonName) ?? describeName(leaf.subject);
  if (opts.now < notBefore) throw new AppError('CERT_NOT_YET_VALID', `The certificate "${cn}" is not valid before ${notBefore.toISOString()}.`);
  if (opts.now > notAfter) throw new AppError('CERT_EXPIRED', `The certificate "${cn}" expired on ${notAfter.toISOString()}.`);

  checkKeyFitness(leaf, cn);
  if (privateKey.algorithm.name === 'RSASSA-PKCS1-v1_5') {
    const bits = (privateKey.algorithm as RsaHashedKeyAlgorithm).modulusLength;
    if (bits < 2048) throw new AppError('CERT_KEY_UNFIT', `The RSA key has ${bits} bits; at least 2048 are required.`);
  }
  if (!(await keyMatchesCertificate(privateKey, leaf))) {
    throw new AppError('CERT_KEY_UNFIT', 'The private key in the file does not belong to its certificate.');
  }

  const chain = [leaf];
  let current = leaf;
  while (!isSelfIssued(current) && chain.length < 10) {
    const issuer = others.find((o) => sameName(o.subject, current.issuer) && !chain.includes(o));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  if (chain.length === 1 && !isSelfIssued(leaf)) {
    throw new AppError('CERT_CHAIN_MISSING', `The certificate "${cn}" was issued by "${describeName(leaf.issuer)}", but the file does not contain that issuer's certificate. Export the PKCS#12 with the full chain.`);
  }
  return {
    privateKey,
    // toSchema() without re-encoding: the certificates stay byte-for-byte as issued.
    chain: chain.map((c) => new Uint8Array(c.toSchema().toBER(false))),
    development: opts.development ?? false,
    source: opts.source,
    subject: describeName(leaf.subject),
    subjectCommonName: cn,
    notBefore,
    notAfter,
  };
}

function checkKeyFitness(leaf: pkijs.Certificate, cn: string) {
  for (const ext of leaf.extensions ?? []) {
    if (ext.extnID === OID.keyUsage) {
      const bits = new Uint8Array((ext.parsedValue as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView);
      const first = bits[0] ?? 0;
      // digitalSignature (bit 0) or nonRepudiation/contentCommitment (bit 1).
      if ((first & 0xc0) === 0) throw new AppError('CERT_KEY_UNFIT', `The certificate "${cn}" does not allow digital signatures (key usage).`);
    }
    if (ext.extnID === OID.extKeyUsage) {
      const ekus: string[] = (ext.parsedValue as { keyPurposes?: string[] }).keyPurposes ?? [];
      if (!ekus.some((e) => SIGNING_EKUS.has(e))) {
        throw new AppError('CERT_KEY_UNFIT', `The certificate "${cn}" is restricted to other uses (extended key usage ${ekus.join(', ')}); it cannot sign documents.`);
      }
    }
  }
}
