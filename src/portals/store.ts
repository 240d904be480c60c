import { and, eq, getTableColumns, isNull, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { portals, type Portal, type PortalStatus } from '../db/schema/index.js';
import type { Ids } from '../lib/ids.js';
import { appTokenDigest } from '../lib/app-token.js';
import type { TokenKeyring } from '../lib/token-keyring.js';

/**
 * A portal as most code needs it: everything but the sealed OAuth pair, which only
 * src/bitrix24/portal-store.ts reads (and opens), so a sealed value is never sent by mistake.
 */
export type PortalRow = Omit<Portal, 'accessToken' | 'refreshToken'>;
const { accessToken: _a, refreshToken: _r, ...rowColumns } = getTableColumns(portals);

/** Tenants are keyed by member_id, never by domain: domains change on rename (reference §13.21). */
export async function findPortalByMemberId(db: DbOrTx, memberId: string): Promise<PortalRow | undefined> {
  const [row] = await db.select(rowColumns).from(portals).where(eq(portals.memberId, memberId)).limit(1);
  return row;
}

/**
 * What the event and robot doors need of the calling portal, looked up on every delivery: the
 * columns to authenticate it and act for it, not its OAuth tokens or settings.
 */
export type AppTokenPortal = Pick<Portal, 'id' | 'memberId' | 'status' | 'applicationTokenDigest' | 'serverEndpoint' | 'installedByUserId'>;

export async function findAppTokenPortal(db: DbOrTx, memberId: string): Promise<AppTokenPortal | undefined> {
  const [row] = await db
    .select({
      id: portals.id,
      memberId: portals.memberId,
      status: portals.status,
      applicationTokenDigest: portals.applicationTokenDigest,
      serverEndpoint: portals.serverEndpoint,
      installedByUserId: portals.installedByUserId,
    })
    .from(portals)
    .where(eq(portals.memberId, memberId))
    .limit(1);
  return row;
}

export async function findPortal(db: DbOrTx, portalId: string): Promise<PortalRow | undefined> {
  const [row] = await db.select(rowColumns).from(portals).where(eq(portals.id, portalId)).limit(1);
  return row;
}

export interface InstallInput {
  memberId: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint?: string | null;
  /** Absent in older frame POSTs: the stored one is kept. */
  applicationToken?: string | null;
  /** The installing admin's tokens (ONAPPINSTALL auth, or the wizard's AUTH_ID/REFRESH_ID). */
  tokens?: { accessToken: string; refreshToken: string; expiresAt: Date | null };
  scope?: string[] | null;
  installedByUserId?: number | null;
  now: Date;
}

/**
 * Creates the portal or brings an existing one (also an uninstalled one: same id, so retained
 * sealed documents stay attached) back to `installed`. New tokens bump token_version, which tells
 * every instance's REST client to drop what it cached.
 *
 * Tokens are sealed for the row's id, which an upsert only knows once it has run (a first install
 * racing another gets the winner's id): so the row first, then its tokens, in one transaction.
 */
export async function upsertInstalledPortal(db: DbOrTx, keyring: TokenKeyring, ids: Ids, input: InstallInput): Promise<PortalRow> {
  const values = {
    domain: input.domain,
    clientEndpoint: input.clientEndpoint,
    ...(input.serverEndpoint ? { serverEndpoint: input.serverEndpoint } : {}),
    ...(input.tokens ? { expiresAt: input.tokens.expiresAt } : {}),
    ...(input.scope?.length ? { scope: input.scope.join(',') } : {}),
    ...(input.installedByUserId ? { installedByUserId: input.installedByUserId } : {}),
    status: 'installed' as const,
    uninstalledAt: null,
    updatedAt: input.now,
  };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(portals)
      .values({ id: ids.newId('prt'), memberId: input.memberId, createdAt: input.now, ...values })
      .onConflictDoUpdate({
        target: portals.memberId,
        set: { ...values, ...(input.tokens ? { tokenVersion: sql`${portals.tokenVersion} + 1` } : {}) },
      })
      .returning(rowColumns);
    const { applicationToken, tokens } = input;
    if (applicationToken || tokens) {
      await tx
        .update(portals)
        .set({
          ...(applicationToken ? { applicationTokenDigest: await appTokenDigest(applicationToken) } : {}),
          ...(tokens
            ? { accessToken: await keyring.seal(tokens.accessToken, 'access_token', row!.id), refreshToken: await keyring.seal(tokens.refreshToken, 'refresh_token', row!.id) }
            : {}),
        })
        .where(eq(portals.id, row!.id));
    }
    return row!;
  });
}

/** ONAPPUPDATE may bring a new application_token (reference §1.5). */
export async function replaceApplicationToken(db: DbOrTx, p: { portalId: string; applicationToken: string; now: Date }): Promise<void> {
  await db
    .update(portals)
    .set({ applicationTokenDigest: await appTokenDigest(p.applicationToken), updatedAt: p.now })
    .where(and(eq(portals.id, p.portalId), ne(portals.status, 'uninstalled')));
}

/** What the status page shows as "last error"; cleared by a successful registration. */
export async function setPortalLastError(db: DbOrTx, p: { portalId: string; error: string | null; now: Date }): Promise<void> {
  await db.update(portals).set({ lastError: p.error?.slice(0, 1000) ?? null, updatedAt: p.now }).where(eq(portals.id, p.portalId));
}

/** ONAPPUPDATE brings the updating admin's fresh pair: it replaces the stored one (version bump, like an install). */
export async function replacePortalTokens(
  db: DbOrTx,
  keyring: TokenKeyring,
  p: { portalId: string; accessToken: string; refreshToken: string; expiresAt: Date | null; scope?: string[]; now: Date },
): Promise<void> {
  await db
    .update(portals)
    .set({
      accessToken: await keyring.seal(p.accessToken, 'access_token', p.portalId),
      refreshToken: await keyring.seal(p.refreshToken, 'refresh_token', p.portalId),
      expiresAt: p.expiresAt,
      ...(p.scope?.length ? { scope: p.scope.join(',') } : {}),
      tokenVersion: sql`${portals.tokenVersion} + 1`,
      status: 'installed',
      updatedAt: p.now,
    })
    .where(and(eq(portals.id, p.portalId), ne(portals.status, 'uninstalled')));
}

/** First APPLICATION_TOKEN seen from a verified admin's frame, when neither ONAPPINSTALL nor the wizard brought one. */
export async function setApplicationTokenIfMissing(db: DbOrTx, p: { portalId: string; applicationToken: string; now: Date }): Promise<void> {
  await db
    .update(portals)
    .set({ applicationTokenDigest: await appTokenDigest(p.applicationToken), updatedAt: p.now })
    .where(and(eq(portals.id, p.portalId), isNull(portals.applicationTokenDigest), ne(portals.status, 'uninstalled')));
}

/** What decides whether a frame session still holds: the portal's status and install generation. */
export async function findPortalInstallState(db: DbOrTx, portalId: string): Promise<{ status: PortalStatus; installGeneration: number } | undefined> {
  const [row] = await db.select({ status: portals.status, installGeneration: portals.installGeneration }).from(portals).where(eq(portals.id, portalId)).limit(1);
  return row;
}
