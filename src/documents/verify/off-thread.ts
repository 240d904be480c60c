import { AppError } from '../../lib/app-error.js';
import { OFF_THREAD_FULL, type OffThread } from '../../lib/off-thread.js';
import type { SealedDocumentSummary } from './sealed-documents.js';
import { verdictOf, type AnalyseOptions, type SignatureAnalysis, type VerifyResult } from './verifier.js';

/**
 * `verifyPdf` for files from the public: the byte-level work (scan, hashing, CMS and chain checks)
 * runs off the main thread bounded by time and heap (the off-thread port: src/entry/verify-worker.mjs on Node), so one upload can never stall
 * the event loop that serves signing, robots and health checks. The record look-up and the verdict
 * stay here, where the database is.
 */
export interface OffThreadOptions extends AnalyseOptions {
  lookupBySha256?: (sha256Hex: string) => Promise<SealedDocumentSummary | null>;
  offThread: OffThread;
}

export async function verifyPdfOffThread(bytes: Uint8Array, opts: OffThreadOptions): Promise<VerifyResult> {
  const own = new Uint8Array(bytes); // a compact copy, moved (not copied again) to the worker
  const data = { bytes: own, trustRoots: [...opts.trustRoots], ownCertificates: opts.ownCertificates ? [...opts.ownCertificates] : undefined, now: opts.now };
  const out = await opts.offThread.run<SignatureAnalysis>('verify', data, { transfer: [own.buffer] });
  if (out === OFF_THREAD_FULL) throw new AppError('SERVICE_UNAVAILABLE', 'Too many documents are being checked right now; try again in a minute.', { retryAfterSeconds: 30 });
  if (!out.ok) {
    if (out.reason === 'error') throw new Error(`verification failed: ${out.detail}`);
    const why = {
      timeout: 'checking it took longer than allowed',
      memory: 'checking it needed more memory than allowed',
      stack: 'its structure is nested too deeply',
      crashed: `the checker stopped unexpectedly (${out.detail})`,
    }[out.reason];
    throw new AppError('PDF_TOO_COMPLEX', `This file could not be checked within our limits (${why}).`, { reason: out.reason });
  }
  const analysis = out.value;
  const record = analysis.isPdf && opts.lookupBySha256 ? await opts.lookupBySha256(analysis.sha256) : null;
  return verdictOf(analysis, record);
}
