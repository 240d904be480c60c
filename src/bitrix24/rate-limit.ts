import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';

/**
 * The portal's leaky bucket (reference §3.5), mirrored in PostgreSQL so that every app instance
 * draws from one budget. Bitrix24 adds 1 per request, drains `rate` per second and answers 503
 * above `burst`. Each acquire is one atomic upsert that drains the stored level by the time elapsed
 * (database clock, so instances with skewed clocks agree) and adds 1. A level above the capacity is
 * a reservation: the caller sleeps until its unit has drained below the capacity, so the requests
 * that reach Bitrix24 never exceed the bucket, however many instances queue up.
 */
export interface RateLimitSettings {
  /** Units drained per second (2 ordinary plans, 5 Enterprise). */
  ratePerSecond: number;
  /** Bitrix24's bucket size (50 / 250). */
  burst: number;
}

/**
 * We fill to a little under Bitrix24's bucket: arrival jitter (one request delayed, the next one
 * on time) can otherwise push the real bucket past ours. The headroom is 4 % of the burst and at
 * least a quarter second of draining, so a request may arrive up to ~250 ms late without harm.
 */
export function effectiveCapacity(burst: number, ratePerSecond = 0): number {
  const headroom = Math.max(1, Math.ceil(burst * 0.04), Math.ceil(ratePerSecond * 0.25));
  return Math.max(1, burst - headroom);
}

export type Acquired =
  /** `goAtMs`: when the unit may be spent, on the database clock (`waitMs` after the acquire). */
  | { kind: 'go'; waitMs: number; goAtMs: number; dbNowMs: number; level: number }
  /** The method is paused after OPERATION_TIME_LIMIT; no unit was taken. */
  | { kind: 'paused'; until: Date; dbNowMs: number };

export async function acquireUnit(db: Database, p: { portalId: string; method: string; limits: RateLimitSettings }): Promise<Acquired> {
  const rate = p.limits.ratePerSecond;
  const method = p.method.toLowerCase();
  const result = await db.execute(sql`
    insert into rate_buckets as b (portal_id, level, updated_at, paused_until)
    values (${p.portalId}, 1, clock_timestamp(), '{}'::jsonb)
    on conflict (portal_id) do update set
      level = greatest(0, b.level - greatest(0, extract(epoch from (excluded.updated_at - b.updated_at))::float8) * ${rate}::float8)
        + case when coalesce((b.paused_until ->> ${method})::timestamptz, '-infinity'::timestamptz) > excluded.updated_at then 0 else 1 end,
      updated_at = greatest(b.updated_at, excluded.updated_at)
    returning level::float8 as level,
      (extract(epoch from updated_at) * 1000)::float8 as now_ms,
      (extract(epoch from (paused_until ->> ${method})::timestamptz) * 1000)::float8 as paused_ms`);
  const row = rowsOf<{ level: number | string; now_ms: number | string; paused_ms: number | string | null }>(result)[0];
  if (!row) throw new Error('rate bucket upsert returned no row');
  const level = Number(row.level);
  const nowMs = Number(row.now_ms);
  const pausedMs = row.paused_ms === null ? null : Number(row.paused_ms);
  if (pausedMs !== null && pausedMs > nowMs) return { kind: 'paused', until: new Date(pausedMs), dbNowMs: nowMs };
  const excess = level - effectiveCapacity(p.limits.burst, rate);
  const waitMs = excess > 0 ? Math.ceil((excess / rate) * 1000) : 0;
  return { kind: 'go', level, waitMs, goAtMs: nowMs + waitMs, dbNowMs: nowMs };
}

/**
 * Maps the database clock onto this process's monotonic clock, so a caller sleeps until its slot
 * rather than for `waitMs` after the answer arrived: an answer that comes back late (a busy event
 * loop, a slow connection) must not push the request into the next caller's slot. Every answer
 * bounds the offset from below (db time − local receive time = skew − latency); the largest recent
 * bound is the closest to the true skew.
 */
export class DbClockOffset {
  private samples: number[] = [];
  observe(dbNowMs: number, localNowMs: number): void {
    this.samples.push(dbNowMs - localNowMs);
    if (this.samples.length > 64) this.samples.shift();
  }
  /** Milliseconds from `localNowMs` until `dbTimeMs`, never negative. */
  delayUntil(dbTimeMs: number, localNowMs: number): number {
    if (!this.samples.length) return 0;
    const offset = Math.max(...this.samples);
    return Math.max(0, Math.ceil(dbTimeMs - offset - localNowMs));
  }
}

/**
 * Bitrix24 said QUERY_LIMIT_EXCEEDED although our bucket thought otherwise (another app on the
 * same IP, a restarted portal counter): treat the shared bucket as full so every instance slows down.
 */
export async function markBucketFull(db: Database, p: { portalId: string; limits: RateLimitSettings }): Promise<void> {
  await db.execute(sql`
    insert into rate_buckets as b (portal_id, level, updated_at, paused_until)
    values (${p.portalId}, ${p.limits.burst}::float8, clock_timestamp(), '{}'::jsonb)
    on conflict (portal_id) do update set
      level = greatest(
        greatest(0, b.level - greatest(0, extract(epoch from (excluded.updated_at - b.updated_at))::float8) * ${p.limits.ratePerSecond}::float8),
        excluded.level),
      updated_at = greatest(b.updated_at, excluded.updated_at)`);
}

/** OPERATION_TIME_LIMIT: no instance calls `method` on this portal before `until`. */
export async function pauseMethod(db: Database, p: { portalId: string; method: string; until: Date }): Promise<void> {
  const method = p.method.toLowerCase();
  const until = p.until.toISOString();
  await db.execute(sql`
    insert into rate_buckets as b (portal_id, level, updated_at, paused_until)
    values (${p.portalId}, 0, clock_timestamp(), jsonb_build_object(${method}::text, ${until}::text))
    on conflict (portal_id) do update set
      paused_until = b.paused_until || jsonb_build_object(${method}::text, ${until}::text)`);
}
