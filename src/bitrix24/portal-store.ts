import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { portals, type PortalStatus } from '../db/schema/index.js';
import type { TokenKeyring } from '../lib/token-keyring.js';

/** What the REST client needs from a stored portal. */
export interface PortalCredentials {
  portalId: string;
  memberId: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string | null;
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: Date | null;
  /** Bumped by every token write; a refresh is a compare-and-swap on it. */
  tokenVersion: number;
  status: PortalStatus;
}

const credentialColumns = {
  portalId: portals.id,
  memberId: portals.memberId,
  domain: portals.domain,
  clientEndpoint: portals.clientEndpoint,
  serverEndpoint: portals.serverEndpoint,
  accessToken: portals.accessToken,
  refreshToken: portals.refreshToken,
  expiresAt: portals.expiresAt,
  tokenVersion: portals.tokenVersion,
  status: portals.status,
};

/** The row as stored holds sealed tokens (src/lib/token-keyring.ts); callers only ever see them opened. */
async function openCredentials(keyring: TokenKeyring, row: PortalCredentials | undefined): Promise<PortalCredentials | undefined> {
  if (!row) return undefined;
  const [accessToken, refreshToken] = await Promise.all([
    keyring.openNullable(row.accessToken, 'access_token', row.portalId),
    keyring.openNullable(row.refreshToken, 'refresh_token', row.portalId),
  ]);
  return { ...row, accessToken, refreshToken };
}

export async function loadPortalCredentials(db: DbOrTx, keyring: TokenKeyring, portalId: string): Promise<PortalCredentials | undefined> {
  const [row] = await db.select(credentialColumns).from(portals).where(eq(portals.id, portalId)).limit(1);
  return openCredentials(keyring, row);
}

/**
 * The same row, locked until the surrounding transaction ends: the cross-process single flight of
 * a token refresh. Whoever holds the lock refreshes; everyone else waits here and then sees the
 * bumped token_version.
 */
export async function lockPortalCredentials(tx: DbOrTx, keyring: TokenKeyring, portalId: string): Promise<PortalCredentials | undefined> {
  const [row] = await tx.select(credentialColumns).from(portals).where(eq(portals.id, portalId)).limit(1).for('update');
  return openCredentials(keyring, row);
}

export interface NewTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date | null;
  scope?: string | null;
  clientEndpoint?: string;
  domain?: string;
}

/** The columns every token write sets: the pair (sealed for this row), what Bitrix24 sent along with it, and a version bump. */
async function tokenWrite(keyring: TokenKeyring, portalId: string, t: NewTokens, now: Date) {
  return {
    accessToken: await keyring.seal(t.accessToken, 'access_token', portalId),
    refreshToken: await keyring.seal(t.refreshToken, 'refresh_token', portalId),
    expiresAt: t.expiresAt,
    ...(t.scope ? { scope: t.scope } : {}),
    ...(t.clientEndpoint ? { clientEndpoint: t.clientEndpoint } : {}),
    ...(t.domain ? { domain: t.domain } : {}),
    tokenVersion: sql`${portals.tokenVersion} + 1`,
    lastError: null,
    updatedAt: now,
  };
}

/**
 * Stores a new token pair only if nobody else has since the caller read `expectedVersion`
 * (compare-and-swap); returns the new version, or undefined when the swap lost.
 */
export async function swapTokens(
  db: DbOrTx,
  keyring: TokenKeyring,
  p: { portalId: string; expectedVersion: number; tokens: NewTokens; now: Date },
): Promise<number | undefined> {
  const rows = await db
    .update(portals)
    .set(await tokenWrite(keyring, p.portalId, p.tokens, p.now))
    .where(and(eq(portals.id, p.portalId), eq(portals.tokenVersion, p.expectedVersion)))
    .returning({ tokenVersion: portals.tokenVersion });
  return rows[0]?.tokenVersion;
}

/**
 * For the install flow (ONAPPINSTALL, the wizard POST): a fresh pair from Bitrix24 replaces the
 * stored one unconditionally, the portal is usable again, and the version bump tells every instance
 * that its cached token is stale (their next 401 re-reads the row instead of refreshing).
 */
export async function storePortalTokens(db: DbOrTx, keyring: TokenKeyring, p: { portalId: string; tokens: NewTokens; now: Date }): Promise<number | undefined> {
  const rows = await db
    .update(portals)
    .set({ ...(await tokenWrite(keyring, p.portalId, p.tokens, p.now)), status: 'installed' })
    .where(eq(portals.id, p.portalId))
    .returning({ tokenVersion: portals.tokenVersion });
  return rows[0]?.tokenVersion;
}

/** The refresh token is dead (invalid_grant): nothing works until an admin reopens or reinstalls the app. */
export async function markPortalNeedsReauth(
  db: DbOrTx,
  p: { portalId: string; reason: string; now: Date; /** only if the pair is still this version */ tokenVersion?: number },
): Promise<void> {
  await db
    .update(portals)
    .set({ status: 'needs_reauth', lastError: p.reason.slice(0, 500), updatedAt: p.now })
    .where(
      and(
        eq(portals.id, p.portalId),
        eq(portals.status, 'installed'),
        p.tokenVersion === undefined ? undefined : eq(portals.tokenVersion, p.tokenVersion),
      ),
    );
}

/** A renamed portal: later calls go straight to the new host. member_id, not the domain, keys the tenant. */
export async function updatePortalEndpoint(db: DbOrTx, p: { portalId: string; clientEndpoint: string; domain: string; now: Date }): Promise<void> {
  await db
    .update(portals)
    .set({ clientEndpoint: p.clientEndpoint, domain: p.domain, updatedAt: p.now })
    .where(eq(portals.id, p.portalId));
}
