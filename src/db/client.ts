import { sql, type ExtractTablesWithRelations, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgDialect, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
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

/**
 * A raw statement as a prepared statement. drizzle's `execute()` sends raw SQL unprepared: postgres.js
 * then writes the whole text (the robot acknowledgement's is over 1 KB, so each call is its own socket
 * write), and the server parses and plans it every time. Prepared, postgres.js parses it once per
 * connection and afterwards sends only the parameters, batched with the other queries of that tick.
 * For a hot statement whose text never changes. PGlite (in-process, no socket) runs it as execute() does.
 */
export async function executePrepared(db: Database, query: SQL): Promise<unknown> {
  const client = (db as { $client?: { unsafe?: unknown } }).$client;
  if (typeof client?.unsafe !== 'function') return db.execute(query);
  const unsafe = client.unsafe as (text: string, params: unknown[], o: { prepare: boolean }) => Promise<unknown>;
  const { sql: text, params } = (db as unknown as { dialect: PgDialect }).dialect.sqlToQuery(query);
  return unsafe.call(client, text, params, { prepare: true });
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
