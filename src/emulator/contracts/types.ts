/**
 * What a REST method is, as Bitrix24's own sources describe it: one record per method, checked by the
 * emulator's dispatcher (rest.ts) on every call and by test/unit/bitrix24-contracts.test.ts against the
 * documentation's own examples. Written from bitrix24/b24restdocs (MIT) and the official SDKs; each
 * contract names its source, so a disagreement can be traced to a page rather than to our memory.
 */
import { z } from 'zod';
import { DOCUMENTED_ERRORS } from './documented-errors.js';

/** An error a source says the method answers with. `code` '' is the legacy CRM empty code. */
export interface DocumentedError {
  code: string;
  status: number;
  message: string;
}

export interface MethodContract {
  method: string;
  /** Where this comes from: `b24restdocs <path>` or `<sdk> <file>` (the mirror's commit is in contracts/README.md). */
  source: string[];
  /** Any one of these scopes lets the call through; `basic` needs none (every app has it). */
  scope: readonly string[];
  /** Only a portal administrator may call it (the docs' "Who can execute"). */
  admin?: boolean;
  /**
   * Accepted parameters. A loose object: keys the source does not list pass untouched, as Bitrix24
   * ignores them. A listed key whose value does not fit is refused only when `refuse` names the error
   * the source documents for it; otherwise the value is dropped before the method runs (ignored).
   */
  params: z.ZodObject;
  refuse?: Record<string, DocumentedError>;
  /** The `result` of a successful reply, from the docs' example or the SDK's parser. */
  result: z.ZodType;
  /** Documented errors (their table), plus the system errors any method may answer with. */
  errors: readonly DocumentedError[];
  /**
   * Errors the emulator answers with that no source lists for this method, each with why it is kept
   * (a real portal's behaviour noted in shared/reference/bitrix24.md). Kept apart so they stay visible.
   */
  unlisted?: readonly (DocumentedError & { why: string })[];
}

/** b24restdocs _includes/system-errors.md: what any method may answer. */
export const SYSTEM_ERRORS: readonly DocumentedError[] = [
  { code: 'INTERNAL_SERVER_ERROR', status: 500, message: 'Internal server error' },
  { code: 'ERROR_UNEXPECTED_ANSWER', status: 500, message: 'Server returned an unexpected response' },
  { code: 'QUERY_LIMIT_EXCEEDED', status: 503, message: 'Too many requests' },
  { code: 'ERROR_BATCH_METHOD_NOT_ALLOWED', status: 405, message: 'Method is not allowed for batch usage' },
  { code: 'ERROR_BATCH_LENGTH_EXCEEDED', status: 400, message: 'Max batch length exceeded' },
  { code: 'NO_AUTH_FOUND', status: 401, message: 'Wrong authorization data' },
  { code: 'INVALID_REQUEST', status: 400, message: 'Https required' },
  { code: 'OVERLOAD_LIMIT', status: 503, message: 'REST API is blocked due to overload' },
  { code: 'ACCESS_DENIED', status: 403, message: 'REST API is available only on commercial plans' },
  { code: 'INVALID_CREDENTIALS', status: 403, message: 'Invalid request credentials' },
  { code: 'insufficient_scope', status: 403, message: 'The request requires higher privileges than provided by the webhook token' },
  { code: 'expired_token', status: 401, message: 'The access token provided has expired' },
  { code: 'invalid_token', status: 401, message: 'The access token provided is invalid.' },
  { code: 'user_access_error', status: 403, message: 'The user does not have access to the application' },
  { code: 'ERROR_METHOD_NOT_FOUND', status: 404, message: 'Method not found!' },
  // b24restdocs limits.md: a method over its operating (resource) limit is blocked for a while.
  { code: 'OPERATION_TIME_LIMIT', status: 429, message: 'Method is blocked due to operation time limit.' },
];

/** The documented error table of a method (documented-errors.ts, read from its b24restdocs page). */
export function documented(method: string): readonly DocumentedError[] {
  const list = DOCUMENTED_ERRORS[method];
  if (!list) throw new Error(`no documented error table for ${method}`);
  return list;
}

// ---- shapes shared by many contracts ----

/** Integers arrive as numbers (JSON) or digit strings (forms, batch queries). */
export const zInt = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);
/** An id: a positive integer in either form. */
export const zId = z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d*$/)]);
/** Y/N flags; some methods also take booleans or 1/0. */
export const zYN = z.union([z.enum(['Y', 'N', 'y', 'n']), z.boolean(), z.literal(0), z.literal(1), z.enum(['0', '1'])]);
/** Anything PHP reads as an array: an object, a list, or an empty string/list in form encoding. */
export const zPhpArray = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);
/** A list-method filter / order: an object (form encoding may give an empty list). */
export const zFilter = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()).max(0)]);
/** `select`: a list of field names (form encoding gives an object keyed 0..n). */
export const zSelect = z.union([z.array(z.string()), z.record(z.string(), z.string())]);
/** `start` of a list page: a number, -1 to skip counting. */
export const zStart = zInt;

/** A classic UPPER_CASE row: string-keyed, values as the portal stores them. */
export const zRow = z.record(z.string(), z.unknown());
export const zRows = z.array(zRow);

/** The `LANG_ALL`-style localised text: a string or `{ en: …, de: … }`. */
export const zLocalized = z.union([z.string(), z.record(z.string(), z.unknown())]);

/** Helper so every contract is typed and carries its own method name. */
export function contract(c: MethodContract): MethodContract {
  return c;
}
