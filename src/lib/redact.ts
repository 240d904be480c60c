/**
 * Signer and final links are bearer secrets: whoever holds `/s/<token>` can read (and with the code,
 * sign) the document. Their token part never reaches a log line, an error text or a job row; this
 * is the one scrubber every such place uses (request log, logger, job payloads and errors).
 */

/** The segment after a link prefix: `/s/<t>`, `/s/final/<t>`, `/api/sign/<t>` (encoded or not; a messenger BB-code `[URL=…]` ends it). */
const LINK_TOKEN = /(\/s\/(?:final\/)?|\/api\/sign\/)(?!\[token\])([^/?#\s"'<>\\[\]]+)/g;
/** Any compact JWS (our link and action tokens), wherever it turns up (a header, a query, a message). */
const JWS = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}/g;

export const TOKEN_PLACEHOLDER = '[token]';

export function redactTokens(text: string): string {
  return text.replace(LINK_TOKEN, `$1${TOKEN_PLACEHOLDER}`).replace(JWS, TOKEN_PLACEHOLDER);
}

/** Stands where a one-time code was: the same mask a queued code message is stored with. */
export const CODE_PLACEHOLDER = '••••••';
/** A one-time code as the code template writes it (src/signing/otp.ts: 6 digits), standing alone. */
const OTP_CODE = /(?<![\d.,:/-])\d{6}(?![\d,:/-]|\.\d)/g;

/**
 * A recorded message once it has been delivered (or has failed for good): no link token, and for the
 * code template no code. Other templates keep their numbers (a title may hold a six-digit contract no.).
 */
export function scrubMessageText(template: string, text: string): string {
  const t = redactTokens(text);
  return template === 'code' ? t.replace(OTP_CODE, CODE_PLACEHOLDER) : t;
}

/** The same over plain data (a job payload, a log object): strings scrubbed at any depth, cycles left alone. */
export function redactDeep<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return redactTokens(value) as T;
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, seen)) as T;
  // Only plain objects: Dates, buffers and errors keep their identity (errors have their own serializer).
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, seen)])) as T;
}
