/**
 * Portal tokens as the app stores them (sealed with the test key, application token as a digest),
 * for helpers that write portal rows directly, and the opened values for tests that check them.
 * No vitest imports: bench/ uses it too.
 */
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../src/db/client.js';
import { portals } from '../../src/db/schema/index.js';
import { appTokenDigest } from '../../src/lib/app-token.js';
import { createTokenKeyring, parseTokenKeys, type TokenKey, type TokenKeyring } from '../../src/lib/token-keyring.js';

/** TEST_ENV's TOKEN_ENCRYPTION_KEYS (fixed, so rows written by one helper open in any test's services). */
export const TEST_TOKEN_KEYS = 'test1:3q2+796tvu/erb7v3q2+796tvu/erb7v3q2+796tvu8=';

export function keysOf(raw: string): TokenKey[] {
  const parsed = parseTokenKeys(raw);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.keys;
}

export const testKeyring: TokenKeyring = createTokenKeyring(keysOf(TEST_TOKEN_KEYS));

/** The stored columns for plaintext tokens (what the install flow would have written). */
export async function storedTokenColumns(
  portalId: string,
  t: { accessToken?: string | null; refreshToken?: string | null; applicationToken?: string | null },
  keyring: TokenKeyring = testKeyring,
): Promise<Partial<typeof portals.$inferInsert>> {
  return {
    ...(t.accessToken ? { accessToken: await keyring.seal(t.accessToken, 'access_token', portalId) } : {}),
    ...(t.refreshToken ? { refreshToken: await keyring.seal(t.refreshToken, 'refresh_token', portalId) } : {}),
    ...(t.applicationToken ? { applicationTokenDigest: await appTokenDigest(t.applicationToken) } : {}),
  };
}

/** The row's OAuth pair, opened, and its raw columns (to assert nothing readable is stored). */
export async function readPortalTokens(db: DbOrTx, where: { portalId: string } | { memberId: string }, keyring: TokenKeyring = testKeyring) {
  const [row] = await db
    .select()
    .from(portals)
    .where('portalId' in where ? eq(portals.id, where.portalId) : eq(portals.memberId, where.memberId));
  if (!row) throw new Error('readPortalTokens: no such portal');
  return {
    raw: { accessToken: row.accessToken, refreshToken: row.refreshToken, applicationTokenDigest: row.applicationTokenDigest },
    accessToken: await keyring.openNullable(row.accessToken, 'access_token', row.id),
    refreshToken: await keyring.openNullable(row.refreshToken, 'refresh_token', row.id),
    /** Does this token match the stored digest? */
    appTokenIs: async (token: string) => row.applicationTokenDigest === (await appTokenDigest(token)),
  };
}
