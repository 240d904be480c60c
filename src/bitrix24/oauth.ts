import { z } from 'zod';
import type { Database } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import { assertSafeEndpoint, tokenUrlFor, UnsafeEndpointError } from './endpoints.js';
import { lockPortalCredentials, markPortalNeedsReauth, swapTokens, type NewTokens, type PortalCredentials } from './portal-store.js';
import { Bitrix24Error } from './types.js';
import type { TokenKeyring } from '../lib/token-keyring.js';

/** The refresh reply (reference §2.2), checked before anything is stored. */
const ZTokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires: z.coerce.number().optional(),
  expires_in: z.coerce.number().optional(),
  client_endpoint: z.string().optional(),
  server_endpoint: z.string().optional(),
  member_id: z.string().optional(),
  scope: z.string().optional(),
});

const ZOAuthError = z.object({ error: z.string(), error_description: z.string().optional() });

export type RefreshOutcome =
  | { kind: 'ok'; tokens: z.infer<typeof ZTokenResponse> }
  /** The refresh token is spent or revoked: only a reinstall or the admin reopening the app helps. */
  | { kind: 'invalid_grant'; description: string }
  | { kind: 'error'; code: string; description: string; status?: number };

/**
 * One POST to the token endpoint. Form-encoded POST rather than the documented GET keeps the client
 * secret out of URLs and access logs (reference §2.1).
 */
export async function requestTokenRefresh(
  fetchFn: typeof fetch,
  tokenUrl: URL,
  p: { clientId: string; clientSecret: string; refreshToken: string; timeoutMs: number },
): Promise<RefreshOutcome> {
  let res: Response;
  try {
    res = await fetchFn(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: p.clientId, client_secret: p.clientSecret, refresh_token: p.refreshToken }),
      signal: AbortSignal.timeout(p.timeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    return { kind: 'error', code: 'OAUTH_UNAVAILABLE', description: `token endpoint unreachable: ${(e as Error).name}` };
  }
  const body: unknown = await res.json().catch(() => undefined);
  const err = ZOAuthError.safeParse(body);
  if (err.success) {
    if (err.data.error === 'invalid_grant' || err.data.error === 'bad_verification_code') {
      return { kind: 'invalid_grant', description: err.data.error_description ?? err.data.error };
    }
    return { kind: 'error', code: err.data.error, description: err.data.error_description ?? '', status: res.status };
  }
  if (!res.ok) return { kind: 'error', code: res.status >= 500 ? 'OAUTH_UNAVAILABLE' : `HTTP_${res.status}`, description: 'token endpoint error', status: res.status };
  const tokens = ZTokenResponse.safeParse(body);
  if (!tokens.success) return { kind: 'error', code: 'OAUTH_INVALID_RESPONSE', description: 'token response without a token pair', status: res.status };
  return { kind: 'ok', tokens: tokens.data };
}

export interface RefreshDeps {
  db: Database;
  /** Opens and seals the stored pair (config.tokenKeyring). */
  keyring: TokenKeyring;
  fetch: typeof fetch;
  logger: Logger;
  now: () => Date;
  clientId?: string;
  clientSecret?: string;
  allowInsecure: boolean;
  oauthHosts: readonly string[];
  /** NODE_ENV=production: only oauthHosts receive the client secret (endpoints.ts isTrustedOAuthHost). */
  production?: boolean;
  timeoutMs: number;
}

/**
 * Refreshes the portal's token pair unless someone already has since the caller saw
 * `seenVersion`. Refresh tokens are single-use, so exactly one refresh may reach the OAuth server
 * per version, across every process: the portal row is locked (SELECT … FOR UPDATE) for the length
 * of the refresh, and whoever finds a newer token_version behind the lock just takes the stored pair.
 * The write is also a compare-and-swap on token_version, so a pair is never overwritten by an older one.
 */
export async function refreshPortalTokens(deps: RefreshDeps, p: { portalId: string; seenVersion: number; method: string }): Promise<PortalCredentials> {
  const outcome = await deps.db.transaction(async (tx) => {
    const row = await lockPortalCredentials(tx, deps.keyring, p.portalId);
    if (!row) return { kind: 'fail' as const, error: new Bitrix24Error('PORTAL_NOT_FOUND', 'portal is not stored', p.method) };
    if (row.tokenVersion !== p.seenVersion) return { kind: 'fresh' as const, creds: row };
    if (row.status !== 'installed') return { kind: 'fail' as const, error: statusError(row.status, p.method) };
    if (!deps.clientId || !deps.clientSecret) {
      return { kind: 'fail' as const, error: new Bitrix24Error('OAUTH_NOT_CONFIGURED', 'BITRIX24_CLIENT_ID/BITRIX24_CLIENT_SECRET are not set', p.method) };
    }
    if (!row.refreshToken || !row.serverEndpoint) {
      await markPortalNeedsReauth(tx, { portalId: row.portalId, reason: 'no refresh token stored', now: deps.now() });
      return { kind: 'fail' as const, error: new Bitrix24Error('PORTAL_NEEDS_REAUTH', 'no refresh token stored; reopen or reinstall the app', p.method) };
    }
    let tokenUrl: URL;
    try {
      tokenUrl = tokenUrlFor(row.serverEndpoint, { allowInsecure: deps.allowInsecure, oauthHosts: deps.oauthHosts, production: deps.production });
    } catch (e) {
      return { kind: 'fail' as const, error: new Bitrix24Error('INSECURE_ENDPOINT', (e as Error).message, p.method) };
    }
    const res = await requestTokenRefresh(deps.fetch, tokenUrl, {
      clientId: deps.clientId,
      clientSecret: deps.clientSecret,
      refreshToken: row.refreshToken,
      timeoutMs: deps.timeoutMs,
    });
    if (res.kind === 'invalid_grant') {
      await markPortalNeedsReauth(tx, { portalId: row.portalId, reason: `invalid_grant: ${res.description}`, now: deps.now() });
      return { kind: 'fail' as const, error: new Bitrix24Error('PORTAL_NEEDS_REAUTH', `refresh token rejected (invalid_grant): ${res.description}`, p.method, 400) };
    }
    if (res.kind === 'error') return { kind: 'fail' as const, error: new Bitrix24Error(res.code, res.description, p.method, res.status) };
    const t = res.tokens;
    if (t.member_id && t.member_id !== row.memberId) {
      return { kind: 'fail' as const, error: new Bitrix24Error('OAUTH_INVALID_RESPONSE', 'token response names another portal', p.method) };
    }
    const now = deps.now();
    const tokens: NewTokens = {
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      // expires_in on our own clock first: the expiry check before each call reads our clock, not Bitrix24's.
      expiresAt: t.expires_in ? new Date(now.getTime() + t.expires_in * 1000) : t.expires ? new Date(t.expires * 1000) : null,
      scope: t.scope ?? null,
      ...endpointFromTokenResponse(t.client_endpoint, row.clientEndpoint, deps.allowInsecure),
    };
    const version = await swapTokens(tx, deps.keyring, { portalId: row.portalId, expectedVersion: row.tokenVersion, tokens, now });
    // Unreachable under the row lock; kept so a pair can never silently replace a newer one.
    if (version === undefined) return { kind: 'fail' as const, error: new Bitrix24Error('TOKEN_RACE', 'token version moved during refresh', p.method) };
    return {
      kind: 'refreshed' as const,
      creds: {
        ...row,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresAt: tokens.expiresAt,
        tokenVersion: version,
        clientEndpoint: tokens.clientEndpoint ?? row.clientEndpoint,
        domain: tokens.domain ?? row.domain,
      },
    };
  });
  if (outcome.kind === 'fail') {
    deps.logger.warn({ portalId: p.portalId, code: outcome.error.code }, 'bitrix24 token refresh failed');
    throw outcome.error;
  }
  deps.logger.info({ portalId: p.portalId, tokenVersion: outcome.creds.tokenVersion, refreshed: outcome.kind === 'refreshed' }, 'bitrix24 token pair current');
  return outcome.creds;
}

/**
 * The refresh reply carries the portal's current REST endpoint; a rename shows up here too. It is
 * stored as given (a path prefix stays; reference §14), once checked to be safe to send tokens to.
 */
function endpointFromTokenResponse(fromServer: string | undefined, stored: string, allowInsecure: boolean): { clientEndpoint?: string; domain?: string } {
  if (!fromServer || fromServer === stored) return {};
  try {
    const url = assertSafeEndpoint(fromServer, { allowInsecure });
    return { clientEndpoint: fromServer, domain: url.host };
  } catch (e) {
    if (e instanceof UnsafeEndpointError) return {};
    throw e;
  }
}

export function statusError(status: string, method: string): Bitrix24Error {
  if (status === 'needs_reauth') return new Bitrix24Error('PORTAL_NEEDS_REAUTH', 'the portal must reopen or reinstall the app', method);
  if (status === 'uninstalled') return new Bitrix24Error('PORTAL_UNINSTALLED', 'the app is not installed on this portal', method);
  return new Bitrix24Error('PORTAL_UNAVAILABLE', `portal status ${status}`, method);
}
