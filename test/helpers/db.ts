import postgres from 'postgres';
import type { DbHandle } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { createPgliteDb } from '../../src/db/pglite.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { randomToken } from '../../src/lib/ids.js';

/** The server the suite talks to; `TEST_DB=pglite` runs the same tests on embedded PGlite. */
export const TEST_DB_KIND: 'postgres' | 'pglite' = process.env.TEST_DB === 'pglite' ? 'pglite' : 'postgres';
/**
 * False when `npm test` found no PostgreSQL server and fell back to PGlite: the few tests that need a
 * server of their own whatever TEST_DB says (several connection pools, concurrent transactions) skip.
 */
export const POSTGRES_REACHABLE = process.env.TEST_POSTGRES !== 'unreachable';
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDb extends DbHandle {
  /** For PostgreSQL: the URL of this fresh database, so a test can open more connections (second runner). */
  url?: string;
}

/**
 * A fresh, migrated database per call: a new PostgreSQL database on the real server (dropped on
 * close) or an in-memory PGlite. Tests never share rows, so they never depend on order.
 * `migrations`: another folder (e.g. the baseline alone), or null for an empty database.
 */
export async function createTestDb(kind: 'postgres' | 'pglite' = TEST_DB_KIND, opts: { migrations?: string | null } = {}): Promise<TestDb> {
  const migrateIfAsked = async (db: TestDb['db']) => {
    if (opts.migrations !== null) await migrate(db, opts.migrations);
  };
  if (kind === 'pglite') {
    const h = await createPgliteDb();
    await migrateIfAsked(h.db);
    return h;
  }
  const name = `b24sign_test_${randomToken(10).toLowerCase()}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = ADMIN_URL.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  const migrator = createPostgresDb(url, { max: 1 });
  await migrateIfAsked(migrator.db);
  await migrator.close();
  const h = createPostgresDb(url, { max: 5 });
  return {
    ...h,
    url,
    close: async () => {
      await h.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
