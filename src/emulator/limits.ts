/**
 * The two cloud limits (reference §3.5): the per-portal leaky bucket (+1 per HTTP request, drains
 * `perSecond`, refuses above `burst` → 503 QUERY_LIMIT_EXCEEDED) and the per-method operating limit
 * (execution seconds summed over a 10-minute window → 429 OPERATION_TIME_LIMIT until the reset).
 */
import type { EmulatorState } from './state.js';
import type { Portal } from './types.js';

/** Takes one unit from the portal's bucket; false when the request must be refused. */
export function takeBucketUnit(st: EmulatorState, portal: Portal): boolean {
  const rl = st.opts.rateLimit;
  if (!rl) return true;
  const now = st.now();
  const b = portal.bucket;
  b.level = Math.max(0, b.level - ((now - b.at) / 1000) * rl.perSecond);
  b.at = now;
  if (b.level + 1 > rl.burst) return false;
  b.level += 1;
  return true;
}

function slot(portal: Portal, method: string) {
  let s = portal.operating.get(method);
  if (!s) portal.operating.set(method, (s = { samples: [], blockedUntil: 0 }));
  return s;
}

/** Current figures for `time.operating` / `time.operating_reset_at`. */
export function operatingState(st: EmulatorState, portal: Portal, method: string): { operating: number; resetAt: number; blockedUntil: number } {
  const now = st.now();
  const { windowMs } = st.opts.operating;
  const s = slot(portal, method);
  s.samples = s.samples.filter((x) => x.at > now - windowMs);
  const operating = s.samples.reduce((a, x) => a + x.seconds, 0);
  const oldest = s.samples[0]?.at ?? now;
  const resetAt = s.blockedUntil > now ? s.blockedUntil : oldest + windowMs;
  return { operating, resetAt, blockedUntil: s.blockedUntil };
}

export function isOperatingBlocked(st: EmulatorState, portal: Portal, method: string): boolean {
  return slot(portal, method).blockedUntil > st.now();
}

/** Books a call's cost; crossing the limit blocks the method for `blockMs`. */
export function recordOperating(st: EmulatorState, portal: Portal, method: string) {
  const cost = st.opts.operating.costSeconds(method);
  if (cost <= 0) return;
  const s = slot(portal, method);
  s.samples.push({ at: st.now(), seconds: cost });
  const { operating } = operatingState(st, portal, method);
  if (operating > st.opts.operating.limitSeconds) s.blockedUntil = st.now() + st.opts.operating.blockMs;
}

/** Control: block a method now, as if it had used up its budget. */
export function blockMethod(st: EmulatorState, portal: Portal, method: string, forMs?: number) {
  slot(portal, method.toLowerCase()).blockedUntil = st.now() + (forMs ?? st.opts.operating.blockMs);
}
