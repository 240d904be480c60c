import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { fileURLToPath } from 'node:url';
import type { Database } from './client.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * One runner for both clients: drizzle's per-driver migrators all end in the same dialect call,
 * so we make it ourselves. A session advisory lock keeps two instances booting together from
 * racing, so `db` must be a single-connection handle (PGlite is; open postgres.js with max: 1).
 */
export async function migrate(db: Database, folder = MIGRATIONS_FOLDER): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  const internals = db as unknown as { dialect: { migrate(m: unknown, s: unknown, c: unknown): Promise<void> }; session: unknown };
  await db.execute(sql`select pg_advisory_lock(727274)`);
  try {
    await internals.dialect.migrate(migrations, internals.session, { migrationsFolder: folder });
  } finally {
    await db.execute(sql`select pg_advisory_unlock(727274)`);
  }
}
