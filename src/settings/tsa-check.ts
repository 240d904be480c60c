import * as pkijs from 'pkijs';
import { AppError } from '../lib/app-error.js';
import { OID, describeName } from '../documents/seal/der.js';
import { requestTimestampForImprint } from '../documents/seal/tsa.js';

/**
 * The settings page's "test" button: one real RFC 3161 request (SHA-256 of a random value, a nonce,
 * certReq) to the URL through the service's outbound fetch — the guarded one on Node, so a URL
 * pointing at a private address is refused like any other outbound call — and the reply checked as
 * the seal checks it (status, imprint, nonce). Failure: TSA_UNAVAILABLE with the reason in English and as
 * details.reason (+ details.status), which the page says in its language (settings/texts.ts tsaWhy_*).
 */
export interface TsaCheck {
  ok: true;
  url: string;
  /** The TSA's genTime. */
  time: string | null;
  /** The token signer's subject, when the reply carries its certificate. */
  authority: string | null;
  ms: number;
}

export async function checkTsa(url: string, fetchFn: typeof fetch, timeoutMs = 10_000): Promise<TsaCheck> {
  const started = performance.now();
  const imprint = new Uint8Array(await crypto.subtle.digest('SHA-256', crypto.getRandomValues(new Uint8Array(32))));
  const token = await requestTimestampForImprint({ url, fetch: fetchFn, timeoutMs }, imprint);
  const ms = Math.round(performance.now() - started);
  try {
    const info = pkijs.ContentInfo.fromBER(token.slice().buffer);
    const signed = new pkijs.SignedData({ schema: info.content });
    const e = signed.encapContentInfo.eContent;
    const tst = e && signed.encapContentInfo.eContentType === OID.tstInfo ? pkijs.TSTInfo.fromBER(e.getValue()) : undefined;
    const cert = (signed.certificates ?? []).find((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
    return { ok: true, url, time: tst ? tst.genTime.toISOString() : null, authority: cert ? describeName(cert.subject) : null, ms };
  } catch (e) {
    throw new AppError('TSA_UNAVAILABLE', 'The timestamp authority sent a token that cannot be read.', { reason: 'unreadable_token' }, { cause: e });
  }
}
