/**
 * A per-key token bucket in memory, for the public verify door (per client IP). It is per
 * instance: N instances allow N times the rate, which is acceptable for abuse protection of an
 * anonymous, read-only endpoint. Memory is bounded by evicting the oldest keys.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly burst = perMinute,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token; returns seconds to wait when none is left, else 0. */
  take(key: string, nowMs: number): number {
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: nowMs };
    b.tokens = Math.min(this.burst, b.tokens + (nowMs - b.at) * rate);
    b.at = nowMs;
    this.buckets.delete(key); // re-insert: Map order = least recently used first
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens < 1) return Math.ceil((1 - b.tokens) / rate / 1000);
    b.tokens -= 1;
    return 0;
  }
}
