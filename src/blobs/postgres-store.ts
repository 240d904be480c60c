import { inArray, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { blobBytes } from '../db/schema/index.js';
import type { BlobStore } from './store.js';

/**
 * Blobs in PostgreSQL itself (the default on Node, as before the port existed): one row per key in
 * `blob_bytes`. Uses the top-level connection, never a caller's transaction, the way an external
 * store would; callers therefore write blobs before the transaction that references them.
 */
export function postgresBlobStore(db: Database): BlobStore {
  return {
    async put(key, bytes) {
      await db.insert(blobBytes).values({ key, bytes }).onConflictDoNothing();
    },
    async get(key) {
      const [row] = await db.select({ bytes: blobBytes.bytes }).from(blobBytes).where(eq(blobBytes.key, key));
      // A plain view (no copy) of the driver's buffer: the same type every store returns.
      return row ? new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength) : undefined;
    },
    async delete(keys) {
      if (keys.length) await db.delete(blobBytes).where(inArray(blobBytes.key, [...keys]));
    },
  };
}
