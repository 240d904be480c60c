import { and, asc, eq, gt, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../db/client.js';
import { portals } from '../db/schema/index.js';
import { APP_TOKEN_DIGEST_PREFIX, appTokenDigest, isAppTokenDigest } from '../lib/app-token.js';
import { TokenKeyError, type TokenKeyring } from '../lib/token-keyring.js';

export interface SealReport {
  /** Rows whose tokens were rewritten: plaintext or another key's ciphertext sealed with the current key, plaintext application tokens digested. */
  rewritten: number;
  /** Rows that changed under this pass three times running (a refresh storm); the next start finishes them. */
  skipped: number;
}

type Stored = { id: string; accessToken: string | null; refreshToken: string | null; applicationTokenDigest: string | null };

/** `column IS NOT DISTINCT FROM value`: null-safe equality for the compare-and-swap. */
const isNotDistinctFrom = (column: AnyPgColumn, value: string | null): SQL => sql`${column} is not distinct from ${value}`;

/** A prefix test that no LIKE wildcard in a key id (`_`) can widen. */
const startsWith = (column: AnyPgColumn, prefix: string): SQL => sql`left(${column}, ${prefix.length}) = ${prefix}`;

/**
 * Brings every stored token to the current form, after migrations and before the service takes
 * requests: the OAuth pair sealed with the first key of TOKEN_ENCRYPTION_KEYS (rows from before
 * encryption, or sealed with a key being rotated out) and the application token as a digest. After
 * it, the keys behind the first one may be removed.
 *
 * Safe with any number of instances starting together, and with refreshes running: each row is
 * written with a compare-and-swap on the three values it was read with, so a pair refreshed (and
 * sealed) meanwhile is never overwritten; such a row is read again. Idempotent: a second pass finds
 * nothing to do, in one query.
 *
 * A stored value no configured key opens (its key id missing from the list, or the same id with
 * other key bytes) stops it with a TokenKeyError naming the key and the number of rows: start-up
 * fails with that line instead of every portal silently needing a reinstall.
 */
export async function sealStoredTokens(db: DbOrTx, keyring: TokenKeyring, opts: { batch?: number } = {}): Promise<SealReport> {
  const current = keyring.currentKeyId;
  if (!current) throw new TokenKeyError('TOKEN_KEY_MISSING', 'TOKEN_ENCRYPTION_KEYS is not set: stored tokens cannot be sealed');
  const sealed = `v1.${current}.`;
  const stale = (column: AnyPgColumn) => and(isNotNull(column), sql`not ${startsWith(column, sealed)}`);
  const needsWork = or(stale(portals.accessToken), stale(portals.refreshToken), and(isNotNull(portals.applicationTokenDigest), sql`not ${startsWith(portals.applicationTokenDigest, APP_TOKEN_DIGEST_PREFIX)}`));
  const columns = { id: portals.id, accessToken: portals.accessToken, refreshToken: portals.refreshToken, applicationTokenDigest: portals.applicationTokenDigest };

  const report: SealReport = { rewritten: 0, skipped: 0 };
  const failures = new Map<string, { error: TokenKeyError; rows: number }>();
  const reseal = async (value: string | null, column: 'access_token' | 'refresh_token', portalId: string) =>
    value === null || keyring.isCurrent(value) ? value : keyring.seal(await keyring.open(value, column, portalId), column, portalId);

  /** One row, compare-and-swap; false when it changed since it was read. */
  async function rewrite(row: Stored): Promise<boolean> {
    const next = {
      accessToken: await reseal(row.accessToken, 'access_token', row.id),
      refreshToken: await reseal(row.refreshToken, 'refresh_token', row.id),
      applicationTokenDigest:
        row.applicationTokenDigest === null || isAppTokenDigest(row.applicationTokenDigest) ? row.applicationTokenDigest : await appTokenDigest(row.applicationTokenDigest),
    };
    const done = await db
      .update(portals)
      .set(next)
      .where(
        and(
          eq(portals.id, row.id),
          isNotDistinctFrom(portals.accessToken, row.accessToken),
          isNotDistinctFrom(portals.refreshToken, row.refreshToken),
          isNotDistinctFrom(portals.applicationTokenDigest, row.applicationTokenDigest),
        ),
      )
      .returning({ id: portals.id });
    return done.length === 1;
  }

  let after = '';
  for (;;) {
    const rows = await db.select(columns).from(portals).where(and(gt(portals.id, after), needsWork)).orderBy(asc(portals.id)).limit(opts.batch ?? 200);
    if (!rows.length) break;
    for (const read of rows) {
      let row: Stored | undefined = read;
      for (let tries = 0; row; tries++) {
        if (tries === 3) {
          report.skipped++;
          break;
        }
        try {
          if (await rewrite(row)) {
            report.rewritten++;
            break;
          }
        } catch (e) {
          if (!(e instanceof TokenKeyError)) throw e;
          const key = `${e.code}:${e.keyId ?? ''}`;
          failures.set(key, { error: e, rows: (failures.get(key)?.rows ?? 0) + 1 });
          break;
        }
        // Changed since it was read (a refresh, another instance's pass): read it again, if it still needs work.
        [row] = await db.select(columns).from(portals).where(and(eq(portals.id, row.id), needsWork));
      }
    }
    after = rows[rows.length - 1]!.id;
  }
  const [first] = failures.values();
  if (first) {
    const total = [...failures.values()].reduce((n, f) => n + f.rows, 0);
    const what = first.error.code === 'TOKEN_KEY_UNKNOWN' ? `key "${first.error.keyId}" is not in the list` : `key "${first.error.keyId}" does not open them (other key bytes under that id?)`;
    throw new TokenKeyError(first.error.code, `${total} portal row(s) hold tokens this instance cannot open: ${what}; add the old key back behind the current one`, first.error.keyId);
  }
  return report;
}
