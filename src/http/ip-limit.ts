import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../config.js';
import { RateLimiter } from '../documents/verify/rate-limit.js';
import type { AppEnv } from '../types.js';
import { clientIp } from './client-ip.js';
import { AppError } from './errors.js';

/**
 * Per-client-IP limits for doors anyone can call and each of whose calls costs us work or outgoing
 * requests (the verify door's PDF checks; the install and frame doors' calls to the OAuth server and
 * the portal). Each call makes one token bucket per client IP (clientIp: TRUSTED_PROXIES rules),
 * held per app instance: call it inside createApp or a routes factory, so tests and instances never
 * share buckets. Requests whose peer is unknown share one bucket.
 */
export function ipRateLimit(perMinute: (config: Config) => number): MiddlewareHandler<AppEnv> {
  let limiter: RateLimiter | undefined;
  return async (c: Context<AppEnv>, next) => {
    const s = c.var.services;
    limiter ??= new RateLimiter(perMinute(s.config));
    const wait = limiter.take(clientIp(c) ?? 'unknown', s.clock.now().getTime());
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      throw new AppError('RATE_LIMITED', `Too many requests from your address; try again in ${wait} s.`);
    }
    await next();
  };
}
