import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSealedDocumentLookup,
  extendRetentionOnUninstall,
  listSealedDocuments,
  purgeExpiredSealedDocuments,
  recordSealedDocument,
  retentionUntil,
} from '../../src/documents/verify/sealed-documents.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

/** sealed_documents: the records the verify door reads, their public projection and their retention. */
let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const record = (n: number, portalId: string, sealedAt: Date) => ({
  id: `doc_${n}`,
  portalId,
  envelopeId: `env_${n}`,
  publicId: `B24S-TEST-0000-000${n}`,
  sha256: String(n).repeat(64).slice(0, 64).replace(/[^0-9]/g, '0'),
  title: `Document ${n}`,
  parties: [{ name: 'Anna', role: 'signer', party: 'company', signedAt: sealedAt.toISOString(), email: 'anna@example.com' } as never],
  development: true,
  timestamped: false,
  sealedAt,
  retentionUntil: retentionUntil(sealedAt, 5),
  pdf: new Uint8Array([37, 80, 68, 70]),
  sizeBytes: 4,
});

describe('sealed documents', () => {
  it('records, finds by hash (any case) and public id, and keeps only the public projection of parties', async () => {
    const at = new Date('2026-01-15T10:00:00Z');
    await recordSealedDocument(db.db, record(1, 'prt_a', at));
    const lookup = createSealedDocumentLookup(db.db);
    const byHash = await lookup.bySha256('1'.repeat(64).toUpperCase());
    expect(byHash).toMatchObject({ publicId: 'B24S-TEST-0000-0001', title: 'Document 1', status: 'completed', development: true });
    expect(byHash!.parties).toEqual([{ name: 'Anna', role: 'signer', party: 'company', signedAt: at.toISOString() }]);
    expect(await lookup.byPublicId('B24S-TEST-0000-0001')).toMatchObject({ sha256: '1'.repeat(64) });
    expect(await lookup.bySha256('not-a-hash')).toBeNull();
    expect(await lookup.byPublicId('B24S-NONE')).toBeNull();
  });

  it('hash and public id are unique', async () => {
    const at = new Date('2026-01-15T10:00:00Z');
    await expect(recordSealedDocument(db.db, { ...record(1, 'prt_a', at), id: 'doc_dup' })).rejects.toThrow();
  });

  it('lists per portal only', async () => {
    await recordSealedDocument(db.db, record(2, 'prt_b', new Date('2026-01-16T10:00:00Z')));
    expect((await listSealedDocuments(db.db, { portalId: 'prt_a' })).map((r) => r.publicId)).toEqual(['B24S-TEST-0000-0001']);
  });

  it('an uninstall extends retention; purging removes only what has expired', async () => {
    const now = new Date('2030-06-01T00:00:00Z');
    expect(await extendRetentionOnUninstall(db.db, { portalId: 'prt_b', now, years: 5 })).toBe(1);
    // 2031: document 1 (sealed 2026, kept 5 years) has expired; document 2 was extended to 2035.
    expect(await purgeExpiredSealedDocuments(db.db, { now: new Date('2031-06-01T00:00:00Z') })).toBe(1);
    const lookup = createSealedDocumentLookup(db.db);
    expect(await lookup.byPublicId('B24S-TEST-0000-0001')).toBeNull();
    expect(await lookup.byPublicId('B24S-TEST-0000-0002')).not.toBeNull();
  });
});
