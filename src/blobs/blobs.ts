import { blobs } from '../db/schema/index.js';
import type { Database } from '../db/client.js';
import { AppError } from '../lib/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { Ids } from '../lib/ids.js';
import { scheduleBlobSweep } from './sweep.js';
import type { BlobKind, BlobStore } from './store.js';

export type BlobServices = { db: Database; blobs: BlobStore; clock: Clock; ids: Ids };

/**
 * Stores bytes and returns their new key. Call it before the transaction that records the key, never
 * inside one: the registry row commits first, so until that transaction commits the blob is an orphan
 * the sweep leaves alone for a day (src/blobs/sweep.ts); if it never commits, the sweep removes it.
 */
export async function saveBlob(s: BlobServices, p: { portalId: string; kind: BlobKind; bytes: Uint8Array; contentType: string }): Promise<string> {
  return (await saveBlobs(s, p.portalId, [p]))[0]!;
}

/** Several blobs of one portal (a document's page images): one registry statement and one sweep check for all. */
export async function saveBlobs(s: BlobServices, portalId: string, items: readonly { kind: BlobKind; bytes: Uint8Array; contentType: string }[]): Promise<string[]> {
  if (items.length === 0) return [];
  const now = s.clock.now();
  const rows = items.map((i) => ({ key: `${portalId}/${i.kind}/${s.ids.newId('blb')}`, portalId, size: i.bytes.length, contentType: i.contentType, createdAt: now }));
  await s.db.insert(blobs).values(rows);
  for (const [n, row] of rows.entries()) await s.blobs.put(row.key, items[n]!.bytes, row.contentType);
  await scheduleBlobSweep(s.db, now);
  return rows.map((r) => r.key);
}

/**
 * The bytes under a key a row names. Keys belong to a portal: a key of another portal is refused, so a
 * row read without its portal filter can never hand out someone else's file.
 */
export async function loadBlob(s: Pick<BlobServices, 'blobs'>, p: { portalId: string; key: string }): Promise<Uint8Array> {
  if (!p.key.startsWith(`${p.portalId}/`)) throw new AppError('INTERNAL', 'A stored file belongs to another portal.');
  const bytes = await s.blobs.get(p.key);
  // A key in a row whose bytes are gone is a storage fault (a bucket emptied by hand), not the caller's.
  if (!bytes) throw new AppError('INTERNAL', 'A stored file is missing from blob storage.');
  return bytes;
}
