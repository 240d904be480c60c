import * as pkijs from 'pkijs';
import { AppError } from '../../lib/app-error.js';
import { cryptoEngine, OID, toArrayBuffer } from '../seal/der.js';
import { buildIdentity, importParamsFor, keyMatchesCertificate, type SealIdentity } from './identity.js';

/**
 * PKCS#12 → seal identity, with pkijs on WebCrypto (runtime-neutral, no node-forge): PBES2
 * (PBKDF2 + AES, OpenSSL 3's default) is supported; the legacy PKCS#12 PBE schemes (3DES, RC2,
 * RC4 — OIDs 1.2.840.113549.1.12.1.*) are refused with CERT_LEGACY_ENCRYPTION and a way out.
 */
const LEGACY_PBE_PREFIX = '1.2.840.113549.1.12.1.';
const LEGACY_HINT =
  'Re-export it with modern encryption, e.g. `openssl pkcs12 -legacy -in old.p12 -nodes -out tmp.pem && openssl pkcs12 -export -in tmp.pem -out new.p12` (then delete tmp.pem).';

export async function loadPkcs12(
  bytes: Uint8Array,
  passphrase: string,
  opts: { now: Date; source: 'config' | 'upload' },
): Promise<SealIdentity> {
  const engine = cryptoEngine();
  const password = toArrayBuffer(new TextEncoder().encode(passphrase));

  let pfx: pkijs.PFX;
  try {
    pfx = pkijs.PFX.fromBER(toArrayBuffer(bytes));
  } catch (e) {
    throw new AppError('CERTIFICATE_INVALID', 'This file is not a PKCS#12 (.p12/.pfx) certificate.', undefined, { cause: e });
  }
  try {
    await pfx.parseInternalValues({ password, checkIntegrity: Boolean(pfx.macData) }, engine);
  } catch (e) {
    if (/integrity/i.test(String((e as Error)?.message ?? e))) {
      throw new AppError('CERT_WRONG_PASSPHRASE', 'The passphrase does not open this certificate file.', undefined, { cause: e });
    }
    throw new AppError('CERTIFICATE_INVALID', 'This PKCS#12 file could not be read.', undefined, { cause: e });
  }

  const safe = pfx.parsedValue?.authenticatedSafe as pkijs.AuthenticatedSafe | undefined;
  if (!safe) throw new AppError('CERTIFICATE_INVALID', 'This PKCS#12 file holds no certificate or key.');
  for (const ci of safe.safeContents) {
    if (ci.contentType === '1.2.840.113549.1.7.6') {
      // Parsed from a copy: pkijs' schema matching annotates the object it is given.
      const alg = pkijs.EncryptedData.fromBER(ci.content.toBER(false)).encryptedContentInfo.contentEncryptionAlgorithm.algorithmId;
      if (alg.startsWith(LEGACY_PBE_PREFIX)) throw new AppError('CERT_LEGACY_ENCRYPTION', `This certificate file uses legacy encryption (3DES/RC2). ${LEGACY_HINT}`);
    } else if (ci.contentType !== OID.data) {
      throw new AppError('CERTIFICATE_INVALID', 'This PKCS#12 file uses public-key privacy mode, which is not supported.');
    }
  }
  try {
    await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password })) }, engine);
  } catch (e) {
    throw new AppError('CERT_WRONG_PASSPHRASE', 'The passphrase does not open this certificate file.', undefined, { cause: e });
  }

  const certs: pkijs.Certificate[] = [];
  const keys: pkijs.PrivateKeyInfo[] = [];
  for (const content of safe.parsedValue.safeContents as { value: pkijs.SafeContents }[]) {
    for (const bag of content.value.safeBags) {
      if (bag.bagId === '1.2.840.113549.1.12.10.1.3') {
        const cb = bag.bagValue as pkijs.CertBag;
        if (cb.parsedValue instanceof pkijs.Certificate) certs.push(cb.parsedValue);
      } else if (bag.bagId === '1.2.840.113549.1.12.10.1.2') {
        const kb = bag.bagValue as pkijs.PKCS8ShroudedKeyBag;
        if (kb.encryptionAlgorithm.algorithmId.startsWith(LEGACY_PBE_PREFIX)) {
          throw new AppError('CERT_LEGACY_ENCRYPTION', `The private key in this file uses legacy encryption (3DES/RC2). ${LEGACY_HINT}`);
        }
        try {
          // pkijs marks this protected, but it is the documented way to decrypt a shrouded key bag.
          await (kb as unknown as { parseInternalValues(p: { password: ArrayBuffer }, c: pkijs.ICryptoEngine): Promise<void> }).parseInternalValues({ password }, engine);
        } catch (e) {
          throw new AppError('CERT_WRONG_PASSPHRASE', 'The passphrase does not open the private key in this file.', undefined, { cause: e });
        }
        if (kb.parsedValue) keys.push(kb.parsedValue);
      } else if (bag.bagId === '1.2.840.113549.1.12.10.1.1') {
        keys.push(bag.bagValue as pkijs.PrivateKeyInfo);
      }
    }
  }
  if (keys.length === 0) throw new AppError('CERT_KEY_UNFIT', 'This PKCS#12 file has no private key; a seal needs one.');
  if (certs.length === 0) throw new AppError('CERTIFICATE_INVALID', 'This PKCS#12 file has no certificate.');

  // The leaf is the certificate the (first) key belongs to.
  const keyInfo = keys[0]!;
  for (const cert of certs) {
    let params: RsaHashedImportParams | EcKeyImportParams;
    try {
      params = importParamsFor(cert);
    } catch {
      continue;
    }
    let privateKey: CryptoKey;
    try {
      privateKey = await crypto.subtle.importKey('pkcs8', keyInfo.toSchema().toBER(false), params, false, ['sign']);
    } catch {
      continue;
    }
    if (await keyMatchesCertificate(privateKey, cert)) {
      return buildIdentity(privateKey, cert, certs.filter((c) => c !== cert), opts);
    }
  }
  // No certificate matches: report what is wrong with the first one (dates, usage), else the mismatch.
  const first = certs[0]!;
  const params = importParamsFor(first);
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey('pkcs8', keyInfo.toSchema().toBER(false), params, false, ['sign']);
  } catch (e) {
    throw new AppError('CERT_KEY_UNFIT', 'The private key in this file cannot be used for signing.', undefined, { cause: e });
  }
  return buildIdentity(privateKey, first, certs.slice(1), opts);
}
