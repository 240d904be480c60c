import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { pingDb, schema, type Database, type DbHandle } from './client.js';

export function createPostgresDb(url: string, opts: { max?: number } = {}): DbHandle {
  // onnotice silenced: "relation already exists, skipping" from migrations is noise, not news.
  const client = postgres(url, { max: opts.max ?? 10, onnotice: () => {} });
  const db = drizzle(client, { schema, casing: 'snake_case' }) as unknown as Database;
  return {
    db,
    kind: 'postgres',
    ping: () => pingDb(db),
    close: () => client.end({ timeout: 5 }),
  };
}
