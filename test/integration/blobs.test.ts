/**
 * The blob port (src/blobs/): bytes by key in PostgreSQL's blob_bytes table on Node, a registry of
 * every key with its portal, and the sweep that removes what no row names any more, after a grace day.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBlob, saveBlob } from '../../src/blobs/blobs.js';
import { BLOB_GRACE_MS, sweepBlobs } from '../../src/blobs/sweep.js';
import { blobBytes, blobs, envelopes, jobs, pdfFiles } from '../../src/db/schema/index.js';
import { isAppError } from '../../src/lib/app-error.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createTestServices } from '../helpers/services.js';
import { client, FIELDS, samplePdf, sessionFor } from '../helpers/signing.js';

describe('blob storage', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  const clock = new ManualClock(new Date('2026-12-02T10:00:00Z'));
  beforeAll(async () => {
    services = await createTestServices({ clock });
  });
  afterAll(async () => {
    await services.testDb.close();
  });

  const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
  const stored = async () => (await services.db.select({ key: blobBytes.key }).from(blobBytes)).map((r) => r.key).sort();

  it('stores bytes under a new portal-scoped key each time, reads them back, and refuses another portal’s key', async () => {
    const a = await saveBlob(services, { portalId: 'prt_a', kind: 'file', bytes: bytes(1000, 7), contentType: 'application/pdf' });
    const again = await saveBlob(services, { portalId: 'prt_a', kind: 'file', bytes: bytes(1000, 7), contentType: 'application/pdf' });
    expect(a).toMatch(/^prt_a\/file\/blb_/);
    expect(again).not.toBe(a); // keys are never reused: the sweep can never race a writer of the same key
    expect(await loadBlob(services, { portalId: 'prt_a', key: a })).toEqual(bytes(1000, 7));
    const [row] = await services.db.select().from(blobs).where(eq(blobs.key, a));
    expect(row).toMatchObject({ portalId: 'prt_a', size: 1000, contentType: 'application/pdf' });

    const refused = await loadBlob(services, { portalId: 'prt_b', key: a }).catch((e: unknown) => e);
    expect(isAppError(refused) && refused.code).toBe('INTERNAL');
    const missing = await loadBlob(services, { portalId: 'prt_a', key: 'prt_a/file/blb_none' }).catch((e: unknown) => e);
    expect(isAppError(missing) && missing.message).toMatch(/missing from blob storage/);
  });

  it('schedules one sweep per day that stored anything, a grace day later', async () => {
    const sweeps = await services.db.select().from(jobs).where(eq(jobs.kind, 'blobs.sweep'));
    expect(sweeps.map((j) => [j.dedupeKey, j.runAt.toISOString()])).toEqual([['blobs.sweep:2026-12-02', '2026-12-03T03:00:00.000Z']]);
  });

  it('the sweep removes only blobs no row names and older than the grace period; envelopes and files keep theirs', async () => {
    const http = client(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title: 'Kept', lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: FIELDS, recipients: [{ party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' }] },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, created.data.envelope.id));
    const named = await saveBlob(services, { portalId: 'prt_test', kind: 'file', bytes: bytes(10, 1), contentType: 'application/pdf' });
    await services.db.insert(pdfFiles).values({ id: 'upl_kept', portalId: 'prt_test', origin: 'upload', blobKey: named, size: 10 });
    const orphanBefore = await stored();

    // Nothing is old enough yet: an orphan may be a blob whose transaction has not committed.
    expect(await sweepBlobs(services, { now: clock.now() })).toEqual({ scanned: 0, deleted: 0 });

    clock.advance(BLOB_GRACE_MS + 1000);
    const young = await saveBlob(services, { portalId: 'prt_a', kind: 'page', bytes: bytes(5, 2), contentType: 'image/png' });
    const r = await sweepBlobs(services, { now: clock.now() });
    // The two orphans of the first test go; the envelope's source, the file row's PDF and the young blob stay.
    expect(r).toEqual({ scanned: orphanBefore.length, deleted: orphanBefore.length - 2 });
    expect(await stored()).toEqual([env!.sourcePdfKey!, named, young].sort());
    expect((await services.db.select({ key: blobs.key }).from(blobs)).map((b) => b.key).sort()).toEqual([env!.sourcePdfKey!, named, young].sort());

    // Once the row that named it is gone, its blob goes too (after the grace period).
    await services.db.delete(pdfFiles).where(eq(pdfFiles.id, 'upl_kept'));
    expect((await sweepBlobs(services, { now: clock.now() })).deleted).toBe(1);
    expect(await stored()).toEqual([env!.sourcePdfKey!, young].sort());
  });
});
