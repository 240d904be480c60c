/**
 * The contract every part of b24-sign uses to talk to a portal. The implementation (OAuth refresh,
 * shared rate limiter, retries, batch chunking) lives in client.ts; tests and the sandbox reach the
 * emulator through the same client.
 */
export type BatchCommand = [method: string, params?: Record<string, unknown>];

export interface BatchResult {
  /** Results by command key; a failed command is absent here and present in `errors`. */
  result: Record<string, unknown>;
  errors: Record<string, { error: string; error_description: string }>;
  total: Record<string, number>;
  next: Record<string, number>;
}

export interface Bitrix24Client {
  readonly portalId: string;
  /** One REST call; returns `result`. Throws Bitrix24Error. */
  call<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Full envelope (`result`, `total`, `next`, `time`) for paginated reads. */
  callRaw<T = unknown>(method: string, params?: Record<string, unknown>): Promise<{ result: T; total?: number; next?: number; time?: Record<string, unknown> }>;
  /**
   * `batch` with auto-chunking at 50 commands. Commands may reference earlier results as
   * `$result[key][FIELD]`; references into an earlier chunk are filled in by the client.
   */
  batch(commands: Record<string, BatchCommand>, opts?: { halt?: boolean }): Promise<BatchResult>;
  /** Every page of a list method (`start` = `next` until done). */
  listAll<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T[]>;
}

export interface Bitrix24ClientFactory {
  /** The app's own token (the installing admin's): background jobs, registration, robots, timeline. */
  forPortal(portalId: string): Bitrix24Client;
  /**
   * The token of the user behind a frame session (src/bitrix24/user-tokens.ts): Bitrix24 answers
   * with that user's CRM rights. Every read made for a person at the keyboard goes through this.
   */
  asUser(owner: { sessionId: string; portalId: string; userId: number }): Bitrix24Client;
}

export class Bitrix24Error extends Error {
  constructor(
    /** Bitrix24's error code, e.g. QUERY_LIMIT_EXCEEDED, expired_token, ACCESS_DENIED, or NETWORK. */
    readonly code: string,
    readonly description: string,
    readonly method: string,
    readonly httpStatus?: number,
    /**
     * `retryAt`: when the call may succeed again (OPERATION_TIME_LIMIT pauses a method).
     * `retryable`: whether repeating the whole operation later is sensible; false for hard errors
     * and for writes whose outcome is unknown (a timeout after the request left).
     */
    readonly details: { retryAt?: Date; retryable?: boolean } = {},
  ) {
    super(`${method}: ${code}${description ? ` — ${description}` : ''}`);
    this.name = 'Bitrix24Error';
  }
}
