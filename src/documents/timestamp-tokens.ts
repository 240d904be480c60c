import * as asn1js from 'asn1js';
import { tlv } from './seal/cms.js';
import { OID, toArrayBuffer } from './seal/der.js';
import { signedDataOf } from './verify/cms-verify.js';
import { scanPdf } from './verify/scan.js';

/**
 * The RFC 3161 tokens a signed PDF carries, as files an auditor can check with `openssl ts -verify`
 * without our software: each signature's signature-time-stamp (a CMS unsigned attribute, PAdES
 * B-T) and each document timestamp (whose /Contents is the token itself, PAdES B-LTA).
 */
export interface ExtractedTimestamp {
  /** File stem, numbered by the signature's place in the file: `signature-1`, `document-timestamp-2`. */
  name: string;
  /** A TimeStampResp (status granted + the token): what `openssl ts -verify -in` reads without `-token_in`. */
  tsr: Uint8Array;
  /** For a signature timestamp: the signature value it stamps, so `-data` can recompute the imprint. */
  stamped?: Uint8Array;
}

/** The element's bytes exactly as they were in the file: a re-encoding could differ and break the token's signature. */
function rawBytes(el: asn1js.AsnType): Uint8Array {
  const raw = (el as unknown as { valueBeforeDecodeView?: Uint8Array }).valueBeforeDecodeView;
  return raw && raw.length > 0 ? new Uint8Array(raw) : new Uint8Array(el.toBER(false));
}

/** PKIStatusInfo { status granted (0) } followed by the token. */
const GRANTED = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);
const asTimeStampResp = (token: Uint8Array) => tlv(0x30, GRANTED, token);

export function extractTimestampTokens(pdf: Uint8Array): ExtractedTimestamp[] {
  const out: ExtractedTimestamp[] = [];
  scanPdf(pdf).signatures.forEach((s, i) => {
    if (!s.contents) return;
    const asn = asn1js.fromBER(toArrayBuffer(s.contents));
    if (asn.offset === -1) return;
    if (s.subFilter === 'ETSI.RFC3161' || s.type === 'DocTimeStamp') {
      out.push({ name: `document-timestamp-${i + 1}`, tsr: asTimeStampResp(rawBytes(asn.result)) });
      return;
    }
    const sd = signedDataOf(asn.result);
    if (typeof sd === 'string') return;
    sd.signerInfos.forEach((si, j) => {
      const attr = si.unsignedAttrs?.attributes.find((a) => a.type === OID.signatureTimeStampToken);
      const token = attr?.values[0];
      if (!token) return;
      const suffix = sd.signerInfos.length > 1 ? `-${j + 1}` : '';
      out.push({ name: `signature-${i + 1}${suffix}`, tsr: asTimeStampResp(rawBytes(token)), stamped: new Uint8Array(si.signature.valueBlock.valueHexView) });
    });
  });
  return out;
}
