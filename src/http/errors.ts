import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, type ErrorCode } from '../lib/app-error.js';

// The HTTP side of errors. The error type itself is runtime-neutral (src/lib/app-error.ts); it is
// re-exported here for the doors, which may import either module.
export { AppError, ERROR_STATUS, fromBitrix24Error, isAppError, toAppError, type ErrorCode, type ErrorStatus } from '../lib/app-error.js';

/** The one place an AppError's status becomes an HTTP status (checked against Hono's list at compile time). */
export const httpStatusOf = (err: AppError): ContentfulStatusCode => err.status;

export type ErrorBody = { error: { code: ErrorCode; message: string; requestId?: string; details?: Record<string, unknown> } };

export function errorBody(err: AppError, requestId?: string): ErrorBody {
  return { error: { code: err.code, message: err.message, requestId, ...(err.details ? { details: err.details } : {}) } };
}

/** True when the client asked for a page rather than JSON: HTML doors render a friendly error page. */
export function wantsHtml(c: Context): boolean {
  if (c.req.path.startsWith('/api/')) return false;
  return (c.req.header('accept') ?? '').includes('text/html');
}
