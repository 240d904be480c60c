/**
 * Rules the client applies to Bitrix24 responses (reference §3.2, §3.6): which methods are safe to
 * repeat, and what an error really is when legacy methods leave the code empty.
 */

/**
 * Last dotted segments of methods that only read. Rule: a method may be repeated after a network
 * error or a 5xx only when it is a read: its last segment is one of these, or the whole name is in
 * READ_METHODS. Everything else (add, update, delete, bind, send, log, execute, …) may already have
 * taken effect, so it is never repeated blindly (reference §13.20).
 */
const READ_VERBS = new Set(['get', 'list', 'fields', 'current', 'info', 'search', 'getlist', 'getfields', 'count', 'version']);
const READ_METHODS = new Set(['profile', 'methods', 'method.get', 'scope', 'server.time', 'feature.get', 'user.access']);

export function isReadMethod(method: string): boolean {
  const m = method.toLowerCase().replace(/\.json$/, '');
  if (READ_METHODS.has(m)) return true;
  const last = m.slice(m.lastIndexOf('.') + 1);
  return READ_VERBS.has(last);
}

/**
 * Legacy crm.deal.* / crm.contact.* answer `{"error":"","error_description":"Not found"}`: the code
 * is empty and only the text says what happened. Give such errors the code the modern methods use.
 */
export function normalizeErrorCode(error: unknown, description: unknown): string {
  const code = typeof error === 'string' ? error.trim() : typeof error === 'number' ? String(error) : '';
  if (code) return code;
  const text = typeof description === 'string' ? description.toLowerCase() : '';
  if (text.includes('not found')) return 'NOT_FOUND';
  if (text.includes('access denied') || text.includes('permission')) return 'ACCESS_DENIED';
  if (text.includes('not defined or invalid') || text.includes('invalid') || text.includes('must be') || text.includes('required')) {
    return 'INVALID_ARG_VALUE';
  }
  return 'ERROR_UNKNOWN';
}

/** An error envelope: the `error` key is present, even as an empty string (legacy methods). */
export function isErrorBody(body: unknown): body is { error: unknown; error_description?: unknown } {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'error' in body && !('result' in body);
}

/**
 * Codes that mean the access token must be refreshed: 401 `expired_token`, `invalid_token`, and
 * `NO_AUTH_FOUND` ("Wrong authorization data": an invalid access token; b24restdocs
 * _includes/system-errors.md; reference §14).
 */
export function isTokenError(status: number, code: string): boolean {
  return status === 401 && (code === 'expired_token' || code === 'invalid_token' || code === 'NO_AUTH_FOUND');
}

/** A token error that a refresh may not cure: the token is not merely old but unknown or revoked. */
export function isRevokedTokenCode(code: string): boolean {
  return code === 'invalid_token' || code === 'NO_AUTH_FOUND';
}
