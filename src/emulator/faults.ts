/** Fault injection: make the next N calls, or every call for T ms, fail or stall. Tests only. */
import type { ActiveFault, EmulatorState } from './state.js';
import type { FaultSpec } from './types.js';

let nextId = 0;

export function addFault(st: EmulatorState, spec: FaultSpec): number {
  const f: ActiveFault = { ...spec, id: ++nextId, method: spec.method?.toLowerCase() };
  if (spec.forMs !== undefined) f.until = st.now() + spec.forMs;
  else f.remaining = spec.count ?? 1;
  st.faults.push(f);
  return f.id;
}

export function clearFaults(st: EmulatorState, id?: number) {
  st.faults = id === undefined ? [] : st.faults.filter((f) => f.id !== id);
}

/** The fault that applies to this call, consuming one use of a counted fault. */
export function takeFault(st: EmulatorState, target: 'rest' | 'oauth', method: string, memberId?: string): ActiveFault | undefined {
  const now = st.now();
  st.faults = st.faults.filter((f) => (f.until === undefined || f.until > now) && (f.remaining === undefined || f.remaining > 0));
  const f = st.faults.find(
    (x) => (x.target ?? 'rest') === target && (!x.method || x.method === method) && (!x.memberId || x.memberId === memberId),
  );
  if (f && f.remaining !== undefined) f.remaining--;
  return f;
}

export async function faultResponse(f: ActiveFault): Promise<Response> {
  if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
  const status = f.status ?? 500;
  const error = f.error ?? (status === 503 ? 'QUERY_LIMIT_EXCEEDED' : 'INTERNAL_SERVER_ERROR');
  const description = f.errorDescription ?? (status === 503 ? 'Too many requests' : 'Internal server error');
  return Response.json({ error, error_description: description }, { status });
}

/** A delay-only fault (no status) slows the call down but lets it succeed. */
export const isDelayOnly = (f: ActiveFault) => f.delayMs !== undefined && f.status === undefined && f.error === undefined;
