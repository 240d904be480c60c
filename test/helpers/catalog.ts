import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { sql, type SQL } from 'drizzle-orm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rowsOf, schema, type Database } from '../../src/db/client.js';
import { readJournal } from '../../src/db/migrate.js';

type Snapshot = ReturnType<typeof generateDrizzleJson>;

/** What drizzle-kit makes of src/db/schema today (drizzle.config.ts uses snake_case too). */
export const schemaSnapshot = (): Snapshot => generateDrizzleJson(schema, undefined, undefined, 'snake_case');

/** The snapshot drizzle-kit saved with the newest migration: the schema as the migrations leave it. */
export function lastMigrationSnapshot(folder: string): Snapshot {
  const last = readJournal(folder).at(-1)!;
  return JSON.parse(readFileSync(join(folder, 'meta', `${String(last.idx).padStart(4, '0')}_snapshot.json`), 'utf8')) as Snapshot;
}

/** The SQL `drizzle-kit generate` would write now: empty when the migrations cover the schema. */
export const pendingSchemaChanges = (folder: string): Promise<string[]> => generateMigration(lastMigrationSnapshot(folder), schemaSnapshot());

/** Builds the schema into an empty database straight from src/db/schema, as `drizzle-kit push` would, bypassing the migrations. */
export async function createFromSchema(db: Database): Promise<void> {
  const statements = await generateMigration(generateDrizzleJson({}, undefined, undefined, 'snake_case'), schemaSnapshot());
  for (const statement of statements) await db.execute(sql.raw(statement));
}

/**
 * Everything about the public schema that a migration can change and the app relies on: tables,
 * columns (type, nullability, default, identity), indexes, constraints, sequences, enum labels.
 * Sorted by name, not by position: ALTER TABLE … ADD COLUMN appends, CREATE TABLE lists in order.
 */
export async function catalogOf(db: Database) {
  const q = async (query: SQL) => rowsOf<Record<string, unknown>>(await db.execute(query));
  return {
    tables: await q(sql`select table_name, table_type from information_schema.tables where table_schema = 'public' order by 1`),
    columns: await q(sql`
      select table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length,
             numeric_precision, datetime_precision, is_identity, identity_generation, is_generated, generation_expression
      from information_schema.columns where table_schema = 'public' order by table_name, column_name`),
    indexes: await q(sql`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`),
    constraints: await q(sql`
      select c.conrelid::regclass::text as table_name, c.conname, c.contype::text as type, pg_get_constraintdef(c.oid) as definition
      from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = 'public' order by 1, 2`),
    sequences: await q(sql`
      select sequence_name, data_type, start_value, minimum_value, maximum_value, increment, cycle_option
      from information_schema.sequences where sequence_schema = 'public' order by 1`),
    enums: await q(sql`
      select t.typname, e.enumlabel, e.enumsortorder::text as position
      from pg_type t join pg_enum e on e.enumtypid = t.oid join pg_namespace n on n.oid = t.typnamespace
      where n.nspname = 'public' order by 1, 3`),
  };
}
