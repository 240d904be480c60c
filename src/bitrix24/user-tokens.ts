import { and, eq, lt } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { frameSessions } from '../db/schema/frame-sessions.js';
import type { TokenKeyring } from '../lib/token-keyring.js';
import type { RefreshOutcome } from './oauth.js';
import { Bitrix24Error } from './types.js';

/**
 * The user token pairs behind frame sessions (src/db/schema/frame-sessions.ts). Sealed with the
 * portal tokens' keyring; the additional data names the portal AND the session, so a sealed user
 * token copied into a portal row, or into another session's row, fails to open.
 */

export interface FrameTokens {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
  tokenVersion: number;
}

/** Who a frame session belongs to: every read checks all three, so a session id alone reaches nothing. */
export interface FrameOwner {
  sessionId: string;
  portalId: string;
  userId: number;
}

const bound = (o: FrameOwner) => `${o.portalId}\u0000frame\u0000${o.sessionId}`;

export async function saveFrameTokens(
  db: DbOrTx,
  keyring: TokenKeyring,
  p: FrameOwner & { accessToken: string; refreshToken: string | null; expiresAt: Date | null; sessionExpiresAt: Date; now: Date },
): Promise<void> {
  // Sessions end after two hours; their rows go on the next save rather than by a separate sweeper.
  await db.delete(frameSessions).where(lt(frameSessions.sessionExpiresAt, p.now));
  await db.insert(frameSessions).values({
    id: p.sessionId,
    portalId: p.portalId,
    userId: p.userId,
    accessToken: await keyring.seal(p.accessToken, 'access_token', bound(p)),
    refreshToken: p.refreshToken === null ? null : await keyring.seal(p.refreshToken, 'refresh_token', bound(p)),
    expiresAt: p.expiresAt,
    sessionExpiresAt: p.sessionExpiresAt,
    createdAt: p.now,
    updatedAt: p.now,
  });
}

export async function loadFrameTokens(db: DbOrTx, keyring: TokenKeyring, o: FrameOwner): Promise<FrameTokens | undefined> {
  const [row] = await db
    .select()
    .from(frameSessions)
    .where(and(eq(frameSessions.id, o.sessionId), eq(frameSessions.portalId, o.portalId), eq(frameSessions.userId, o.userId)));
  if (!row) return undefined;
  return {
    accessToken: await keyring.open(row.accessToken, 'access_token', bound(o)),
    refreshToken: await keyring.openNullable(row.refreshToken, 'refresh_token', bound(o)),
    expiresAt: row.expiresAt,
    tokenVersion: row.tokenVersion,
  };
}

/** Compare-and-swap on token_version: the new version, or undefined when another refresh won. */
export async function swapFrameTokens(
  db: DbOrTx,
  keyring: TokenKeyring,
  p: FrameOwner & { expectedVersion: number; accessToken: string; refreshToken: string; expiresAt: Date | null; now: Date },
): Promise<number | undefined> {
  const [row] = await db
    .update(frameSessions)
    .set({
      accessToken: await keyring.seal(p.accessToken, 'access_token', bound(p)),
      refreshToken: await keyring.seal(p.refreshToken, 'refresh_token', bound(p)),
      expiresAt: p.expiresAt,
      tokenVersion: p.expectedVersion + 1,
      updatedAt: p.now,
    })
    .where(and(eq(frameSessions.id, p.sessionId), eq(frameSessions.portalId, p.portalId), eq(frameSessions.userId, p.userId), eq(frameSessions.tokenVersion, p.expectedVersion)))
    .returning({ v: frameSessions.tokenVersion });
  return row?.v;
}

/**
 * A user's pair renewed with its REFRESH_ID on the portal's OAuth server — the same request the
 * portal's own refresh sends (oauth.ts requestTokenRefresh). Refresh tokens are single-use, so a
 * refresh that loses the race (invalid_grant, or the compare-and-swap finds a newer version) takes
 * the pair the winner stored.
 */
export async function refreshFrameTokens(
  deps: { db: DbOrTx; keyring: TokenKeyring; now: () => Date; request: (refreshToken: string) => Promise<RefreshOutcome> },
  o: FrameOwner & { seenVersion: number; method: string },
): Promise<FrameTokens> {
  const current = await loadFrameTokens(deps.db, deps.keyring, o);
  if (!current) throw new Bitrix24Error('USER_SESSION_GONE', 'the frame session is not stored', o.method, 401);
  if (current.tokenVersion !== o.seenVersion) return current;
  if (!current.refreshToken) throw new Bitrix24Error('USER_TOKEN_EXPIRED', 'no REFRESH_ID came with the frame', o.method, 401);
  const res = await deps.request(current.refreshToken);
  if (res.kind === 'ok') {
    const now = deps.now();
    const t = res.tokens;
    const expiresAt = t.expires_in ? new Date(now.getTime() + t.expires_in * 1000) : t.expires ? new Date(t.expires * 1000) : null;
    const version = await swapFrameTokens(deps.db, deps.keyring, { ...o, expectedVersion: current.tokenVersion, accessToken: t.access_token, refreshToken: t.refresh_token, expiresAt, now });
    if (version !== undefined) return { accessToken: t.access_token, refreshToken: t.refresh_token, expiresAt, tokenVersion: version };
  }
  const after = await loadFrameTokens(deps.db, deps.keyring, o);
  if (after && after.tokenVersion !== o.seenVersion) return after;
  if (res.kind === 'invalid_grant') throw new Bitrix24Error('USER_TOKEN_EXPIRED', `the user's refresh token was refused: ${res.description}`, o.method, 401);
  if (res.kind === 'error') throw new Bitrix24Error(res.code, res.description, o.method, res.status);
  throw new Bitrix24Error('TOKEN_RACE', 'user token version moved during refresh', o.method);
}
