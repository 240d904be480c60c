import { sql, type ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import * as schema from './schema/index.js';

export { schema };
export type Schema = typeof schema;

/** Both clients (postgres.js and PGlite) satisfy this; domain code never knows which it has. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type DbOrTx = Database | Tx;

export type DbKind = 'postgres' | 'pglite';

export interface DbHandle {
  db: Database;
  kind: DbKind;
  /** Cheap round trip for /healthz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Rows of a raw `db.execute(sql…)`: postgres.js returns an array, PGlite an object with `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** One round trip; false instead of an error, because /healthz reports rather than throws. */
export async function pingDb(db: Database): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
