import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID, toArrayBuffer } from './der.js';
import type { SealKey } from './key.js';

/**
 * A PAdES baseline CMS (ETSI EN 319 142-1 B-B, B-T with a timestamp):
 * - signed attributes: content-type (id-data), message-digest, signing-certificate-v2 — and no
 *   signing-time, which B-B forbids (the claimed time sits in the signature dictionary's /M);
 * - SignerIdentifier = issuer and serial number, signing certificate and chain in `certificates`;
 * - B-T: an RFC 3161 token over the signature value as unsigned attribute id-aa-signatureTimeStampToken.
 * The private key is only reached through `SealKey.sign`, so a KMS can stand in for WebCrypto.
 *
 * Everything except the digest, the signature and the token is the same for every seal, so it is
 * DER-encoded once (with pkijs) when the sealer is built; a seal then only concatenates bytes.
 * test/unit/seal-cms.test.ts checks the output byte for byte against a CMS built entirely by pkijs.
 */
export interface CmsIdentity {
  /** Leaf first. */
  certificates: pkijs.Certificate[];
  key: SealKey;
  /** SHA-256 of the leaf certificate's DER, for signing-certificate-v2. */
  leafSha256: Uint8Array;
}

export type TimestampFn = (signatureValue: Uint8Array) => Promise<Uint8Array>;

export interface CmsBuilder {
  build(contentDigest: Uint8Array, timestamp?: TimestampFn): Promise<Uint8Array>;
}

const der = (o: { toBER(sizeOnly?: boolean): ArrayBuffer }) => new Uint8Array(o.toBER(false));

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One DER TLV with definite length. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concat([new Uint8Array([tag, ...len]), body]);
}

const SEQ = 0x30;
const SET = 0x31;
const OCTETS = 0x04;

export function createCmsBuilder(identity: CmsIdentity): CmsBuilder {
  const leaf = identity.certificates[0];
  if (!leaf) throw new Error('A seal identity needs its certificate');
  const oid = (value: string) => der(new asn1js.ObjectIdentifier({ value }));
  const one = der(new asn1js.Integer({ value: 1 }));
  const sha256Alg = der(new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }).toSchema());
  const sigAlg = der(
    (identity.key.kind === 'RSA'
      ? new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256WithRSA, algorithmParams: new asn1js.Null() })
      : new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 })
    ).toSchema(),
  );
  const sid = der(new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }).toSchema());
  const certs = concat(identity.certificates.map((c) => der(c.toSchema())));
  const contentTypeAttr = tlv(SEQ, oid(OID.contentType), tlv(SET, oid(OID.data)));
  // SigningCertificateV2 { certs: SEQUENCE OF ESSCertIDv2 { certHash } }; hashAlgorithm omitted = SHA-256 (RFC 5035).
  const signingCertAttr = tlv(SEQ, oid(OID.signingCertificateV2), tlv(SET, tlv(SEQ, tlv(SEQ, tlv(SEQ, tlv(OCTETS, identity.leafSha256))))));
  const messageDigestOid = oid(OID.messageDigest);
  const tokenOid = oid(OID.signatureTimeStampToken);
  const signedDataOid = oid(OID.signedData);
  const encapContentInfo = tlv(SEQ, oid(OID.data));

  return {
    async build(contentDigest, timestamp) {
      const digestAttr = tlv(SEQ, messageDigestOid, tlv(SET, tlv(OCTETS, contentDigest)));
      // DER SET OF order (by encoding): content-type (0x18 bytes) < message-digest < signing-certificate-v2.
      const attrs = concat([contentTypeAttr, digestAttr, signingCertAttr]);
      // The signature covers the attributes with a SET tag, not the [0] IMPLICIT tag they travel with.
      const signature = await identity.key.sign(tlv(SET, attrs));
      const unsigned: Uint8Array[] = [];
      if (timestamp) {
        const token = await timestamp(signature);
        if (asn1js.fromBER(toArrayBuffer(token)).offset === -1) throw new Error('The timestamp token is not DER');
        unsigned.push(tlv(0xa1, tlv(SEQ, tokenOid, tlv(SET, token))));
      }
      const signerInfo = tlv(SEQ, one, sid, sha256Alg, tlv(0xa0, attrs), sigAlg, tlv(OCTETS, signature), ...unsigned);
      const signedData = tlv(SEQ, one, tlv(SET, sha256Alg), encapContentInfo, tlv(0xa0, certs), tlv(SET, signerInfo));
      return tlv(SEQ, signedDataOid, tlv(0xa0, signedData));
    },
  };
}
