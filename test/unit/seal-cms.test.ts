import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCmsBuilder, tlv, type CmsIdentity } from '../../src/documents/seal/cms.js';
import { OID } from '../../src/documents/seal/der.js';
import type { SealKey } from '../../src/documents/seal/key.js';
import { testSealer } from '../helpers/sealer.js';

/** The reference: the same CMS built entirely with pkijs objects (how cms.ts started out). */
async function pkijsReference(identity: CmsIdentity, digest: Uint8Array, token?: Uint8Array): Promise<Uint8Array> {
  const leaf = identity.certificates[0]!;
  const oct = (u: Uint8Array) => new asn1js.OctetString({ valueHex: u.slice().buffer });
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
      new pkijs.Attribute({ type: OID.messageDigest, values: [oct(digest)] }),
      new pkijs.Attribute({ type: OID.signingCertificateV2, values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [oct(identity.leafSha256)] })] })] })] }),
    ],
  });
  const attrsDer = new Uint8Array(signedAttrs.toSchema().toBER(false));
  attrsDer[0] = 0x31;
  const signature = await identity.key.sign(attrsDer);
  const si = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
    signedAttrs,
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256WithRSA, algorithmParams: new asn1js.Null() }),
    signature: oct(signature),
  });
  if (token) {
    si.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 1, attributes: [new pkijs.Attribute({ type: OID.signatureTimeStampToken, values: [asn1js.fromBER(token.slice().buffer).result] })] });
  }
  const sd = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
    certificates: identity.certificates,
    signerInfos: [si],
  });
  return new Uint8Array(new pkijs.ContentInfo({ contentType: OID.signedData, content: sd.toSchema(true) }).toSchema().toBER(false));
}

let identity: CmsIdentity;
beforeAll(async () => {
  const sealer = await testSealer();
  // A deterministic stand-in key: the bytes it returns are what both builders embed.
  const key: SealKey = { kind: 'RSA', sign: async (data) => new Uint8Array(256).map((_, i) => (data[i % data.length]! + i) & 0xff) };
  identity = {
    certificates: sealer.certificates.map((c) => pkijs.Certificate.fromBER(c.slice().buffer)),
    key,
    leafSha256: new Uint8Array(32).fill(7),
  };
});

describe('CMS builder', () => {
  it('encodes DER lengths in short and long form', () => {
    expect([...tlv(0x04, new Uint8Array(3))].slice(0, 2)).toEqual([0x04, 3]);
    expect([...tlv(0x04, new Uint8Array(200))].slice(0, 3)).toEqual([0x04, 0x81, 200]);
    expect([...tlv(0x04, new Uint8Array(300))].slice(0, 4)).toEqual([0x04, 0x82, 1, 44]);
    expect([...tlv(0x04, new Uint8Array(70000))].slice(0, 5)).toEqual([0x04, 0x83, 1, 0x11, 0x70]);
  });

  it('is byte-identical to the pkijs-built CMS (B-B)', async () => {
    const digest = new Uint8Array(32).map((_, i) => i);
    expect(Buffer.from(await createCmsBuilder(identity).build(digest)).toString('hex')).toBe(Buffer.from(await pkijsReference(identity, digest)).toString('hex'));
  });

  it('is byte-identical to the pkijs-built CMS with a timestamp token (B-T)', async () => {
    const digest = new Uint8Array(32).fill(9);
    const token = tlv(0x30, tlv(0x06, new Uint8Array([0x2a, 0x03])), tlv(0x04, new Uint8Array(500).fill(1)));
    const ours = await createCmsBuilder(identity).build(digest, async () => token);
    expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(await pkijsReference(identity, digest, token)).toString('hex'));
    // And pkijs reads it back: one signer, the token as unsigned attribute.
    const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(ours.slice().buffer).content });
    expect(sd.signerInfos[0]!.unsignedAttrs!.attributes[0]!.type).toBe(OID.signatureTimeStampToken);
  });
});
