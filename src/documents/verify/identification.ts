import { and, asc, eq } from 'drizzle-orm';
import { loadBlob } from '../../blobs/blobs.js';
import type { Services } from '../../services.js';
import type { DbOrTx } from '../../db/client.js';
import { auditEvents } from '../../db/schema/audit-events.js';
import { envelopes } from '../../db/schema/envelopes.js';
import { recipients } from '../../db/schema/recipients.js';
import { sealedDocuments } from '../../db/schema/sealed-documents.js';
import { maskEmail } from '../../signing/flow.js';

/**
 * How each party of a sealed document was identified, read from the envelope's audit record
 * (the sealed_documents row the verify door already found names the envelope). For the public door:
 *   - `email_code`: a one-time code sent to an e-mail address, shown masked (as the signer saw it);
 *   - `bitrix24`: signed inside Bitrix24 as user N of portal P (the verified frame's record);
 * with the time and IP of the signing itself. Never the full address, the user agent or any token.
 */
export interface PartyIdentification {
  name: string;
  role: string;
  party: string;
  action: 'signed' | 'approved';
  at: string;
  ip: string | null;
  via: 'email_code' | 'bitrix24' | 'unknown';
  /** `email_code`: the address the code went to, masked; and when the code was confirmed. */
  maskedEmail?: string;
  codeConfirmedAt?: string;
  /** `bitrix24`: the Bitrix24 user id and portal domain the frame vouched for. */
  b24UserId?: number;
  portal?: string;
}

export interface SealedDocumentAudit {
  /** SHA-256 of the document as uploaded or generated, before any signature, mark or seal. */
  originalSha256: string | null;
  parties: PartyIdentification[];
}

export async function sealedDocumentAudit(db: DbOrTx, publicId: string): Promise<SealedDocumentAudit | null> {
  const [doc] = await db
    .select({ portalId: sealedDocuments.portalId, envelopeId: sealedDocuments.envelopeId, originalSha256: sealedDocuments.originalSha256 })
    .from(sealedDocuments)
    .where(eq(sealedDocuments.publicId, publicId))
    .limit(1);
  if (!doc) return null;
  const [env] = await db
    .select({ sourceSha256: envelopes.sourceSha256 })
    .from(envelopes)
    .where(and(eq(envelopes.portalId, doc.portalId), eq(envelopes.id, doc.envelopeId)))
    .limit(1);
  const people = await db.select({ id: recipients.id, name: recipients.name, email: recipients.email, role: recipients.role, party: recipients.party }).from(recipients)
    .where(and(eq(recipients.portalId, doc.portalId), eq(recipients.envelopeId, doc.envelopeId)));
  const events = await db
    .select({ type: auditEvents.type, recipientId: auditEvents.recipientId, at: auditEvents.at, ip: auditEvents.ip, data: auditEvents.data })
    .from(auditEvents)
    .where(and(eq(auditEvents.portalId, doc.portalId), eq(auditEvents.envelopeId, doc.envelopeId)))
    .orderBy(asc(auditEvents.seq));

  const parties: PartyIdentification[] = [];
  for (const [i, e] of events.entries()) {
    if ((e.type !== 'signed' && e.type !== 'approved') || !e.recipientId) continue;
    const who = people.find((p) => p.id === e.recipientId);
    if (!who) continue;
    const base = { name: who.name, role: who.role, party: who.party, action: e.type, at: e.at.toISOString(), ip: e.ip ?? null } as const;
    const inPortal = (e.data as { inPortal?: { userId?: unknown; domain?: unknown } } | null)?.inPortal;
    if (inPortal && typeof inPortal.userId === 'number') {
      parties.push({ ...base, via: 'bitrix24', b24UserId: inPortal.userId, ...(typeof inPortal.domain === 'string' && inPortal.domain ? { portal: inPortal.domain } : {}) });
      continue;
    }
    const code = events.slice(0, i).findLast((x) => x.type === 'code_verified' && x.recipientId === who.id);
    parties.push(code && who.email ? { ...base, via: 'email_code', maskedEmail: maskEmail(who.email), codeConfirmedAt: code.at.toISOString() } : { ...base, via: 'unknown' });
  }
  return { originalSha256: doc.originalSha256 ?? env?.sourceSha256 ?? null, parties };
}

/**
 * The sealed file's bytes for a shareable result link (/v/<sha256>): the envelope's stored copy when
 * it is exactly the file with this hash (a later B-LT file has another hash: then null).
 */
export async function storedSealedFile(services: Pick<Services, 'db' | 'blobs'>, sha256Hex: string): Promise<Uint8Array | null> {
  const key = sha256Hex.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(key)) return null;
  const [row] = await services.db
    .select({ portalId: sealedDocuments.portalId, pdf: envelopes.sealedPdfKey, sha: envelopes.sealedSha256, own: sealedDocuments.storageKey })
    .from(sealedDocuments)
    .leftJoin(envelopes, and(eq(envelopes.portalId, sealedDocuments.portalId), eq(envelopes.id, sealedDocuments.envelopeId)))
    .where(eq(sealedDocuments.sha256, key))
    .limit(1);
  if (!row) return null;
  if (row.own) return loadBlob(services, { portalId: row.portalId, key: row.own });
  return row.pdf && row.sha === key ? loadBlob(services, { portalId: row.portalId, key: row.pdf }) : null;
}
