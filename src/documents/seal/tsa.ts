import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AppError } from '../../lib/app-error.js';
import { OID, octetString, toArrayBuffer } from './der.js';

/**
 * RFC 3161 client: asks a timestamp authority to stamp SHA-256(signature value) and returns the
 * token (DER ContentInfo) that becomes the seal's signature-time-stamp (PAdES B-T).
 * The reply is checked before use: granted status, our message imprint, our nonce.
 */
export interface TsaOptions {
  url: string;
  fetch: typeof fetch;
  /** A TSA that does not answer in time fails the seal; the job retries later. */
  timeoutMs?: number;
}

export async function requestTimestampToken(opts: TsaOptions, signatureValue: Uint8Array): Promise<Uint8Array> {
  const imprint = new Uint8Array(await crypto.subtle.digest('SHA-256', signatureValue as Uint8Array<ArrayBuffer>));
  return requestTimestampForImprint(opts, imprint);
}

/**
 * The same for a SHA-256 digest computed by the caller: a document timestamp (PAdES B-LTA) stamps
 * the digest of its signed byte ranges, which the caller hashes in place.
 */
export async function requestTimestampForImprint(opts: TsaOptions, imprint: Uint8Array): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(8));
  nonce[0]! &= 0x7f; // a positive INTEGER
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({ hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }), hashedMessage: octetString(imprint) }),
    nonce: new asn1js.Integer({ valueHex: toArrayBuffer(nonce) }),
    certReq: true,
  });
  const body = new Uint8Array(req.toSchema().toBER(false));

  let res: Response;
  try {
    res = await opts.fetch(opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (e) {
    throw new AppError('TSA_UNAVAILABLE', 'The timestamp authority could not be reached.', { reason: 'unreachable' }, { cause: e });
  }
  if (!res.ok) throw new AppError('TSA_UNAVAILABLE', `The timestamp authority answered HTTP ${res.status}.`, { reason: 'http_status', status: res.status });
  const reply = new Uint8Array(await res.arrayBuffer());

  let resp: pkijs.TimeStampResp;
  try {
    resp = pkijs.TimeStampResp.fromBER(toArrayBuffer(reply));
  } catch (e) {
    throw new AppError('TSA_UNAVAILABLE', 'The timestamp authority sent an unreadable reply.', { reason: 'unreadable_reply' }, { cause: e });
  }
  const status = resp.status.status;
  // 0 granted, 1 grantedWithMods; anything else is a refusal.
  if ((status !== 0 && status !== 1) || !resp.timeStampToken) {
    throw new AppError('TSA_UNAVAILABLE', `The timestamp authority refused the request (status ${status}).`, { reason: 'refused', status });
  }
  const signed = new pkijs.SignedData({ schema: resp.timeStampToken.content });
  const eContent = signed.encapContentInfo.eContent;
  if (signed.encapContentInfo.eContentType !== OID.tstInfo || !eContent) {
    throw new AppError('TSA_UNAVAILABLE', 'The timestamp token carries no TSTInfo.', { reason: 'not_a_timestamp' });
  }
  const tst = pkijs.TSTInfo.fromBER(eContent.getValue());
  const gotImprint = new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
  const gotNonce = tst.nonce ? new Uint8Array(tst.nonce.valueBlock.valueHexView) : undefined;
  if (!equalBytes(gotImprint, imprint)) throw new AppError('TSA_UNAVAILABLE', 'The timestamp token stamps a different value.', { reason: 'wrong_value' });
  if (!gotNonce || !equalBytes(stripLeadingZeros(gotNonce), stripLeadingZeros(nonce))) {
    throw new AppError('TSA_UNAVAILABLE', 'The timestamp token does not answer our request (nonce mismatch).', { reason: 'nonce_mismatch' });
  }
  return new Uint8Array(resp.timeStampToken.toSchema().toBER(false));
}

function stripLeadingZeros(u: Uint8Array): Uint8Array {
  let i = 0;
  while (i < u.length - 1 && u[i] === 0) i++;
  return u.subarray(i);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
