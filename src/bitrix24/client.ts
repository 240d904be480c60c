import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { isErrorBody, isReadMethod, isRevokedTokenCode, isTokenError, normalizeErrorCode } from './classify.js';
import { assertSafeEndpoint, DEFAULT_OAUTH_HOSTS, methodUrl, restEndpointFromLocation, safeForLog, tokenUrlFor } from './endpoints.js';
import { endpointFromOAuthServer, sameEndpoint } from './endpoint-move.js';
import { refreshPortalTokens, requestTokenRefresh, statusError } from './oauth.js';
import { loadPortalCredentials, markPortalNeedsReauth, updatePortalEndpoint, type PortalCredentials } from './portal-store.js';
import { buildQuery } from './query-string.js';
import { loadFrameTokens, refreshFrameTokens, type FrameOwner } from './user-tokens.js';
import { acquireUnit, DbClockOffset, markBucketFull, pauseMethod, type RateLimitSettings } from './rate-limit.js';
import { Bitrix24Error, type BatchCommand, type BatchResult, type Bitrix24Client, type Bitrix24ClientFactory } from './types.js';

/** A queued caller that wakes this long after its slot takes a new one rather than joining a burst. */
const STALE_SLOT_MS = 150;

/** Bitrix24 rejects more than 50 commands in one batch (ERROR_BATCH_LENGTH_EXCEEDED). */
export const BATCH_LIMIT = 50;
/** The same code also refuses a batch whose parameters are too long, whatever their count (reference §14). */
export const BATCH_TOO_LONG = 'ERROR_BATCH_LENGTH_EXCEEDED';

export interface Bitrix24Options {
  /** First backoff step; 503 QUERY_LIMIT_EXCEEDED waits 1 s, 2 s, 4 s (reference §3.5). */
  retryBaseMs: number;
  /** Retries after 503 QUERY_LIMIT_EXCEEDED. */
  limitRetries: number;
  /** Retries of read methods after a network error, a timeout or a 5xx. */
  readRetries: number;
  /** Bitrix24 stops a request at 60 s; give it a little longer before we give up. */
  requestTimeoutMs: number;
  oauthTimeoutMs: number;
  maxRedirects: number;
  oauthHosts: readonly string[];
  sleep: (ms: number) => Promise<void>;
  /** The app's OAuth credentials; default from config (the sandbox passes the emulator's). */
  clientId?: string;
  clientSecret?: string;
}

export interface Bitrix24Deps {
  db: Database;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'BITRIX24_CLIENT_ID' | 'BITRIX24_CLIENT_SECRET' | 'BITRIX24_ALLOW_INSECURE_ENDPOINTS' | 'BITRIX24_RATE_PER_SECOND' | 'BITRIX24_RATE_BURST' | 'tokenKeyring'> &
    Partial<Pick<Config, 'BITRIX24_OAUTH_HOSTS' | 'NODE_ENV'>>;
  options?: Partial<Bitrix24Options>;
}

type Envelope = { result?: unknown; total?: unknown; next?: unknown; time?: Record<string, unknown> };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The REST client factory. One per process (or per Worker request): it holds the in-process state
 * that makes concurrent calls cheap — the cached portal row and the one refresh in flight per
 * portal — while everything that must hold across processes (the token pair and its version, the
 * leaky bucket, method pauses) lives in PostgreSQL.
 */
export function createBitrix24(deps: Bitrix24Deps): Bitrix24ClientFactory {
  const opts: Bitrix24Options = {
    retryBaseMs: 1000,
    limitRetries: 3,
    readRetries: 2,
    requestTimeoutMs: 65_000,
    oauthTimeoutMs: 15_000,
    maxRedirects: 3,
    oauthHosts: deps.config.BITRIX24_OAUTH_HOSTS ?? DEFAULT_OAUTH_HOSTS,
    sleep: defaultSleep,
    ...deps.options,
  };
  const { db, logger, clock } = deps;
  const allowInsecure = deps.config.BITRIX24_ALLOW_INSECURE_ENDPOINTS;
  const limits: RateLimitSettings = { ratePerSecond: deps.config.BITRIX24_RATE_PER_SECOND, burst: deps.config.BITRIX24_RATE_BURST };
  const clientId = opts.clientId ?? deps.config.BITRIX24_CLIENT_ID;
  const clientSecret = opts.clientSecret ?? deps.config.BITRIX24_CLIENT_SECRET;

  /** The newest row (token pair and version) this process has seen per portal; guides the refresh single flight. */
  const cache = new Map<string, { creds: PortalCredentials; at: number }>();
  const loading = new Map<string, Promise<PortalCredentials | undefined>>();
  const inflight = new Map<string, { version: number; promise: Promise<PortalCredentials> }>();
  /** `time.operating_reset_at` of the last good response per portal+method: when a 429 pause ends. */
  const operatingResetAt = new Map<string, number>();
  const dbClock = new DbClockOffset();
  /** Per portal: when this process last let a queued request go (performance.now()). */
  const lastRelease = new Map<string, number>();

  const nowMs = () => clock.now().getTime();
  const remember = (creds: PortalCredentials) => cache.set(creds.portalId, { creds, at: nowMs() });

  /**
   * The stored row, read for every logical call (concurrent calls share one read): an endpoint,
   * status or token pair that changed in the database — a reinstall, another instance following a
   * rename, an uninstall — takes effect on the next call, with no stale per-process copy (reference §14).
   */
  async function credentials(portalId: string, method: string): Promise<PortalCredentials> {
    let pending = loading.get(portalId);
    if (!pending) {
      pending = loadPortalCredentials(db, deps.config.tokenKeyring, portalId).finally(() => loading.delete(portalId));
      loading.set(portalId, pending);
    }
    const row = await pending;
    if (!row) {
      cache.delete(portalId);
      throw new Bitrix24Error('PORTAL_NOT_FOUND', 'portal is not stored', method);
    }
    // A read that began before a refresh committed must not hide the newer pair from waiting callers.
    const hit = cache.get(portalId);
    if (!hit || row.tokenVersion >= hit.creds.tokenVersion) remember(row);
    if (!hit || row.tokenVersion >= hit.creds.tokenVersion) return row;
    const { accessToken, refreshToken, expiresAt, tokenVersion } = hit.creds;
    return { ...row, accessToken, refreshToken, expiresAt, tokenVersion };
  }

  /** In-process single flight in front of the cross-process one in refreshPortalTokens. */
  async function refresh(portalId: string, seenVersion: number, method: string): Promise<PortalCredentials> {
    for (;;) {
      const hit = cache.get(portalId);
      if (hit && hit.creds.tokenVersion > seenVersion) return hit.creds;
      const running = inflight.get(portalId);
      if (running) {
        const creds = await running.promise; // a failure (needs_reauth) is everyone's failure
        if (creds.tokenVersion > seenVersion) return creds;
        continue;
      }
      const promise = refreshPortalTokens(
        { db, keyring: deps.config.tokenKeyring, fetch: deps.fetch, logger, now: () => clock.now(), clientId, clientSecret, allowInsecure, oauthHosts: opts.oauthHosts, production: deps.config.NODE_ENV === 'production', timeoutMs: opts.oauthTimeoutMs },
        { portalId, seenVersion, method },
      )
        .then((creds) => {
          remember(creds);
          return creds;
        })
        .catch((e: unknown) => {
          cache.delete(portalId);
          throw e;
        })
        .finally(() => inflight.delete(portalId));
      inflight.set(portalId, { version: seenVersion, promise });
      return promise;
    }
  }

  /** One user refresh in flight per frame session in this process (refresh tokens are single-use). */
  const userInflight = new Map<string, Promise<PortalCredentials>>();

  /** The portal's row with the user's pair in place of the portal's; a session not stored is a 401. */
  async function userCredentials(user: FrameOwner, method: string): Promise<PortalCredentials> {
    const [row, tokens] = await Promise.all([credentials(user.portalId, method), loadFrameTokens(db, deps.config.tokenKeyring, user)]);
    if (!tokens) throw new Bitrix24Error('USER_SESSION_GONE', 'no user token is stored for this session', method, 401);
    return { ...row, ...tokens };
  }

  function refreshUser(user: FrameOwner, seenVersion: number, method: string): Promise<PortalCredentials> {
    const key = `${user.portalId}\u0000${user.sessionId}`;
    let running = userInflight.get(key);
    if (!running) {
      running = (async () => {
        const row = await credentials(user.portalId, method);
        if (!clientId || !clientSecret) throw new Bitrix24Error('OAUTH_NOT_CONFIGURED', 'BITRIX24_CLIENT_ID/BITRIX24_CLIENT_SECRET are not set', method);
        if (!row.serverEndpoint) throw new Bitrix24Error('USER_TOKEN_EXPIRED', 'the portal has no OAuth server stored', method, 401);
        let tokenUrl: URL;
        try {
          tokenUrl = tokenUrlFor(row.serverEndpoint, { allowInsecure, oauthHosts: opts.oauthHosts, production: deps.config.NODE_ENV === 'production' });
        } catch (e) {
          throw new Bitrix24Error('INSECURE_ENDPOINT', (e as Error).message, method);
        }
        const tokens = await refreshFrameTokens(
          { db, keyring: deps.config.tokenKeyring, now: () => clock.now(), request: (refreshToken) => requestTokenRefresh(deps.fetch, tokenUrl, { clientId, clientSecret, refreshToken, timeoutMs: opts.oauthTimeoutMs }) },
          { ...user, seenVersion, method },
        );
        logger.info({ portalId: user.portalId, userId: user.userId, tokenVersion: tokens.tokenVersion }, 'bitrix24 user token current');
        return { ...row, ...tokens };
      })().finally(() => userInflight.delete(key));
      userInflight.set(key, running);
    }
    return running;
  }

  /**
   * Queued callers leave this process at least 1/rate apart, never before `earliest`
   * (performance.now() time): after a stalled event loop or a refresh their timers fire together,
   * and without this they would reach Bitrix24 as one burst.
   */
  async function paceUntil(portalId: string, earliest: number): Promise<number> {
    const slot = Math.max(earliest, (lastRelease.get(portalId) ?? 0) + 1000 / limits.ratePerSecond);
    lastRelease.set(portalId, slot);
    const wait = slot - performance.now();
    if (wait > 0) await opts.sleep(Math.ceil(wait));
    return performance.now() - slot;
  }

  function backoff(attempt: number): number {
    const jitter = 0.9 + Math.random() * 0.2;
    return Math.round(opts.retryBaseMs * 2 ** attempt * jitter);
  }

  /**
   * A 302 re-points the portal only when `app.info` on its OAuth server gives the same
   * `install.client_endpoint` (src/bitrix24/endpoint-move.ts); an expired token is refreshed once.
   * Returns the credentials to go on with (refreshed or not).
   */
  async function confirmMove(portalId: string, start: PortalCredentials, next: URL, method: string, renew = (seen: number) => refresh(portalId, seen, method)): Promise<PortalCredentials> {
    let creds = start;
    const trust = { allowInsecure, oauthHosts: opts.oauthHosts, production: deps.config.NODE_ENV === 'production' };
    for (let attempt = 0; ; attempt++) {
      const answer = await endpointFromOAuthServer(deps.fetch, { serverEndpoint: creds.serverEndpoint, accessToken: creds.accessToken ?? '', memberId: creds.memberId, trust, timeoutMs: opts.oauthTimeoutMs });
      if (answer.kind === 'token' && attempt === 0) {
        creds = await renew(creds.tokenVersion);
        continue;
      }
      if (answer.kind === 'ok' && sameEndpoint(answer.clientEndpoint, next.href)) return creds;
      const why = answer.kind === 'ok' ? `the OAuth server names ${safeForLog(answer.clientEndpoint)}` : answer.kind === 'token' ? 'token refused' : answer.reason;
      logger.warn({ portalId, to: safeForLog(next.href), why }, 'bitrix24 redirect not confirmed by the OAuth server; not followed');
      throw new Bitrix24Error('ENDPOINT_NOT_CONFIRMED', `portal redirected to ${safeForLog(next.href)}, which its OAuth server does not confirm (${why})`, method, 302, { retryable: false });
    }
  }

  function pausedError(method: string, until: Date): Bitrix24Error {
    return new Bitrix24Error('OPERATION_TIME_LIMIT', `method paused until ${until.toISOString()}`, method, 429, { retryAt: until, retryable: true });
  }

  /**
   * One logical REST call with everything the decision table asks for (reference §3.6): the shared
   * bucket before every request, refresh on 401, backoff on 503, a pause on 429, a 302 followed to
   * the renamed portal, and repeats after network errors or 5xx for reads only.
   */
  async function execute(portalId: string, method: string, params: Record<string, unknown>, read: boolean, user?: FrameOwner): Promise<Envelope> {
    // As a user (a frame session): the portal's row for where and whether to call, the user's own
    // pair for the token, so Bitrix24 applies that user's rights. The portal's caches stay untouched.
    const renew = (seen: number) => (user ? refreshUser(user, seen, method) : refresh(portalId, seen, method));
    let creds = user ? await userCredentials(user, method) : await credentials(portalId, method);
    if (creds.status !== 'installed') throw statusError(creds.status, method);
    // The stored expiry has passed: one refresh now saves a request that would only come back 401.
    if (creds.expiresAt && creds.expiresAt.getTime() <= nowMs()) creds = await renew(creds.tokenVersion);

    let authRetries = 0;
    let invalidTokens = 0;
    let limitRetries = 0;
    let transientRetries = 0;
    let redirects = 0;
    let staleSlots = 0;

    /** True (and `creds` replaced) when this process knows or is fetching a newer token than ours. */
    const awaitNewerToken = async (): Promise<boolean> => {
      if (user) return false;
      const running = inflight.get(portalId);
      if (running && running.version === creds.tokenVersion) creds = await refresh(portalId, creds.tokenVersion, method);
      const hit = cache.get(portalId);
      if (hit && hit.creds.tokenVersion > creds.tokenVersion) creds = hit.creds;
      return creds.tokenVersion !== seenVersion ? ((seenVersion = creds.tokenVersion), true) : false;
    };
    let seenVersion = creds.tokenVersion;

    for (;;) {
      // A refresh of our token is running: wait for it before reserving a slot.
      await awaitNewerToken();
      if (creds.status !== 'installed') throw statusError(creds.status, method);
      let endpoint: URL;
      try {
        endpoint = assertSafeEndpoint(creds.clientEndpoint, { allowInsecure });
      } catch (e) {
        throw new Bitrix24Error('INSECURE_ENDPOINT', (e as Error).message, method, undefined, { retryable: false });
      }
      if (!creds.accessToken) throw new Bitrix24Error('PORTAL_NEEDS_REAUTH', 'no access token stored', method);

      const unit = await acquireUnit(db, { portalId, method, limits });
      const received = performance.now();
      dbClock.observe(unit.dbNowMs, received);
      if (unit.kind === 'paused') throw pausedError(method, unit.until);
      if (unit.waitMs > 0) {
        const late = await paceUntil(portalId, received + Math.min(unit.waitMs, dbClock.delayUntil(unit.goAtMs, received)));
        // Woken far past our slot (a stalled event loop, a starved machine): everyone else's slots
        // slipped too, and going now would land on top of them. Queue again instead.
        if (late > STALE_SLOT_MS && staleSlots++ < 3) continue;
        // While we waited, our token was superseded or is being refreshed. Sending it would only earn
        // a 401; waiting for the refresh would make our slot stale. Take the new token and a new slot
        // (the unused one drains from the shared bucket on its own).
        if (await awaitNewerToken()) continue;
      }

      const url = methodUrl(endpoint, method);
      const started = performance.now();
      let res: Response;
      try {
        res = await deps.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ ...params, auth: creds.accessToken }),
          // A renamed portal answers 302; we re-send the POST ourselves rather than let fetch turn it into a GET.
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.requestTimeoutMs),
        });
      } catch (e) {
        const code = (e as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK';
        logger.warn({ portalId, method, code, attempt: transientRetries }, 'bitrix24 request failed');
        if (read && transientRetries < opts.readRetries) {
          await opts.sleep(backoff(transientRetries++));
          continue;
        }
        // A write that timed out may have happened: the caller looks before it repeats (reference §13.20).
        throw new Bitrix24Error(code, `request to ${safeForLog(url.href)} failed: ${(e as Error).message}`, method, undefined, { retryable: read });
      }

      if (res.status >= 300 && res.status < 400) {
        const location = res.headers.get('location');
        await res.body?.cancel();
        if (!location || redirects >= opts.maxRedirects) throw new Bitrix24Error(`HTTP_${res.status}`, 'redirect without a usable Location', method, res.status);
        redirects++;
        const next = restEndpointFromLocation(location, url);
        let nextUrl: URL;
        try {
          nextUrl = assertSafeEndpoint(next, { allowInsecure });
        } catch (e) {
          throw new Bitrix24Error('INSECURE_ENDPOINT', `portal redirected to an unsafe endpoint: ${(e as Error).message}`, method, res.status);
        }
        if (nextUrl.href === endpoint.href) throw new Bitrix24Error(`HTTP_${res.status}`, 'portal redirects to itself', method, res.status);
        // Neither the token nor the stored endpoint moves until the OAuth server names the new address.
        creds = await confirmMove(portalId, creds, nextUrl, method, renew);
        logger.info({ portalId, from: safeForLog(endpoint.href), to: safeForLog(nextUrl.href) }, 'bitrix24 portal moved; storing the new endpoint');
        await updatePortalEndpoint(db, { portalId, clientEndpoint: nextUrl.href, domain: nextUrl.host, now: clock.now() });
        creds = { ...creds, clientEndpoint: nextUrl.href, domain: nextUrl.host };
        if (!user) remember(creds);
        continue;
      }

      const text = await res.text().catch(() => '');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      logger.debug({ portalId, method, status: res.status, ms: Math.round(performance.now() - started) }, 'bitrix24 call');

      if (res.ok && typeof body === 'object' && body !== null && !isErrorBody(body)) {
        const env = body as Envelope;
        const reset = Number(env.time?.operating_reset_at);
        if (Number.isFinite(reset) && reset > 0) operatingResetAt.set(`${portalId}|${method.toLowerCase()}`, reset * 1000);
        return env;
      }

      const code = isErrorBody(body) ? normalizeErrorCode(body.error, body.error_description) : res.ok ? 'INVALID_RESPONSE' : `HTTP_${res.status}`;
      const description = isErrorBody(body) && typeof body.error_description === 'string' ? body.error_description : '';

      if (isTokenError(res.status, code)) {
        if (user && isRevokedTokenCode(code) && invalidTokens++ >= 1) {
          // The user's token is refused after a refresh: their session ends; the portal is fine.
          throw new Bitrix24Error('USER_TOKEN_EXPIRED', `the user's access token was refused after a refresh (${code})`, method, 401);
        }
        if (!user && isRevokedTokenCode(code) && invalidTokens++ >= 1) {
          // Refreshed once and the new token is refused too: the app was removed or its access revoked.
          await markPortalNeedsReauth(db, { portalId, reason: `${code} after refresh: ${description}`, now: clock.now(), tokenVersion: creds.tokenVersion });
          cache.delete(portalId);
          throw new Bitrix24Error('PORTAL_NEEDS_REAUTH', `access token refused after a refresh (${code})`, method, 401);
        }
        if (authRetries++ >= 2) throw new Bitrix24Error(code, description, method, 401, { retryable: false });
        creds = await renew(creds.tokenVersion);
        seenVersion = creds.tokenVersion;
        continue;
      }

      if (res.status === 503 && code === 'QUERY_LIMIT_EXCEEDED') {
        await markBucketFull(db, { portalId, limits });
        logger.warn({ portalId, method, attempt: limitRetries }, 'bitrix24 QUERY_LIMIT_EXCEEDED');
        if (limitRetries < opts.limitRetries) {
          await opts.sleep(backoff(limitRetries++));
          continue;
        }
        throw new Bitrix24Error(code, description, method, 503, { retryable: true });
      }

      if (code === 'OPERATION_TIME_LIMIT') {
        const fromBody = Number((body as Envelope | undefined)?.time?.operating_reset_at) * 1000;
        const lastSeen = operatingResetAt.get(`${portalId}|${method.toLowerCase()}`);
        // The oldest one-minute bucket frees time at operating_reset_at; without one, wait out the 10-minute block.
        const candidates = [fromBody, lastSeen].filter((t): t is number => typeof t === 'number' && Number.isFinite(t) && t > nowMs());
        const until = new Date(candidates.length ? Math.max(...candidates) : nowMs() + 10 * 60_000);
        await pauseMethod(db, { portalId, method, until });
        logger.warn({ portalId, method, until: until.toISOString() }, 'bitrix24 OPERATION_TIME_LIMIT; method paused');
        throw pausedError(method, until);
      }

      // 503 OVERLOAD_LIMIT is a manual block by Bitrix24 support: never retried.
      if (res.status >= 500 && code !== 'OVERLOAD_LIMIT' && read && transientRetries < opts.readRetries) {
        logger.warn({ portalId, method, status: res.status, code, attempt: transientRetries }, 'bitrix24 server error; retrying a read');
        await opts.sleep(backoff(transientRetries++));
        continue;
      }

      throw new Bitrix24Error(code, description, method, res.status, { retryable: res.status >= 500 && code !== 'OVERLOAD_LIMIT' && read });
    }
  }

  function forPortal(portalId: string, user?: FrameOwner): Bitrix24Client {
    const callRaw = async <T>(method: string, params: Record<string, unknown> = {}) => {
      const env = await execute(portalId, method, params, isReadMethod(method), user);
      return {
        result: env.result as T,
        ...(typeof env.total === 'number' || typeof env.total === 'string' ? { total: Number(env.total) } : {}),
        ...(typeof env.next === 'number' || typeof env.next === 'string' ? { next: Number(env.next) } : {}),
        ...(env.time ? { time: env.time } : {}),
      };
    };

    const batch = async (commands: Record<string, BatchCommand>, o: { halt?: boolean } = {}): Promise<BatchResult> => {
      const out: BatchResult = { result: {}, errors: {}, total: {}, next: {} };
      /** Sends one chunk; false when `halt` stopped at an error. */
      const runChunk = async (chunk: string[]): Promise<boolean> => {
        const cmd: Record<string, string> = {};
        let read = true;
        for (const key of chunk) {
          const [method, params] = commands[key]!;
          read &&= isReadMethod(method);
          const resolved = params ? (resolveReferences(params, out.result) as Record<string, unknown>) : undefined;
          const query = resolved ? buildQuery(resolved) : '';
          cmd[key] = query ? `${method}?${query}` : method;
        }
        let env: Envelope;
        try {
          env = await execute(portalId, 'batch', { halt: o.halt ? 1 : 0, cmd }, read, user);
        } catch (e) {
          // Parameters too long for one batch: Bitrix24 refuses the whole request (b24restdocs
          // _includes/system-errors.md, no size documented). Sending the same batch again would be
          // refused forever, so it is halved, in order (a later half may refer to an earlier one's
          // results: filled in by resolveReferences). A single command that is still too long is the
          // caller's to send on its own.
          if (e instanceof Bitrix24Error && e.code === BATCH_TOO_LONG && chunk.length > 1) {
            const half = Math.ceil(chunk.length / 2);
            logger.warn({ portalId, commands: chunk.length }, 'bitrix24 batch refused as too long; splitting it');
            return (await runChunk(chunk.slice(0, half))) && runChunk(chunk.slice(half));
          }
          throw e;
        }
        const r = (env.result ?? {}) as Record<string, unknown>;
        const results = toRecord(r.result);
        const errors = toRecord(r.result_error);
        for (const key of chunk) {
          const e = errors[key] as { error?: unknown; error_description?: unknown } | undefined;
          if (e) {
            const code = normalizeErrorCode(e.error, e.error_description);
            out.errors[key] = { error: code, error_description: typeof e.error_description === 'string' ? e.error_description : '' };
            if (code === 'OPERATION_TIME_LIMIT') {
              const method = commands[key]![0];
              await pauseMethod(db, { portalId, method, until: new Date(nowMs() + 60_000) });
            }
          } else if (key in results) {
            out.result[key] = results[key];
          }
        }
        for (const [k, v] of Object.entries(toRecord(r.result_total))) out.total[k] = Number(v);
        for (const [k, v] of Object.entries(toRecord(r.result_next))) out.next[k] = Number(v);
        return !(o.halt && chunk.some((k) => k in out.errors));
      };
      const keys = Object.keys(commands);
      for (let i = 0; i < keys.length; i += BATCH_LIMIT) {
        if (!(await runChunk(keys.slice(i, i + BATCH_LIMIT)))) break;
      }
      return out;
    };

    return {
      portalId,
      call: async <T>(method: string, params?: Record<string, unknown>) => (await callRaw<T>(method, params)).result,
      callRaw,
      batch,
      /**
       * The first page tells the total; the remaining pages are read 50 at a time through `batch`,
       * so a 2 500-row list costs two requests of the portal's budget instead of fifty.
       */
      listAll: async <T>(method: string, params: Record<string, unknown> = {}) => {
        const first = await callRaw<unknown>(method, { ...params, start: 0 });
        const items = listItems<T>(first.result);
        if (first.next === undefined || !(first.next > 0)) return items;
        const step = first.next;
        if (first.total !== undefined && first.total > first.next) {
          const starts: number[] = [];
          for (let s = first.next; s < first.total; s += step) starts.push(s);
          const pages = await batch(Object.fromEntries(starts.map((s) => [`p${s}`, [method, { ...params, start: s }] as BatchCommand])));
          for (const s of starts) {
            const e = pages.errors[`p${s}`];
            if (e) throw new Bitrix24Error(e.error, e.error_description, method);
            items.push(...listItems<T>(pages.result[`p${s}`]));
          }
          return items;
        }
        // No total (start=-1 style answers): follow `next` one page at a time.
        let next: number | undefined = first.next;
        for (let pages = 0; next !== undefined && pages < 100_000; pages++) {
          const page: { result: unknown; next?: number } = await callRaw<unknown>(method, { ...params, start: next });
          items.push(...listItems<T>(page.result));
          next = page.next;
        }
        return items;
      },
    };
  }

  return {
    forPortal: (portalId) => forPortal(portalId),
    // Same machinery as the portal's client (bucket, retries, batch), the user's token and rights.
    asUser: (owner) => forPortal(owner.portalId, owner),
  };
}

/** PHP answers a list (`[]`) where we expect a keyed object, e.g. an empty result_error or numeric keys. */
function toRecord(v: unknown): Record<string, unknown> {
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
  return {};
}

/** Rows of one list page: classic methods return an array, crm.item.list `{items: […]}`, tasks `{tasks: […]}`. */
function listItems<T>(result: unknown): T[] {
  if (Array.isArray(result)) return [...(result as T[])];
  if (typeof result === 'object' && result !== null) {
    const arrays = Object.values(result).filter(Array.isArray);
    if (arrays.length === 1) return [...(arrays[0] as T[])];
  }
  return [];
}

const REFERENCE = /\$result\[([^\]]+)\]((?:\[[^\]]*\])*)/g;

/**
 * Fills in `$result[key][FIELD]` references to commands that ran in an earlier chunk (Bitrix24
 * resolves references only within one batch request). References to keys of the current chunk,
 * or to failed commands, are left for Bitrix24.
 */
export function resolveReferences(value: unknown, earlier: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    if (!value.includes('$result[')) return value;
    const whole = /^\$result\[([^\]]+)\]((?:\[[^\]]*\])*)$/.exec(value);
    if (whole) {
      const found = lookup(earlier, whole[1]!, whole[2]!);
      if (found.ok) return found.value;
      return value;
    }
    return value.replace(REFERENCE, (m, key: string, path: string) => {
      const found = lookup(earlier, key, path);
      return found.ok && (typeof found.value !== 'object' || found.value === null) ? String(found.value ?? '') : m;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveReferences(v, earlier));
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, earlier)]));
  }
  return value;
}

function lookup(earlier: Record<string, unknown>, key: string, path: string): { ok: true; value: unknown } | { ok: false } {
  if (!(key in earlier)) return { ok: false };
  let cur: unknown = earlier[key];
  for (const seg of [...path.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!)) {
    if (cur === null || typeof cur !== 'object') return { ok: false };
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur === undefined ? { ok: false } : { ok: true, value: cur };
}
