/** Access and refresh tokens: issue, look up, rotate. */
import { OAUTH_HOST } from './hosts.js';
import { hex } from './random.js';
import type { EmulatorState } from './state.js';
import type { InstalledApp, Portal, TokenRecord } from './types.js';

/** The §2.2 token response (also what install and robot payloads carry under `auth[...]`). */
export interface TokenResponse {
  access_token: string;
  client_endpoint: string;
  domain: string;
  expires: number;
  expires_in: number;
  member_id: string;
  refresh_token: string;
  scope: string;
  server_endpoint: string;
  status: string;
  user_id: number;
}

export function issueTokens(st: EmulatorState, portal: Portal, app: InstalledApp, userId: string): TokenResponse {
  const now = st.now();
  const access: TokenRecord = {
    token: hex(32), kind: 'access', memberId: portal.memberId, clientId: app.clientId, userId, scope: app.scope,
    issuedAt: now, expiresAt: now + st.opts.accessTokenTtlMs, revoked: false,
  };
  const refresh: TokenRecord = {
    token: hex(32), kind: 'refresh', memberId: portal.memberId, clientId: app.clientId, userId, scope: app.scope,
    issuedAt: now, expiresAt: now + st.opts.refreshTokenTtlMs, revoked: false, pairedAccess: access.token,
  };
  st.tokens.set(access.token, access);
  st.tokens.set(refresh.token, refresh);
  return {
    access_token: access.token,
    client_endpoint: st.hosts.clientEndpoint(portal.domain),
    domain: OAUTH_HOST,
    expires: Math.floor(access.expiresAt / 1000),
    expires_in: Math.round(st.opts.accessTokenTtlMs / 1000),
    member_id: portal.memberId,
    refresh_token: refresh.token,
    scope: app.scope.join(','),
    server_endpoint: st.hosts.serverEndpoint(),
    status: app.status,
    user_id: Number(userId),
  };
}

export type AccessCheck =
  | { ok: true; token: TokenRecord }
  | { ok: false; status: number; error: string; description: string };

/**
 * What a REST call with `auth=<token>` gets: the token, or the §2.4 error. A missing or unknown token
 * is 401 `NO_AUTH_FOUND` "Wrong authorization data" ("Invalid access token or webhook code",
 * b24restdocs _includes/system-errors.md); a token the portal issued and then revoked (rotated away
 * by a refresh, or the app uninstalled) is `invalid_token`, the code CRest treats as "reinstall".
 */
export function checkAccessToken(st: EmulatorState, token: string | undefined): AccessCheck {
  const rec = token ? st.tokens.get(token) : undefined;
  if (!rec || rec.kind !== 'access') return { ok: false, status: 401, error: 'NO_AUTH_FOUND', description: 'Wrong authorization data' };
  if (rec.revoked) {
    return { ok: false, status: 401, error: 'invalid_token', description: 'The access token provided is invalid.' };
  }
  if (rec.expiresAt <= st.now()) {
    return { ok: false, status: 401, error: 'expired_token', description: 'The access token provided has expired.' };
  }
  return { ok: true, token: rec };
}

/** Every token of a portal (optionally one app) dies: uninstall, or a test forcing re-auth. */
export function revokeTokens(st: EmulatorState, memberId: string, clientId?: string) {
  for (const t of st.tokens.values()) {
    if (t.memberId === memberId && (!clientId || t.clientId === clientId)) t.revoked = true;
  }
}

/** Makes live access tokens expire now, so the next call gets `expired_token` (expiry storms). */
export function expireAccessTokens(st: EmulatorState, memberId?: string) {
  const now = st.now();
  for (const t of st.tokens.values()) {
    if (t.kind === 'access' && (!memberId || t.memberId === memberId) && t.expiresAt > now) t.expiresAt = now;
  }
}
