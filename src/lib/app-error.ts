import { Bitrix24Error } from '../bitrix24/types.js';

// The one error type of the service, runtime-neutral: domain code throws AppError with a machine code and a
// human message; the HTTP edge (src/app.ts's error handler, src/http/errors.ts) turns it into a response once.
// Nothing here knows about Hono or Node, so the domain folders can import it (.dependency-cruiser.cjs).

/**
 * The closed set of error codes the service answers with. Each maps to one HTTP status; the
 * message is for humans, the code for machines. Add codes here, never ad-hoc strings elsewhere.
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  GONE: 410,
  ILLEGAL_TRANSITION: 409,
  /** Signing: a recipient acting before the earlier order numbers are done. */
  NOT_YOUR_TURN: 409,
  /** Signing: one-time code wrong, expired, or too many attempts. */
  CODE_INVALID: 400,
  CODE_EXPIRED: 400,
  CODE_LOCKED: 429,
  /** Signing: an employee without an e-mail signs inside Bitrix24 (details.inPortalUrl); no code can be sent. */
  SIGN_IN_BITRIX24: 409,
  RATE_LIMITED: 429,
  PDF_INVALID: 422,
  PDF_ENCRYPTED: 422,
  PDF_TOO_LARGE: 413,
  /** A signature or stamp image over the pixel limits (src/signing/image-size.ts), whatever its bytes. */
  IMAGE_TOO_LARGE: 422,
  /** The document's data looks wrong (an amount of 0, a date before the contract's): sent only with confirmWarnings. */
  DATA_WARNINGS: 422,
  /** Fields placed on a PDF cover one another (src/documents/field-overlap.ts); details.overlaps names them. */
  FIELDS_OVERLAP: 422,
  PDF_TOO_MANY_PAGES: 422,
  PDF_ALREADY_SIGNED: 422,
  PDF_CERTIFIED_LOCKED: 422,
  /** Parsing the PDF took longer or more memory than an upload may (hostile or pathological structure). */
  PDF_TOO_COMPLEX: 422,
  CERTIFICATE_INVALID: 422,
  /** The PKCS#12 passphrase is wrong (its integrity check or decryption failed). */
  CERT_WRONG_PASSPHRASE: 422,
  CERT_EXPIRED: 422,
  CERT_NOT_YET_VALID: 422,
  /** The key cannot seal: unsupported algorithm or size, key usage without digitalSignature, key and certificate do not match. */
  CERT_KEY_UNFIT: 422,
  /** RC2/3DES (PKCS#12 v1 PBE) protection: re-export with AES-256 (OpenSSL 3 default). */
  CERT_LEGACY_ENCRYPTION: 422,
  /** A CA-issued certificate without its issuer in the file: verifiers could not build the chain. */
  CERT_CHAIN_MISSING: 422,
  /** The timestamp authority did not answer, refused, or sent a token that does not match. */
  TSA_UNAVAILABLE: 503,
  /** Long-term evidence (PAdES B-LT/B-LTA): an OCSP responder or CRL could not be reached or did not check out; the seal stays B-T. */
  LTV_UNAVAILABLE: 503,
  BITRIX24_ERROR: 502,
  BITRIX24_UNREACHABLE: 502,
  PORTAL_NEEDS_REAUTH: 409,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  /** /readyz: the database did not answer. */
  DATABASE_UNREACHABLE: 503,
  /** /readyz: the database lacks migrations this build ships (`npm run db:migrate`, or a start that applies them). */
  MIGRATIONS_PENDING: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The HTTP statuses an AppError can carry: plain numbers here; the edge hands them to its framework as they are. */
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export class AppError extends Error {
  readonly status: ErrorStatus;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Turns anything thrown into an AppError; unknown errors become a generic INTERNAL that echoes nothing. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (err instanceof Bitrix24Error) return fromBitrix24Error(err);
  const status = (err as { status?: number } | null)?.status;
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
  if (err instanceof SyntaxError) return new AppError('BAD_REQUEST', 'The request body could not be parsed.');
  return new AppError('INTERNAL', 'Something went wrong on our side. Please try again; if it persists, quote the request id.', undefined, { cause: err });
}

const BITRIX24_UNAVAILABLE = new Set(['NETWORK', 'TIMEOUT', 'QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'OVERLOAD_LIMIT', 'OAUTH_UNAVAILABLE']);

/**
 * A Bitrix24 failure that reached a door: lost authorization is for the portal's admin to fix;
 * limits and outages are "try again later"; anything else is Bitrix24 refusing the request.
 */
export function fromBitrix24Error(err: Bitrix24Error): AppError {
  const details = { bitrix24: err.code, method: err.method };
  if (err.code === 'PORTAL_NEEDS_REAUTH' || err.code === 'PORTAL_UNINSTALLED') {
    return new AppError('PORTAL_NEEDS_REAUTH', 'Bitrix24 no longer accepts this app: a portal administrator must open or reinstall it.', details, { cause: err });
  }
  // The user's own token (a frame session) is gone or refused after a refresh: only reopening helps.
  if (err.code === 'USER_TOKEN_EXPIRED' || err.code === 'USER_SESSION_GONE') {
    return new AppError('UNAUTHORIZED', 'Your Bitrix24 sign-in for this page has ended. Reopen it from Bitrix24.', details, { cause: err });
  }
  if (BITRIX24_UNAVAILABLE.has(err.code) || (err.httpStatus ?? 0) >= 500) {
    return new AppError('BITRIX24_UNREACHABLE', 'Bitrix24 is not answering right now. Please try again in a minute.', details, { cause: err });
  }
  return new AppError('BITRIX24_ERROR', `Bitrix24 refused the request (${err.code}).`, details, { cause: err });
}
