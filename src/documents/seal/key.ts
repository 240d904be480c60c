import * as pkijs from 'pkijs';

/**
 * The one private-key operation a seal needs, behind a port: today an imported WebCrypto
 * `CryptoKey` (Node and Workers alike), later a KMS/HSM call with the same shape.
 */
export interface SealKey {
  readonly kind: 'RSA' | 'EC';
  /** Hashes `data` with SHA-256 and signs it; returns the CMS signature value (DER for ECDSA). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Wraps an imported, non-extractable WebCrypto private key (RSASSA-PKCS1-v1_5 or ECDSA). */
export function webCryptoSealKey(privateKey: CryptoKey): SealKey {
  const name = privateKey.algorithm.name;
  if (name === 'RSASSA-PKCS1-v1_5') {
    return {
      kind: 'RSA',
      sign: async (data) => new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, data as Uint8Array<ArrayBuffer>)),
    };
  }
  if (name === 'ECDSA') {
    return {
      kind: 'EC',
      // WebCrypto returns r‖s; CMS carries ECDSA-Sig-Value (a DER SEQUENCE of two INTEGERs).
      sign: async (data) =>
        new Uint8Array(pkijs.createCMSECDSASignature(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, data as Uint8Array<ArrayBuffer>))),
    };
  }
  throw new Error(`Unsupported seal key algorithm ${name}`);
}
