import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { cryptoEngine, OID, toArrayBuffer } from '../seal/der.js';
import { buildIdentity, type SealIdentity } from './identity.js';

/**
 * The development seal: with no certificate configured, a private root and a seal certificate are
 * generated (RSA-2048, WebCrypto + pkijs) and persisted, so every document sealed by this
 * installation verifies against the same root. Their names say what they are; the sealer labels
 * every page "development certificate".
 */
export const DEVELOPMENT_SEAL_CN = 'b24-sign development seal (not for production)';
export const DEVELOPMENT_ROOT_CN = 'b24-sign development root (untrusted)';

/** What gets persisted: the seal key as PKCS#8 and the chain, all DER, base64. */
export interface StoredDevelopmentSeal {
  version: 1;
  createdAt: string;
  pkcs8: string;
  chain: string[];
}

const RSA_PARAMS: RsaHashedKeyGenParams = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };

/** CN and O as two RDNs (pkijs would put them into one multi-valued RDN, shown as "CN=…+O=…"). */
function dn(cn: string): pkijs.RelativeDistinguishedNames {
  const rdn = (type: string, value: string) =>
    new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }).toSchema()] });
  const der = new asn1js.Sequence({ value: [rdn(OID.commonName, cn), rdn(OID.organization, 'b24-sign')] }).toBER(false);
  return pkijs.RelativeDistinguishedNames.fromBER(der);
}

function keyUsage(bits: number): pkijs.Extension {
  // A one-byte BIT STRING; trailing zero bits are "unused" per DER.
  let unused = 0;
  while (unused < 7 && ((bits >> unused) & 1) === 0) unused++;
  return new pkijs.Extension({
    extnID: OID.keyUsage,
    critical: true,
    extnValue: new asn1js.BitString({ valueHex: new Uint8Array([bits]).buffer, unusedBits: unused }).toBER(false),
  });
}

export interface CertificateSpec {
  subjectCn: string;
  issuer?: { cert: pkijs.Certificate; key: CryptoKey };
  publicKey: CryptoKey;
  signingKey: CryptoKey;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
}

/** An X.509 v3 certificate made with pkijs; also used by tests to build odd certificates. */
export async function makeCertificate(spec: CertificateSpec): Promise<pkijs.Certificate> {
  const engine = cryptoEngine();
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: toArrayBuffer(positive(crypto.getRandomValues(new Uint8Array(16)))) });
  cert.subject = dn(spec.subjectCn);
  cert.issuer = spec.issuer ? spec.issuer.cert.subject : dn(spec.subjectCn);
  cert.notBefore.value = spec.notBefore;
  cert.notAfter.value = spec.notAfter;
  await cert.subjectPublicKeyInfo.importKey(spec.publicKey, engine);
  const spkiHash = new Uint8Array(await crypto.subtle.digest('SHA-1', cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView as Uint8Array<ArrayBuffer>));
  cert.extensions = [
    new pkijs.Extension({
      extnID: OID.basicConstraints,
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: spec.ca }).toSchema().toBER(false),
    }),
    keyUsage(spec.ca ? 0x06 /* keyCertSign, cRLSign */ : 0xc0 /* digitalSignature, nonRepudiation */),
    new pkijs.Extension({ extnID: OID.subjectKeyIdentifier, extnValue: new asn1js.OctetString({ valueHex: toArrayBuffer(spkiHash) }).toBER(false) }),
  ];
  await cert.sign(spec.issuer?.key ?? spec.signingKey, 'SHA-256', engine);
  return cert;
}

function positive(u: Uint8Array): Uint8Array {
  u[0] = (u[0]! & 0x7f) | 0x40;
  return u;
}

export async function generateDevelopmentSeal(now: Date): Promise<StoredDevelopmentSeal> {
  const root = (await crypto.subtle.generateKey(RSA_PARAMS, false, ['sign', 'verify'])) as CryptoKeyPair;
  const seal = (await crypto.subtle.generateKey(RSA_PARAMS, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const rootCert = await makeCertificate({
    subjectCn: DEVELOPMENT_ROOT_CN,
    publicKey: root.publicKey,
    signingKey: root.privateKey,
    notBefore,
    notAfter: new Date(now.getTime() + 20 * 365 * 86400_000),
    ca: true,
  });
  const sealCert = await makeCertificate({
    subjectCn: DEVELOPMENT_SEAL_CN,
    issuer: { cert: rootCert, key: root.privateKey },
    publicKey: seal.publicKey,
    signingKey: root.privateKey,
    notBefore,
    notAfter: new Date(now.getTime() + 10 * 365 * 86400_000),
    ca: false,
  });
  const b64 = (u: ArrayBuffer) => Buffer.from(u).toString('base64');
  return {
    version: 1,
    createdAt: now.toISOString(),
    pkcs8: b64(await crypto.subtle.exportKey('pkcs8', seal.privateKey)),
    chain: [b64(sealCert.toSchema(true).toBER(false)), b64(rootCert.toSchema(true).toBER(false))],
  };
}

/** Imports a stored development seal (key non-extractable from here on) and validates it like any other. */
export async function developmentIdentity(stored: StoredDevelopmentSeal, now: Date): Promise<SealIdentity> {
  const der = stored.chain.map((c) => new Uint8Array(Buffer.from(c, 'base64')));
  const certs = der.map((d) => pkijs.Certificate.fromBER(toArrayBuffer(d)));
  const privateKey = await crypto.subtle.importKey('pkcs8', Buffer.from(stored.pkcs8, 'base64'), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  return buildIdentity(privateKey, certs[0]!, certs.slice(1), { now, source: 'development', development: true });
}
