import { and, eq } from 'drizzle-orm';
import { loadBlob, saveBlob } from '../blobs/blobs.js';
import { z } from 'zod';
import { envelopes } from '../db/schema/envelopes.js';
import { sealedDocuments } from '../db/schema/sealed-documents.js';
import { LongTermEvidenceError, type RevocationSource } from '../documents/seal/long-term.js';
import type { SealResult, Sealer } from '../documents/seal/sealer.js';
import { defineJob, enqueueJob, JobPermanentFailure } from '../jobs/queue.js';
import type { DbOrTx } from '../db/client.js';
import { AppError } from '../lib/app-error.js';
import type { Logger } from '../lib/logger.js';
import type { Services } from '../services.js';
import { appendAudit, SYSTEM } from './audit.js';
import { findEnvelope, lockEnvelope } from './internal.js';
import { portalSeal } from '../settings/portal-sealer.js';

/**
 * Long-term evidence in the signing flow (PAdES B-LT/B-LTA, documents/seal/long-term.ts).
 *
 * At completion, right after the seal and before anything is stored, `withLongTermEvidence` asks
 * the sealer for the DSS and the document timestamp. When that fails — an OCSP responder or CRL
 * server down, a TSA outage — the document is NOT held back: the B-T seal is stored and sent as
 * usual, the `sealed` audit event says why it is B-T (`longTermDeferred`), and one
 * `signing.long-term` job is queued in the same transaction. That job retries with the queue's
 * backoff (up to LONG_TERM_ATTEMPTS, about a day); on success it replaces the stored file by the
 * B-LTA one (the B-T file is its byte-identical prefix), keeps the B-T hash findable on the verify
 * door (sealed_documents.earlier_sha256) and records `long_term_added`. A failure retrying cannot
 * fix (a revoked certificate, a certificate naming no OCSP/CRL URL) records `long_term_failed` and
 * ends the job; the document stays a valid B-T seal. Found at sealing time, such a failure is recorded
 * in the `sealed` event (`longTermRefused`) and no job is queued.
 */
export const LONG_TERM_ATTEMPTS = 20;

export type PadesLevel = 'B-B' | 'B-T' | 'B-LTA';

export interface SealEvidence extends SealResult {
  padesLevel: PadesLevel;
  /** Why long-term evidence is not there yet; a retry may help (the caller queues the job). */
  deferred?: string;
  /** Why long-term evidence cannot be added to this seal at all (retrying cannot help). */
  refused?: string;
  sources?: RevocationSource[];
}

export async function withLongTermEvidence(sealer: Sealer, sealed: SealResult, logger?: Logger): Promise<SealEvidence> {
  if (!sealer.timestamped) return { ...sealed, padesLevel: 'B-B' };
  if (!sealer.longTerm) return { ...sealed, padesLevel: 'B-T' };
  try {
    // A copy: a failure half-way must leave the B-T bytes exactly as sealed.
    const lt = await sealer.longTerm(new Uint8Array(sealed.bytes));
    return { bytes: lt.bytes, sha256: lt.sha256, padesLevel: 'B-LTA', sources: lt.validation.sources };
  } catch (e) {
    if (!(e instanceof AppError) || (e.code !== 'LTV_UNAVAILABLE' && e.code !== 'TSA_UNAVAILABLE')) throw e;
    const transient = e.code === 'TSA_UNAVAILABLE' || (e instanceof LongTermEvidenceError && e.transient);
    logger?.warn({ err: e, code: e.code, transient }, transient ? 'long-term evidence deferred: the document is sealed at B-T and the step will be retried' : 'long-term evidence impossible for this seal: the document stays B-T');
    return { ...sealed, padesLevel: 'B-T', ...(transient ? { deferred: e.message } : { refused: e.message }) };
  }
}

/** Queued with the B-T seal, in the same transaction, when `withLongTermEvidence` deferred. */
export function queueLongTermRetry(tx: DbOrTx, p: { portalId: string; envelopeId: string; fromSha256: string }) {
  return enqueueJob(tx, longTermJob, { envelopeId: p.envelopeId, fromSha256: p.fromSha256 }, {
    portalId: p.portalId,
    dedupeKey: `long-term:${p.envelopeId}:${p.fromSha256}`,
    maxAttempts: LONG_TERM_ATTEMPTS,
  });
}

export async function runLongTermRetry(services: Services, p: { portalId: string; envelopeId: string; fromSha256: string }): Promise<'added' | 'not-needed'> {
  const env = await findEnvelope(services.db, p.portalId, p.envelopeId);
  if (!env.sealedPdfKey || env.sealedSha256 !== p.fromSha256) return 'not-needed';
  // The portal's TSA when it set one (src/settings/portal-sealer.ts); the evidence needs no key, only the TSA.
  const { sealer } = await portalSeal(services, p.portalId);
  if (!sealer.longTerm) throw new JobPermanentFailure('long-term evidence needs TSA_URL, which is no longer set');
  let lt;
  try {
    lt = await sealer.longTerm(await loadBlob(services, { portalId: p.portalId, key: env.sealedPdfKey }));
  } catch (e) {
    if (e instanceof LongTermEvidenceError && !e.transient) {
      await services.db.transaction(async (tx) => {
        await lockEnvelope(tx, p.portalId, p.envelopeId);
        await appendAudit(tx, { portalId: p.portalId, envelopeId: p.envelopeId, type: 'long_term_failed', who: SYSTEM, at: services.clock.now(), data: { sha256: p.fromSha256, reason: e.message } });
      });
      throw new JobPermanentFailure(e.message, { cause: e });
    }
    // Transient (a responder, a CRL server or the TSA): the queue retries with backoff.
    throw e;
  }
  const sealedPdfKey = await saveBlob(services, { portalId: p.portalId, kind: 'sealed', bytes: lt.bytes, contentType: 'application/pdf' });
  return services.db.transaction(async (tx) => {
    const locked = await lockEnvelope(tx, p.portalId, p.envelopeId);
    if (locked.sealedSha256 !== p.fromSha256) return 'not-needed' as const;
    await tx
      .update(envelopes)
      .set({ sealedPdfKey, sealedSha256: lt.sha256 })
      .where(and(eq(envelopes.portalId, p.portalId), eq(envelopes.id, p.envelopeId)));
    await tx
      .update(sealedDocuments)
      .set({ sha256: lt.sha256, earlierSha256: p.fromSha256, sizeBytes: lt.bytes.length, updatedAt: services.clock.now() })
      .where(and(eq(sealedDocuments.portalId, p.portalId), eq(sealedDocuments.envelopeId, p.envelopeId), eq(sealedDocuments.sha256, p.fromSha256)));
    await appendAudit(tx, {
      portalId: p.portalId,
      envelopeId: p.envelopeId,
      type: 'long_term_added',
      who: SYSTEM,
      at: services.clock.now(),
      data: { fromSha256: p.fromSha256, sha256: lt.sha256, bytes: lt.bytes.length, padesLevel: 'B-LTA', sources: lt.validation.sources },
    });
    return 'added' as const;
  });
}

export const longTermJob = defineJob('signing.long-term', z.object({ envelopeId: z.string(), fromSha256: z.string() }), async (payload, job, ctx) => {
  await runLongTermRetry(ctx.services, { portalId: job.portalId!, envelopeId: payload.envelopeId, fromSha256: payload.fromSha256 });
});
