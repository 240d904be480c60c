import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type DatabaseConfig } from '../config.js';
import type { DbHandle } from './client.js';
import { MIGRATIONS_FOLDER, migrate, type MigrationReport } from './migrate.js';
import { createPgliteDb } from './pglite.js';
import { createPostgresDb } from './postgres.js';

/**
 * Opens DATABASE_URL, or the PGlite in DATA_DIR when it is unset, after applying pending migrations.
 * Shared by the service and `npm run db:migrate`, so both always mean the same database.
 */
export async function openMigratedDatabase(config: DatabaseConfig, opts: { max?: number } = {}): Promise<{ handle: DbHandle; migrations: MigrationReport }> {
  const folder = config.MIGRATIONS_DIR ?? MIGRATIONS_FOLDER;
  // A build shipped without its migrations is a deployment mistake: say where we looked, exit 78.
  if (!existsSync(join(folder, 'meta', '_journal.json'))) {
    throw new ConfigError([`MIGRATIONS_DIR: no migrations in ${folder} (meta/_journal.json is missing); set it to the project's migrations/ folder`]);
  }
  if (config.DATABASE_URL) {
    // Migrate over one dedicated connection: the advisory lock is per session.
    const migrator = createPostgresDb(config.DATABASE_URL, { max: 1 });
    let migrations: MigrationReport;
    try {
      migrations = await migrate(migrator.db, folder);
    } finally {
      await migrator.close();
    }
    return { handle: createPostgresDb(config.DATABASE_URL, opts), migrations };
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  const handle = await createPgliteDb(join(config.DATA_DIR, 'pglite'));
  try {
    return { handle, migrations: await migrate(handle.db, folder) };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
