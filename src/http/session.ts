import { createMiddleware } from 'hono/factory';
import { jwtVerify, SignJWT } from 'jose';
import { findPortalInstallState } from '../portals/store.js';
import { AppError } from './errors.js';
import type { AppEnv } from '../types.js';

/**
 * The short-lived session a verified Bitrix24 frame POST earns: the page and its XHRs send it as
 * `Authorization: Bearer …` (third-party cookies are unreliable inside the Bitrix24 iframe).
 */
export interface Session {
  portalId: string;
  /** Bitrix24 user id of the person at the keyboard. */
  userId: number;
  isAdmin: boolean;
  /** Placement code the session was opened from (e.g. CRM_DEAL_DETAIL_TAB), or 'APP'. */
  placement: string;
  lang: 'en' | 'it' | 'ru';
  /** The portal's install generation when the session was issued; an uninstall bumps it (0 when absent). */
  installGeneration?: number;
  /**
   * The frame_sessions row holding this user's own Bitrix24 token pair (src/bitrix24/user-tokens.ts).
   * CRM reads for the session use it; a session without one reads the CRM only if it is an admin's.
   */
  sid?: string;
  /** The user's name as `profile` gave it when the frame was verified (in-portal signing records it). */
  name?: string;
}

const ISSUER = 'b24-sign';
const AUDIENCE = 'b24-sign:session';
export const SESSION_TTL_SECONDS = 2 * 60 * 60;

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export async function issueSession(secret: string, s: Session, now = new Date()): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ ...s })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + SESSION_TTL_SECONDS)
    .sign(keyOf(secret));
}

export async function verifySession(secret: string, token: string, now = new Date()): Promise<Session> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      currentDate: now,
    });
    const p = payload as unknown as Session;
    if (typeof p.portalId !== 'string' || typeof p.userId !== 'number') throw new Error('malformed session');
    const installGeneration = typeof p.installGeneration === 'number' ? p.installGeneration : 0;
    return {
      portalId: p.portalId, userId: p.userId, isAdmin: Boolean(p.isAdmin), placement: String(p.placement), lang: p.lang ?? 'en', installGeneration,
      ...(typeof p.sid === 'string' && p.sid ? { sid: p.sid } : {}),
      ...(typeof p.name === 'string' && p.name ? { name: p.name.slice(0, 200) } : {}),
    };
  } catch {
    throw new AppError('UNAUTHORIZED', 'Your session has expired or is not valid. Reopen the page from Bitrix24.');
  }
}

/** Every JSON route for CRM users sits behind this; handlers read `c.var.session` and scope by its portal. */
export const requireSession = createMiddleware<AppEnv & { Variables: { session: Session } }>(async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7) : undefined;
  if (!token) throw new AppError('UNAUTHORIZED', 'This request needs a session. Open the app from Bitrix24.');
  const { services } = c.var;
  const session = await verifySession(services.config.sessionSecret, token, services.clock.now());
  // A signed session outlives nothing: once its portal is uninstalled (or uninstalled and installed
  // again) it is refused. Portal rows are never deleted and sessions are issued only for stored
  // portals, so a missing row has nothing a session could reach (every query is scoped to portalId).
  const portal = await findPortalInstallState(services.db, session.portalId);
  if (portal && (portal.status === 'uninstalled' || portal.installGeneration !== (session.installGeneration ?? 0))) {
    throw new AppError('UNAUTHORIZED', 'b24-sign is no longer installed on this portal as it was when this page opened. Reopen it from Bitrix24.');
  }
  c.set('session', session);
  await next();
});

export type SessionEnv = AppEnv & { Variables: { session: Session } };
