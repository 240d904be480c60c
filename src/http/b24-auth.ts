/**
 * Who is really calling? Bitrix24 requests carry claims (member_id, DOMAIN, tokens) that anyone can
 * forge, so every door checks them here before touching anything:
 * - events and robot calls: auth[application_token] against the stored one for auth[member_id];
 * - frame POSTs (app page, placements, install wizard): APPLICATION_TOKEN when sent, otherwise the
 *   AUTH_ID against the OAuth server; then `profile` on the portal's STORED endpoint for the user.
 * The DOMAIN in a request is never used to decide where a token goes (reference §4.6, §13.5).
 */
import { callWithToken, checkEndpoint, constantTimeEqual, oauthServerEndpoint, unauthorized, verifyTokenWithOAuthServer } from '../bitrix24/oauth-server.js';
import type { Config } from '../config.js';
import { appTokenDigest, isAppTokenDigest } from '../lib/app-token.js';
import { findAppTokenPortal, findPortalByMemberId, findPortalInstallState, setApplicationTokenIfMissing, type AppTokenPortal, type PortalRow } from '../portals/store.js';
import type { Services } from '../services.js';
import type { FramePost } from './b24-payloads.js';
import { AppError } from './errors.js';
import type { FormObject } from './form.js';
import { issueSession, SESSION_TTL_SECONDS, type Session } from './session.js';
import { saveFrameTokens } from '../bitrix24/user-tokens.js';
import { toBase64Url } from '../lib/token-keyring.js';

type Json = Record<string, unknown>;

// The OAuth-server checks live in the Bitrix24 domain folder (robots and portals use them too); re-exported for the doors.
export { callWithToken, checkEndpoint, constantTimeEqual, oauthServerEndpoint, oauthTrustOf, unauthorized, verifyTokenWithOAuthServer, type TokenInfo } from '../bitrix24/oauth-server.js';

/**
 * Does a presented application_token match the stored digest? Constant time either way; a row from
 * before digests (no prefix, until the start-up pass rewrites it) is compared as the token itself.
 * Nothing stored still costs a comparison, so an unknown portal answers as fast as a wrong token.
 */
export async function appTokenMatches(token: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) {
    await constantTimeEqual(token, '\u0000no-token');
    return false;
  }
  return isAppTokenDigest(stored) ? constantTimeEqual(await appTokenDigest(token), stored) : constantTimeEqual(token, stored);
}

/** A value from a parsed form only if it is a short, non-empty string. */
function formString(v: unknown, max = 256): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

/**
 * Events and robot calls: look up auth[member_id], compare auth[application_token] in constant
 * time. Unknown portal, uninstalled portal, mismatch or missing fields → 401, before any write.
 * Runs on the raw form so a forged body is refused as unauthenticated, not as malformed.
 */
export async function requireAppToken(services: Pick<Services, 'db'>, form: FormObject): Promise<AppTokenPortal> {
  const auth = form.auth;
  const memberId = auth && typeof auth === 'object' && !Array.isArray(auth) ? formString(auth.member_id, 64) : undefined;
  const token = auth && typeof auth === 'object' && !Array.isArray(auth) ? formString(auth.application_token) : undefined;
  if (!memberId || !token) throw unauthorized();
  const portal = await findAppTokenPortal(services.db, memberId);
  // Compare even when there is nothing to compare against, so an unknown member_id costs the same.
  const stored = portal?.status !== 'uninstalled' ? portal?.applicationTokenDigest : undefined;
  const same = await appTokenMatches(token, stored);
  if (!portal || !stored || !same) throw unauthorized();
  return portal;
}

export interface FrameUser {
  id: number;
  isAdmin: boolean;
  name: string;
}

/** `profile` on the portal's stored REST endpoint with the frame's user token (scope-free). */
export async function fetchProfile(services: Pick<Services, 'fetch' | 'config'>, clientEndpoint: string, authId: string): Promise<FrameUser> {
  const base = checkEndpoint(clientEndpoint, services.config);
  if (!base) throw new AppError('BITRIX24_ERROR', 'The stored portal address is not usable. Reinstall the app.');
  const { status, body } = await callWithToken(services, base, 'profile', authId);
  if (status === 401 || status === 403) throw unauthorized();
  const r = body.result as Json | undefined;
  if (status !== 200 || !r) throw new AppError('BITRIX24_ERROR', 'Bitrix24 did not return the current user.');
  const id = Number(r.ID);
  if (!Number.isInteger(id) || id <= 0) throw new AppError('BITRIX24_ERROR', 'Bitrix24 returned an unusable user.');
  const admin = r.ADMIN === true || r.ADMIN === 'Y' || r.ADMIN === 'true' || r.ADMIN === '1' || r.ADMIN === 1;
  return { id, isAdmin: admin, name: [r.NAME, r.LAST_NAME].filter((x) => typeof x === 'string' && x).join(' ') };
}

export interface VerifiedFrame {
  portal: PortalRow;
  user: FrameUser;
  /** How the request proved it came from Bitrix24. */
  via: 'application_token' | 'oauth_server';
}

/**
 * A frame POST for an installed portal (app page, placements): the stored portal is found by
 * member_id; APPLICATION_TOKEN is compared when present, otherwise AUTH_ID is checked on the
 * portal's stored OAuth server; then `profile` on the stored REST endpoint names the user.
 */
export async function verifyFramePost(services: Services, frame: FramePost): Promise<VerifiedFrame> {
  const portal = await findPortalByMemberId(services.db, frame.member_id);
  if (!portal || portal.status === 'uninstalled') {
    throw new AppError('UNAUTHORIZED', 'b24-sign is not installed on this portal. Ask your Bitrix24 administrator to install it.', { reason: 'not_installed' });
  }
  let via: VerifiedFrame['via'];
  if (frame.APPLICATION_TOKEN && portal.applicationTokenDigest) {
    if (!(await appTokenMatches(frame.APPLICATION_TOKEN, portal.applicationTokenDigest))) throw unauthorized();
    via = 'application_token';
  } else {
    // No token sent (older payloads), or none stored yet (a wizard install whose POST lacked it
    // and no ONAPPINSTALL since): the OAuth server has to vouch for AUTH_ID.
    const server = oauthServerEndpoint(portal.serverEndpoint ?? services.config.BITRIX24_OAUTH_SERVER_ENDPOINT, services.config);
    if (!server) throw new AppError('BITRIX24_ERROR', 'The stored authorization server is not a known Bitrix24 server. Reinstall the app.');
    await verifyTokenWithOAuthServer(services, { accessToken: frame.AUTH_ID, serverEndpoint: server, expectedMemberId: portal.memberId });
    via = 'oauth_server';
  }
  const user = await fetchProfile(services, portal.clientEndpoint, frame.AUTH_ID);
  if (via === 'oauth_server' && frame.APPLICATION_TOKEN && !portal.applicationTokenDigest && user.isAdmin) {
    // Adopt the token only from a verified admin: a forged one would let its author forge events.
    await setApplicationTokenIfMissing(services.db, { portalId: portal.id, applicationToken: frame.APPLICATION_TOKEN, now: services.clock.now() });
  }
  return { portal, user, via };
}

/**
 * The short-lived session a verified frame earns; the page and its XHRs carry it as a Bearer token.
 * The frame's own user tokens (AUTH_ID, REFRESH_ID) stay on the server under a fresh session id, so
 * CRM reads made for this person run with their rights (src/bitrix24/user-tokens.ts).
 */
export async function issueFrameSession(
  services: Services,
  v: { portalId: string; user: FrameUser; placement: string; lang: Session['lang']; frame?: Pick<FramePost, 'AUTH_ID' | 'REFRESH_ID' | 'AUTH_EXPIRES'> },
): Promise<{ token: string; session: Session }> {
  // The generation it is issued in: an uninstall bumps it and the session dies (src/http/session.ts).
  const installGeneration = (await findPortalInstallState(services.db, v.portalId))?.installGeneration ?? 0;
  const session: Session = { portalId: v.portalId, userId: v.user.id, isAdmin: v.user.isAdmin, placement: v.placement, lang: v.lang, installGeneration, ...(v.user.name ? { name: v.user.name.slice(0, 200) } : {}) };
  const now = services.clock.now();
  if (v.frame) {
    session.sid = toBase64Url(crypto.getRandomValues(new Uint8Array(18)));
    await saveFrameTokens(services.db, services.config.tokenKeyring, {
      sessionId: session.sid, portalId: v.portalId, userId: v.user.id,
      accessToken: v.frame.AUTH_ID, refreshToken: v.frame.REFRESH_ID ?? null,
      expiresAt: v.frame.AUTH_EXPIRES ? new Date(now.getTime() + v.frame.AUTH_EXPIRES * 1000) : null,
      sessionExpiresAt: new Date(now.getTime() + SESSION_TTL_SECONDS * 1000), now,
    });
  }
  return { token: await issueSession(services.config.sessionSecret, session, now), session };
}
