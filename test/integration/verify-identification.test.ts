import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipients } from '../../src/db/schema/recipients.js';
import { sealedDocumentAudit, storedSealedFile } from '../../src/documents/verify/identification.js';
import { recordSealedDocument, retentionUntil } from '../../src/documents/verify/sealed-documents.js';
import { appendAudit, SYSTEM } from '../../src/signing/audit.js';
import { createTestServices } from '../helpers/services.js';
import { seedEnvelope } from '../e2e/helpers/card-seed.js';

/**
 * How each party of a sealed document was identified, as the verify door shows it: read from the
 * envelope's audit record through the sealed_documents row. Company signer in Bitrix24 (the frame's
 * record), client by an e-mailed code (masked address), an approver with no check recorded.
 */
describe('sealed document audit for /v', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  const portalId = 'prt_ident';
  const t0 = new Date('2026-03-02T08:00:00Z');
  const at = (min: number) => new Date(t0.getTime() + min * 60_000);

  beforeAll(async () => {
    services = await createTestServices();
    const envelopeId = await seedEnvelope(services.db, {
      portalId, entityTypeId: 2, entityId: 5, title: 'Lease', status: 'completed', sealed: true, createdAt: t0,
      recipients: [
        { name: 'Olga Smirnova', email: 'olga.smirnova@seller.example', party: 'company', order: 1, status: 'signed', at: at(5) },
        { name: 'Marco Bianchi', email: 'marco@buyer.example', party: 'client', order: 2, status: 'signed', at: at(20) },
      ],
    });
    const rs = await services.db.select().from(recipients).where(eq(recipients.envelopeId, envelopeId));
    const olga = rs.find((r) => r.party === 'company')!;
    const marco = rs.find((r) => r.party === 'client')!;
    const who = (r: typeof olga, ip: string) => ({ actor: `recipient:${r.id}`, recipientId: r.id, ip, userAgent: 'UA' });
    await appendAudit(services.db, { portalId, envelopeId, type: 'sent', who: SYSTEM, at: t0 });
    await appendAudit(services.db, { portalId, envelopeId, type: 'signed', who: who(olga, '198.51.100.4'), at: at(5), data: { method: 'typed', inPortal: { userId: 7, name: 'Olga Smirnova', memberId: 'm1', domain: 'acme.bitrix24.com', review: 'opened' } } });
    await appendAudit(services.db, { portalId, envelopeId, type: 'code_sent', who: who(marco, '203.0.113.9'), at: at(15), data: { channel: 'email' } });
    await appendAudit(services.db, { portalId, envelopeId, type: 'code_verified', who: who(marco, '203.0.113.9'), at: at(17) });
    await appendAudit(services.db, { portalId, envelopeId, type: 'signed', who: who(marco, '203.0.113.9'), at: at(20), data: { method: 'drawn' } });
    await recordSealedDocument(services.db, {
      id: 'doc_ident', portalId, envelopeId, publicId: 'B24S-IDNT-0000-0001', sha256: 'c'.repeat(64), title: 'Lease',
      parties: [], development: true, timestamped: false, sealedAt: at(21), retentionUntil: retentionUntil(at(21), 5), sizeBytes: 4,
    });
  }, 120_000);
  afterAll(async () => {
    await services?.testDb.close();
  });

  it('names the Bitrix24 user and portal, or the masked address the code went to, with time and IP', async () => {
    const audit = await sealedDocumentAudit(services.db, 'B24S-IDNT-0000-0001');
    expect(audit).not.toBeNull();
    // The envelope's source hash stands in when the seal was not appended to the original.
    expect(audit!.originalSha256).toBe('b'.repeat(64));
    expect(audit!.parties).toEqual([
      { name: 'Olga Smirnova', role: 'signer', party: 'company', action: 'signed', at: at(5).toISOString(), ip: '198.51.100.4', via: 'bitrix24', b24UserId: 7, portal: 'acme.bitrix24.com' },
      { name: 'Marco Bianchi', role: 'signer', party: 'client', action: 'signed', at: at(20).toISOString(), ip: '203.0.113.9', via: 'email_code', maskedEmail: 'ma•••@buyer.example', codeConfirmedAt: at(17).toISOString() },
    ]);
    // Never the full address, the user agent or the in-portal member id.
    const text = JSON.stringify(audit);
    expect(text).not.toContain('marco@');
    expect(text).not.toContain('olga.smirnova@');
    expect(text).not.toContain('UA');
    expect(text).not.toContain('m1');
  });

  it('unknown public id: nothing; stored file only when its hash is the record’s', async () => {
    expect(await sealedDocumentAudit(services.db, 'B24S-NONE-0000-0000')).toBeNull();
    // The seeded envelope's stored bytes have another hash than the record: no file for the link.
    expect(await storedSealedFile(services, 'c'.repeat(64))).toBeNull();
    expect(await storedSealedFile(services, 'not-a-hash')).toBeNull();
  });
});
