import { and, eq } from 'drizzle-orm';
import { loadBlob } from '../blobs/blobs.js';
import type { Services } from '../services.js';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { envelopes } from '../db/schema/envelopes.js';
import { extractTimestampTokens } from '../documents/timestamp-tokens.js';
import { AppError } from '../lib/app-error.js';
import { listAudit, verifyChainRows } from './audit.js';
import { sha256Hex } from './hashing.js';

/**
 * The evidence package of a sealed envelope: one ZIP an auditor can check with standard tools
 * (`sha256sum -c`, `openssl ts -verify`, any JSON reader) without trusting this app.
 *
 *   sealed.pdf                    the sealed document, byte for byte as stored
 *   original.pdf                  the document as uploaded or generated, before any mark or seal
 *   hashes.txt                    SHA-256 of both, in `sha256sum` format
 *   audit.json                    the audit trail with its hash chain (schema in the README)
 *   timestamps/<name>.tsr         each RFC 3161 token in the sealed PDF, as a TimeStampResp
 *   timestamps/<name>.sig         the signature value a signature timestamp stamps (`-data` input)
 *
 * The original is included because `hashes.txt` names it (so `sha256sum -c` checks every line)
 * and because, for a sealed upload, it is a byte-identical prefix of the sealed file: whoever holds
 * the package can show both without asking us.
 */
export const EVIDENCE_AUDIT_FORMAT = 'b24-sign.audit/1';

export async function buildEvidencePackage(services: Pick<Services, 'db' | 'blobs'>, p: { portalId: string; envelopeId: string }): Promise<{ filename: string; zip: Uint8Array }> {
  const { db } = services;
  const [env] = await db
    .select({
      id: envelopes.id,
      publicId: envelopes.publicId,
      title: envelopes.title,
      sourcePdfKey: envelopes.sourcePdfKey,
      sourceSha256: envelopes.sourceSha256,
      sealedPdfKey: envelopes.sealedPdfKey,
      sealedSha256: envelopes.sealedSha256,
      sealedAt: envelopes.sealedAt,
      auditHead: envelopes.auditHead,
      auditCount: envelopes.auditCount,
    })
    .from(envelopes)
    .where(and(eq(envelopes.portalId, p.portalId), eq(envelopes.id, p.envelopeId)));
  if (!env) throw new AppError('NOT_FOUND', 'No such envelope.');
  if (!env.sealedPdfKey || !env.sourcePdfKey) throw new AppError('CONFLICT', 'The envelope has no sealed PDF yet.');
  const sealed = await loadBlob(services, { portalId: p.portalId, key: env.sealedPdfKey });
  const original = await loadBlob(services, { portalId: p.portalId, key: env.sourcePdfKey });

  const rows = await listAudit(db, { portalId: p.portalId, envelopeId: env.id });
  const chain = await verifyChainRows(rows, { head: env.auditHead, count: env.auditCount });
  const audit = {
    format: EVIDENCE_AUDIT_FORMAT,
    envelope: { id: env.id, publicId: env.publicId, title: env.title, sourceSha256: env.sourceSha256, sealedSha256: env.sealedSha256, sealedAt: env.sealedAt?.toISOString() ?? null },
    chain: { ...chain, recordedHead: env.auditHead, recordedCount: env.auditCount },
    // The portal is ours to know, not the auditor's; it is not part of the hashed content.
    events: rows.map((r) => ({
      seq: r.seq,
      envelopeId: r.envelopeId,
      type: r.type,
      actor: r.actor,
      recipientId: r.recipientId,
      ip: r.ip,
      userAgent: r.userAgent,
      at: r.at.toISOString(),
      data: r.data,
      prevHash: r.prevHash,
      hash: r.hash,
    })),
  };

  // Hashed here from the bytes shipped, not copied from the row: hashes.txt must describe the files.
  const hashes = `${await sha256Hex(original)}  original.pdf\n${await sha256Hex(sealed)}  sealed.pdf\n`;
  // PDFs and tokens are stored, not deflated: their streams are compressed already, and deflating
  // 2 × 10 MB in JS took 1–5 s on this machine against ~0.25 s to store (CRC only).
  const files: Zippable = {
    'sealed.pdf': [sealed, { level: 0 }],
    'original.pdf': [original, { level: 0 }],
    'hashes.txt': strToU8(hashes),
    'audit.json': strToU8(`${JSON.stringify(audit, null, 2)}\n`),
  };
  for (const t of extractTimestampTokens(sealed)) {
    files[`timestamps/${t.name}.tsr`] = [t.tsr, { level: 0 }];
    if (t.stamped) files[`timestamps/${t.name}.sig`] = [t.stamped, { level: 0 }];
  }
  const mtime = env.sealedAt ?? new Date();
  return { filename: `${env.publicId}-evidence.zip`, zip: zipSync(files, { level: 6, mtime }) };
}
