import { ed25519 } from '@noble/curves/ed25519';
import { ed448 } from '@noble/curves/ed448';
import type * as pkijs from 'pkijs';
import { HASH_BY_OID, OID } from '../seal/der.js';

/**
 * Which CMS algorithms the verifier can judge, and EdDSA (RFC 8419), which WebCrypto lacks in some
 * runtimes (Ed448 everywhere but Node; Ed25519 on older ones). EdDSA is checked with @noble/curves in
 * every runtime, so Node and Workers give the same verdict. Anything outside these tables is
 * "cannot be checked here" — never "broken": an unknown algorithm is not evidence of tampering.
 */
export type DigestName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHAKE256';

const SHAKE256 = '2.16.840.1.101.3.4.2.12';
/** id-shake256-len: SHAKE256 with its output length as a parameter (RFC 8702). */
const SHAKE256_LEN = '2.16.840.1.101.3.4.2.18';
export const ED25519 = '1.3.101.112';
export const ED448 = '1.3.101.113';

/** RSA (PKCS#1 v1.5 and PSS) and ECDSA on the curves WebCrypto knows: pkijs verifies these. */
const PKIJS_SIGNATURES = new Set([
  OID.rsaEncryption,
  '1.2.840.113549.1.1.5', // sha1WithRSA
  OID.sha256WithRSA,
  '1.2.840.113549.1.1.12',
  '1.2.840.113549.1.1.13',
  '1.2.840.113549.1.1.10', // RSASSA-PSS
  OID.ecPublicKey,
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
  OID.ecdsaWithSha256,
  OID.ecdsaWithSha384,
  '1.2.840.10045.4.3.4',
]);
const WEBCRYPTO_CURVES = new Set(['1.2.840.10045.3.1.7', '1.3.132.0.34', '1.3.132.0.35']);

/** The digest a SignerInfo names, or why we cannot compute it. */
export function digestOf(alg: pkijs.AlgorithmIdentifier): DigestName | { unsupported: string } {
  const known = HASH_BY_OID[alg.algorithmId];
  if (known) return known;
  if (alg.algorithmId === SHAKE256) return 'SHAKE256';
  if (alg.algorithmId === SHAKE256_LEN) {
    // Only the 512-bit output RFC 8419 uses for Ed448.
    const bits = (alg.algorithmParams as { valueBlock?: { valueDec?: number } } | undefined)?.valueBlock?.valueDec;
    return bits === 512 ? 'SHAKE256' : { unsupported: `SHAKE256 with a ${bits ?? 'missing'}-bit output` };
  }
  return { unsupported: `digest algorithm ${alg.algorithmId}` };
}

/** 'pkijs' | 'eddsa', or why the signature algorithm cannot be checked in this runtime. */
export function signatureRoute(si: pkijs.SignerInfo, cert: pkijs.Certificate | undefined, digest: DigestName): 'pkijs' | 'eddsa' | { unsupported: string } {
  const alg = si.signatureAlgorithm.algorithmId;
  if (alg === ED25519 || alg === ED448) {
    // RFC 8419 §3.1: with signed attributes Ed25519 pairs with SHA-512 and Ed448 with SHAKE256/512.
    const wanted = alg === ED25519 ? 'SHA-512' : 'SHAKE256';
    if (si.signedAttrs && digest !== wanted) return { unsupported: `${alg === ED25519 ? 'Ed25519' : 'Ed448'} with ${digest} (RFC 8419 requires ${wanted})` };
    return 'eddsa';
  }
  if (!PKIJS_SIGNATURES.has(alg)) return { unsupported: `signature algorithm ${alg}` };
  if (digest === 'SHAKE256') return { unsupported: `signature algorithm ${alg} with SHAKE256` };
  const spki = cert?.subjectPublicKeyInfo.algorithm;
  if (spki?.algorithmId === OID.ecPublicKey) {
    const params = spki.algorithmParams as { getValue?: () => string } | undefined;
    const curve = typeof params?.getValue === 'function' ? params.getValue() : undefined;
    if (!curve || !WEBCRYPTO_CURVES.has(curve)) return { unsupported: `ECDSA on curve ${curve ?? 'unknown'}` };
  }
  return 'pkijs';
}

/** Pure EdDSA over `message` with the certificate's key; false when the key is not the signature's kind. */
export function verifyEdDsa(si: pkijs.SignerInfo, cert: pkijs.Certificate, message: Uint8Array): boolean {
  const alg = si.signatureAlgorithm.algorithmId;
  if (cert.subjectPublicKeyInfo.algorithm.algorithmId !== alg) return false;
  const key = new Uint8Array(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  const sig = new Uint8Array(si.signature.valueBlock.valueHexView);
  try {
    return alg === ED25519 ? ed25519.verify(sig, message, key) : ed448.verify(sig, message, key);
  } catch {
    return false;
  }
}
