import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rowsOf, type Database } from './client.js';

/**
 * The nearest `migrations/` (with its journal) at or above `from`. Looking upwards finds the
 * repository's folder from src/db/ in development and from a bundle in dist/ (or a copy the build
 * puts beside it) alike, whatever the working directory; MIGRATIONS_DIR overrides it in config.
 */
export function findMigrationsFolder(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    // Nothing found: name the working directory's folder, so the error says where we looked last.
    if (dirname(dir) === dir) return resolve('migrations');
  }
}

// A bundle in CommonJS format has no import.meta.url; the working directory is the next best start.
export const MIGRATIONS_FOLDER = findMigrationsFolder(import.meta.url ? dirname(fileURLToPath(import.meta.url)) : process.cwd());

export interface JournalEntry {
  idx: number;
  tag: string;
  /** drizzle applies an entry only when this is later than the newest one the database recorded. */
  when: number;
}

export function readJournal(folder: string): JournalEntry[] {
  return (JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] }).entries;
}

export interface MigrationReport {
  /** Tags applied by this call, oldest first; empty when the database was already at head. */
  applied: string[];
  total: number;
}

/**
 * One runner for both clients: drizzle's per-driver migrators all end in the same dialect call,
 * so we make it ourselves. A session advisory lock keeps two instances booting together from
 * racing, so `db` must be a single-connection handle (PGlite is; open postgres.js with max: 1).
 */
export async function migrate(db: Database, folder = MIGRATIONS_FOLDER): Promise<MigrationReport> {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  const journal = readJournal(folder);
  const internals = db as unknown as { dialect: { migrate(m: unknown, s: unknown, c: unknown): Promise<void> }; session: unknown };
  await db.execute(sql`select pg_advisory_lock(727274)`);
  try {
    const before = await lastAppliedAt(db);
    await internals.dialect.migrate(migrations, internals.session, { migrationsFolder: folder });
    return { applied: journal.filter((e) => before === undefined || e.when > before).map((e) => e.tag), total: journal.length };
  } finally {
    await db.execute(sql`select pg_advisory_unlock(727274)`);
  }
}

export interface MigrationState {
  /** Tags of the migrations this build ships, oldest first. */
  shipped: string[];
  /** Shipped tags the database has no record of: the schema is older than this code. */
  pending: string[];
  /** Migrations the database recorded that this build does not ship (a newer build migrated it): not a fault, rolling deploys pass through it. */
  unknown: number;
}

const shippedCache = new Map<string, JournalEntry[]>();

/**
 * The shipped migrations (the folder's journal, read once per folder) against the ones the database
 * recorded in drizzle's own table, matched by the journal's `when` as drizzle stores it. For /readyz.
 */
export async function migrationState(db: Database, folder = MIGRATIONS_FOLDER): Promise<MigrationState> {
  let shipped = shippedCache.get(folder);
  if (!shipped) shippedCache.set(folder, (shipped = readJournal(folder)));
  const [table] = rowsOf<{ t: string | null }>(await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`));
  const recorded = new Set(
    table?.t ? rowsOf<{ at: string }>(await db.execute(sql`select created_at::text as at from drizzle.__drizzle_migrations`)).map((r) => Number(r.at)) : [],
  );
  const whens = new Set(shipped.map((e) => e.when));
  return {
    shipped: shipped.map((e) => e.tag),
    pending: shipped.filter((e) => !recorded.has(e.when)).map((e) => e.tag),
    unknown: [...recorded].filter((w) => !whens.has(w)).length,
  };
}

/** The `when` of the newest migration the database recorded (drizzle's own table), if any. */
async function lastAppliedAt(db: Database): Promise<number | undefined> {
  const [found] = rowsOf<{ t: string | null }>(await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`));
  if (!found?.t) return undefined;
  const [row] = rowsOf<{ last: string | null }>(await db.execute(sql`select max(created_at)::text as last from drizzle.__drizzle_migrations`));
  return row?.last == null ? undefined : Number(row.last);
}
