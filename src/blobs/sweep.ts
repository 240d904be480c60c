import { and, asc, gt, inArray, lt } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, DbOrTx } from '../db/client.js';
import { blobs, envelopePages, envelopes, pdfFiles, sealedDocuments } from '../db/schema/index.js';
import { defineJob, ensureJob } from '../jobs/queue.js';
import type { BlobStore } from './store.js';

/** A blob no row names is left this long first: the transaction that will name it may still be running. */
export const BLOB_GRACE_MS = 24 * 60 * 60 * 1000;
const PAGE = 500;

/** Every column that names a blob key. A new one must be listed here, or the sweep would delete its blobs. */
const REFERENCES = [
  { table: envelopes, column: envelopes.sourcePdfKey },
  { table: envelopes, column: envelopes.sealedPdfKey },
  { table: pdfFiles, column: pdfFiles.blobKey },
  { table: sealedDocuments, column: sealedDocuments.storageKey },
  { table: envelopePages, column: envelopePages.imageKey },
] as const;

/**
 * Deletes blobs that no row names and that are older than the grace period: those of rows deleted
 * since (drafts on uninstall, retention, redrawn page images) and those whose transaction never
 * committed. Walks the registry in key order, a page at a time, so its cost is bounded per step.
 * Bytes go first, then the registry row: a crash in between leaves a row the next sweep finishes.
 */
export async function sweepBlobs(s: { db: Database; blobs: BlobStore }, p: { now: Date; graceMs?: number }): Promise<{ scanned: number; deleted: number }> {
  const cutoff = new Date(p.now.getTime() - (p.graceMs ?? BLOB_GRACE_MS));
  let after = '';
  let scanned = 0;
  let deleted = 0;
  for (;;) {
    const page = (await s.db.select({ key: blobs.key }).from(blobs).where(and(gt(blobs.key, after), lt(blobs.createdAt, cutoff))).orderBy(asc(blobs.key)).limit(PAGE)).map((r) => r.key);
    if (page.length === 0) break;
    scanned += page.length;
    after = page[page.length - 1]!;
    const named = new Set<string>();
    for (const ref of REFERENCES) {
      const rows = await s.db.select({ key: ref.column }).from(ref.table).where(inArray(ref.column, page));
      for (const r of rows) if (r.key) named.add(r.key);
    }
    const orphans = page.filter((k) => !named.has(k));
    if (orphans.length === 0) continue;
    await s.blobs.delete(orphans);
    await s.db.delete(blobs).where(inArray(blobs.key, orphans));
    deleted += orphans.length;
  }
  return { scanned, deleted };
}

export const blobSweepJob = defineJob('blobs.sweep', z.object({}), async (_payload, _job, ctx) => {
  const r = await sweepBlobs(ctx.services, { now: ctx.services.clock.now() });
  if (r.deleted) ctx.logger.info({ ...r }, 'blob sweep');
});

/**
 * One sweep the day after any day that stored blobs (dedupe key per day): no timer or cron is needed,
 * and a portal that stores nothing costs nothing. Orphans of a quiet day wait for the next busy one.
 */
export async function scheduleBlobSweep(db: DbOrTx, now: Date): Promise<void> {
  const day = now.toISOString().slice(0, 10);
  const runAt = new Date(`${day}T00:00:00.000Z`);
  runAt.setTime(runAt.getTime() + BLOB_GRACE_MS + 3 * 60 * 60 * 1000);
  await ensureJob(db, { kind: blobSweepJob.kind, dedupeKey: `blobs.sweep:${day}`, runAt });
}

export const BLOB_JOBS = [blobSweepJob];
