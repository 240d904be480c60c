import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID, octetString, toArrayBuffer } from './der.js';
import type { SealKey } from './key.js';

/**
 * A PAdES baseline CMS (ETSI EN 319 142-1 B-B, B-T with a timestamp), built by hand with pkijs:
 * - signed attributes: content-type (id-data), message-digest, signing-certificate-v2 — and no
 *   signing-time, which B-B forbids (the claimed time sits in the signature dictionary's /M);
 * - SignerIdentifier = issuer and serial number, signing certificate and chain in `certificates`;
 * - B-T: an RFC 3161 token over the signature value as unsigned attribute id-aa-signatureTimeStampToken.
 * The private key is only reached through `SealKey.sign`, so a KMS can stand in for WebCrypto.
 */
export interface CmsIdentity {
  /** Leaf first. */
  certificates: pkijs.Certificate[];
  key: SealKey;
  /** SHA-256 of the leaf certificate's DER, for signing-certificate-v2. */
  leafSha256: Uint8Array;
}

export type TimestampFn = (signatureValue: Uint8Array) => Promise<Uint8Array>;

const sha256Alg = () => new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 });

export async function buildPadesCms(identity: CmsIdentity, contentDigest: Uint8Array, timestamp?: TimestampFn): Promise<Uint8Array> {
  const leaf = identity.certificates[0];
  if (!leaf) throw new Error('A seal identity needs its certificate');

  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
      new pkijs.Attribute({ type: OID.messageDigest, values: [octetString(contentDigest)] }),
      // SigningCertificateV2 { certs: SEQUENCE OF ESSCertIDv2 { certHash } }; hashAlgorithm omitted = SHA-256 (RFC 5035).
      new pkijs.Attribute({
        type: OID.signingCertificateV2,
        values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [octetString(identity.leafSha256)] })] })] })],
      }),
    ],
  });
  // The signature covers the DER of the attributes with a SET tag, not the [0] IMPLICIT tag they travel with.
  const attrsDer = new Uint8Array(signedAttrs.toSchema().toBER(false));
  attrsDer[0] = 0x31;
  const signature = await identity.key.sign(attrsDer);

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
    digestAlgorithm: sha256Alg(),
    signedAttrs,
    signatureAlgorithm:
      identity.key.kind === 'RSA'
        ? new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256WithRSA, algorithmParams: new asn1js.Null() })
        : new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 }),
    signature: octetString(signature),
  });

  if (timestamp) {
    const token = await timestamp(signature);
    const parsed = asn1js.fromBER(toArrayBuffer(token));
    if (parsed.offset === -1) throw new Error('The timestamp token is not DER');
    signerInfo.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
      type: 1,
      attributes: [new pkijs.Attribute({ type: OID.signatureTimeStampToken, values: [parsed.result] })],
    });
  }

  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    digestAlgorithms: [sha256Alg()],
    certificates: identity.certificates,
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}
