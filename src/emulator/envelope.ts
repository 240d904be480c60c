/** REST envelopes and errors exactly as portals return them (reference §3.2). */
import type { EmulatorState } from './state.js';
import type { InstalledApp, Portal, Row, TokenRecord } from './types.js';

/** Thrown by method handlers; becomes `{error, error_description}` with an HTTP status. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${code}: ${description}`);
  }
}

/** Legacy crm.deal/contact/company/lead errors carry an empty code (reference §3.2, pitfall 17). */
export const legacyError = (description: string, status = 400) => new RestError(status, '', description);

export interface MethodCtx {
  st: EmulatorState;
  portal: Portal;
  token: TokenRecord;
  app: InstalledApp;
  params: Row;
  isAdmin: boolean;
  /** Set inside batch: the sub-command key. */
  batchKey?: string;
}

export interface MethodResult {
  result: unknown;
  total?: number;
  next?: number;
}

export interface MethodDef {
  /** Any of these scopes suffices; absent → no scope needed (basic methods). */
  scope?: string[];
  /** Admin only; `adminError` says how the refusal looks for this method family. */
  admin?: boolean;
  adminError?: () => RestError;
  /** Not allowed inside batch (ERROR_BATCH_METHOD_NOT_ALLOWED). */
  noBatch?: boolean;
  handler: (ctx: MethodCtx) => MethodResult | Promise<MethodResult>;
}

export type MethodTable = Record<string, MethodDef>;

export function timeBlock(st: EmulatorState, startMs: number, operating: { operating: number; resetAt: number }) {
  const finish = Math.max(st.now(), startMs);
  const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
  const duration = (finish - startMs) / 1000;
  return {
    start: startMs / 1000,
    finish: finish / 1000,
    duration,
    processing: duration,
    date_start: iso(startMs),
    date_finish: iso(finish),
    operating_reset_at: Math.floor(operating.resetAt / 1000),
    operating: operating.operating,
  };
}

export const errorBody = (e: RestError) => ({ error: e.code, error_description: e.description, ...e.extra });

/** Required scalar parameter, reading both the documented and the other casing (older methods are lenient). */
export function param(params: Row, ...names: string[]): unknown {
  for (const n of names) {
    if (params[n] !== undefined) return params[n];
  }
  const lower = new Map(Object.keys(params).map((k) => [k.toLowerCase(), k]));
  for (const n of names) {
    const k = lower.get(n.toLowerCase());
    if (k !== undefined) return params[k];
  }
  return undefined;
}

export const asObject = (v: unknown): Row => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : {});
