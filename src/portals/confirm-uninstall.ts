import { tokenUrlFor } from '../bitrix24/endpoints.js';
import { requestTokenRefresh } from '../bitrix24/oauth.js';
import { lockPortalCredentials, swapTokens } from '../bitrix24/portal-store.js';
import { oauthServerEndpoint, oauthTrustOf, verifyTokenWithOAuthServer } from '../bitrix24/oauth-server.js';
import { AppError } from '../lib/app-error.js';
import type { Services } from '../services.js';

/**
 * Is the app really gone from this portal? ONAPPUNINSTALL carries only the application_token, and
 * that token also travels in every placement POST through employees' browsers, so it proves
 * nothing on its own. The OAuth server decides, with the stored refresh token:
 * - `invalid_grant`: the grant is gone ("Invalid authorization tokens … during renewal"), or
 *   `invalid_client`: "The application may not be installed in Bitrix24" (b24restdocs
 *   settings/oauth/error-codes.md). On uninstall "all access permissions for the application to the
 *   API are removed" (b24restdocs api-reference/common/events/on-app-uninstall.md) → confirmed;
 * - a fresh pair: the grant is alive. The pair is stored (the old refresh token is spent), and
 *   `app.info` on the OAuth server says whether the app is installed; installed → the event is forged.
 * Anything else (server down, no refresh token stored) confirms nothing, and nothing is removed.
 */
export type UninstallCheck =
  | { kind: 'confirmed'; by: 'invalid_grant' | 'invalid_client' | 'not_installed' }
  | { kind: 'forged' }
  | { kind: 'unknown'; reason: string };

export async function checkUninstall(services: Services, portalId: string): Promise<UninstallCheck> {
  const { config } = services;
  const clientId = config.BITRIX24_CLIENT_ID;
  const clientSecret = config.BITRIX24_CLIENT_SECRET;
  const refreshed = await services.db.transaction(async (tx) => {
    // Locked like every refresh: refresh tokens are single-use, so no other refresh may race this one.
    const row = await lockPortalCredentials(tx, config.tokenKeyring, portalId);
    if (!row?.refreshToken || !row.serverEndpoint || !clientId || !clientSecret) return { kind: 'unknown' as const, reason: 'no refresh token stored to ask the OAuth server with' };
    let tokenUrl: URL;
    try {
      tokenUrl = tokenUrlFor(row.serverEndpoint, oauthTrustOf(config));
    } catch {
      return { kind: 'unknown' as const, reason: 'the stored OAuth server is not trusted' };
    }
    const res = await requestTokenRefresh(services.fetch, tokenUrl, { clientId, clientSecret, refreshToken: row.refreshToken, timeoutMs: 15_000 });
    if (res.kind === 'invalid_grant') return { kind: 'confirmed' as const, by: 'invalid_grant' as const };
    if (res.kind === 'error') return res.code === 'invalid_client' ? { kind: 'confirmed' as const, by: 'invalid_client' as const } : { kind: 'unknown' as const, reason: `OAuth server: ${res.code}` };
    if (res.tokens.member_id && res.tokens.member_id !== row.memberId) return { kind: 'unknown' as const, reason: 'token response names another portal' };
    const now = services.clock.now();
    await swapTokens(tx, config.tokenKeyring, {
      portalId,
      expectedVersion: row.tokenVersion,
      tokens: {
        accessToken: res.tokens.access_token,
        refreshToken: res.tokens.refresh_token,
        expiresAt: res.tokens.expires_in ? new Date(now.getTime() + res.tokens.expires_in * 1000) : null,
        scope: res.tokens.scope ?? null,
      },
      now,
    });
    return { kind: 'alive' as const, accessToken: res.tokens.access_token, serverEndpoint: row.serverEndpoint, memberId: row.memberId };
  });
  if (refreshed.kind !== 'alive') return refreshed;
  const server = oauthServerEndpoint(refreshed.serverEndpoint, config);
  if (!server) return { kind: 'forged' };
  try {
    const info = await verifyTokenWithOAuthServer(services, { accessToken: refreshed.accessToken, serverEndpoint: server, expectedMemberId: refreshed.memberId });
    return info.installed === false ? { kind: 'confirmed', by: 'not_installed' } : { kind: 'forged' };
  } catch (e) {
    // The refresh succeeded, so the grant is alive whatever app.info says: not an uninstall.
    if (e instanceof AppError && e.code === 'UNAUTHORIZED') return { kind: 'forged' };
    throw e;
  }
}
