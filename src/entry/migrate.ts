/**
 * `npm run db:migrate` (and `node dist/…` after the build): applies pending migrations to
 * DATABASE_URL, or to the PGlite in DATA_DIR when it is unset, then exits. Reads only the database
 * settings, so it runs before the rest of production's configuration exists. The service applies
 * the same migrations at start under the same advisory lock, so running both at once is safe.
 */
import { parseDatabaseConfig, type DatabaseConfig } from '../config.js';
import { openMigratedDatabase } from '../db/open.js';
import { exitIfConfigProblem } from './startup-errors.js';

async function main() {
  let config: DatabaseConfig;
  try {
    config = parseDatabaseConfig(process.env);
  } catch (e) {
    exitIfConfigProblem(e, 'db:migrate');
  }
  // Host and database name only: the URL may carry a password.
  const url = config.DATABASE_URL ? new URL(config.DATABASE_URL) : undefined;
  const target = url ? `PostgreSQL ${url.host}${url.pathname}` : `PGlite in ${config.DATA_DIR}`;
  const { handle, migrations } = await openMigratedDatabase(config, { max: 1 }).catch((e: unknown) => exitIfConfigProblem(e, 'db:migrate'));
  await handle.close();
  const { applied, total } = migrations;
  console.log(`db:migrate: ${target}: ${applied.length ? `applied ${applied.join(', ')}` : 'already up to date'} (${total} migrations in total)`);
}

void main().catch((e: unknown) => {
  console.error('db:migrate failed:', e);
  process.exit(1);
});
