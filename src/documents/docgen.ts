import { and, eq } from 'drizzle-orm';
import { saveBlob } from '../blobs/blobs.js';
import { z } from 'zod';
import { Bitrix24Error } from '../bitrix24/types.js';
import type { DbOrTx } from '../db/client.js';
import { portals } from '../db/schema/portals.js';
import { pdfFiles, type PdfFile } from '../db/schema/templates.js';
import { AppError, isAppError } from '../lib/app-error.js';
import { defineJob, enqueueJob, JobPermanentFailure, JobRetryLater } from '../jobs/queue.js';
import type { Services } from '../services.js';
import { inspectUpload, uploadLimitsFrom } from './upload.js';

/**
 * PDFs of Bitrix24 document-generator documents. Bitrix24 converts DOCX to PDF asynchronously:
 * `pdfUrl` is missing for 30–40 s after a document is created (bitrix24.md §8). So a request only
 * records a `pending` pdf_files row and enqueues a job; the job asks again with growing pauses, then
 * downloads, checks the file like an upload, and marks the row `ready` or `failed`.
 */

/** Pause after a "not converted yet" answer, by tens of seconds waited so far: 10 s, 15 s, 20 s … capped at 60 s. */
export const DOCGEN_RETRY_MS = (n: number) => Math.min(60_000, 10_000 + 5_000 * n);
/** After this long without a PDF the row fails with a message the user can act on. */
export const DOCGEN_MAX_WAIT_MS = 10 * 60_000;

const ZPayload = z.object({ portalId: z.string().min(1), fileId: z.string().min(1), documentId: z.string().regex(/^\d{1,12}$/) });
export type DocgenPayload = z.infer<typeof ZPayload>;

/** Starts (or joins) the fetch of one document's PDF; never waits for Bitrix24. */
export async function requestDocgenPdf(db: DbOrTx, ids: Services['ids'], p: { portalId: string; documentId: string; userId?: number; now: Date }): Promise<PdfFile> {
  const inserted = await db
    .insert(pdfFiles)
    .values({ id: ids.newId('upl'), portalId: p.portalId, origin: 'docgen', originRef: p.documentId, status: 'pending', createdByUserId: p.userId })
    .onConflictDoNothing()
    .returning();
  let row = inserted[0];
  if (!row) {
    [row] = await db
      .select()
      .from(pdfFiles)
      .where(and(eq(pdfFiles.portalId, p.portalId), eq(pdfFiles.origin, 'docgen'), eq(pdfFiles.originRef, p.documentId)));
    if (!row) throw new AppError('INTERNAL', 'The document-generator file row vanished.');
    if (row.status !== 'failed') return row;
    // A failed fetch asked again: start over (a new job; dedupe keys are never reused).
    [row] = await db
      .update(pdfFiles)
      .set({ status: 'pending', error: null, errorCode: null, updatedAt: p.now })
      .where(and(eq(pdfFiles.portalId, p.portalId), eq(pdfFiles.id, row.id)))
      .returning();
  }
  await enqueueJob(db, docgenFetchJob, { portalId: p.portalId, fileId: row!.id, documentId: p.documentId }, {
    portalId: p.portalId,
    dedupeKey: `docgen:${row!.id}:${row!.updatedAt.getTime()}`,
    orderKey: `docgen:${row!.id}`,
  });
  return row!;
}

type DocgenDocument = { pdfUrlMachine?: string; isTransformationError?: boolean; transformationErrorMessage?: string; title?: string; number?: string };

async function markFailed(db: DbOrTx, p: DocgenPayload, code: string, message: string) {
  await db
    .update(pdfFiles)
    .set({ status: 'failed', errorCode: code, error: message.slice(0, 500), updatedAt: new Date() })
    .where(and(eq(pdfFiles.portalId, p.portalId), eq(pdfFiles.id, p.fileId)));
}

/** Browser-like headers: without them Bitrix24's nginx answers 404 to machine URLs (bitrix24.md §3.1). */
function downloadHeaders(portalOrigin: string): Record<string, string> {
  return {
    'user-agent': 'Mozilla/5.0 (compatible; b24-sign/0.1; +document fetch)',
    accept: 'application/pdf,*/*;q=0.8',
    'accept-language': 'en,ru;q=0.8,it;q=0.7',
    referer: `${portalOrigin}/`,
  };
}

/** Reads a body up to `max` bytes; more is refused without buffering it all. */
async function readCapped(res: Response, max: number): Promise<Uint8Array | null> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.byteLength;
  }
  return out;
}

/**
 * One attempt. Throws JobRetryLater while Bitrix24 is still converting; marks the row failed for
 * anything retrying cannot fix; throws plain errors for transient trouble (the queue backs off).
 */
export async function fetchDocgenPdf(
  services: Pick<Services, 'db' | 'bitrix24' | 'config' | 'fetch' | 'clock' | 'offThread' | 'blobs' | 'ids'>,
  p: DocgenPayload,
  ctx: { startedAt: Date; signal?: AbortSignal },
): Promise<'ready' | 'failed'> {
  const { db } = services;
  const [file] = await db.select({ status: pdfFiles.status }).from(pdfFiles).where(and(eq(pdfFiles.portalId, p.portalId), eq(pdfFiles.id, p.fileId)));
  if (!file) throw new JobPermanentFailure(`pdf file ${p.fileId} does not exist`);
  if (file.status === 'ready') return 'ready';

  const [portal] = await db.select({ clientEndpoint: portals.clientEndpoint, status: portals.status }).from(portals).where(eq(portals.id, p.portalId));
  if (!portal || portal.status === 'uninstalled') {
    await markFailed(db, p, 'PORTAL_GONE', 'The portal is not installed any more.');
    return 'failed';
  }

  let doc: DocgenDocument;
  try {
    const res = await services.bitrix24.forPortal(p.portalId).call<{ document?: DocgenDocument }>('crm.documentgenerator.document.get', { id: Number(p.documentId) });
    doc = res.document ?? {};
  } catch (e) {
    // Bitrix24 answers a missing document with code "0" or "" and the text "Document not found", and a
    // foreign one with DOCGEN_ACCESS_ERROR (b24restdocs crm-document-generator-document-get.md).
    if (e instanceof Bitrix24Error && (/NOT_FOUND|ACCESS_DENIED|DOCGEN_ACCESS_ERROR/i.test(e.code) || /document not found/i.test(e.description))) {
      await markFailed(db, p, 'DOCGEN_DOCUMENT_NOT_FOUND', `Bitrix24 has no document ${p.documentId} for this app (${e.code}).`);
      return 'failed';
    }
    if (e instanceof Bitrix24Error && e.details.retryAt) throw new JobRetryLater(e.details.retryAt, e.code);
    throw e;
  }

  if (doc.isTransformationError) {
    await markFailed(db, p, 'DOCGEN_TRANSFORMATION_FAILED', `Bitrix24 could not convert the document to PDF${doc.transformationErrorMessage ? `: ${doc.transformationErrorMessage}` : '.'}`);
    return 'failed';
  }
  const now = services.clock.now();
  const waited = now.getTime() - ctx.startedAt.getTime();
  const notYet = async (why: string): Promise<'failed'> => {
    if (waited >= DOCGEN_MAX_WAIT_MS) {
      await markFailed(db, p, 'DOCGEN_PDF_TIMEOUT', `Bitrix24 did not produce the PDF within ${DOCGEN_MAX_WAIT_MS / 60_000} minutes (${why}). Try again later.`);
      return 'failed';
    }
    // Retry-later attempts are not counted by the queue, so the pause grows with the time waited.
    throw new JobRetryLater(new Date(now.getTime() + DOCGEN_RETRY_MS(Math.floor(waited / 10_000))), why);
  };
  if (!doc.pdfUrlMachine) return notYet('pdfUrlMachine not there yet');

  // The URL comes from Bitrix24's answer; still, only ever send it to the portal's own host.
  const endpoint = new URL(portal.clientEndpoint);
  let url: URL;
  try {
    url = new URL(doc.pdfUrlMachine);
  } catch {
    await markFailed(db, p, 'DOCGEN_BAD_URL', 'Bitrix24 returned an unusable PDF link.');
    return 'failed';
  }
  if (url.host !== endpoint.host || (url.protocol !== endpoint.protocol && !(url.protocol === 'https:' && endpoint.protocol === 'http:'))) {
    await markFailed(db, p, 'DOCGEN_BAD_URL', `The PDF link points to ${url.host}, not to the portal.`);
    return 'failed';
  }

  const res = await services.fetch(url, { headers: downloadHeaders(endpoint.origin), redirect: 'error', signal: ctx.signal });
  // 404 while converting, 401 when the token in the link has expired: ask for a fresh link later.
  if (res.status === 404 || res.status === 401) return notYet(`download answered ${res.status}`);
  if (!res.ok) throw new Error(`PDF download answered HTTP ${res.status}`);
  const bytes = await readCapped(res, services.config.UPLOAD_MAX_BYTES);
  if (!bytes) {
    await markFailed(db, p, 'PDF_TOO_LARGE', `The generated PDF is larger than ${(services.config.UPLOAD_MAX_BYTES / 1024 / 1024).toFixed(1)} MB.`);
    return 'failed';
  }
  try {
    const info = await inspectUpload(bytes, uploadLimitsFrom(services.config), services.offThread);
    const blobKey = await saveBlob(services, { portalId: p.portalId, kind: 'file', bytes, contentType: 'application/pdf' });
    await db
      .update(pdfFiles)
      .set({ status: 'ready', blobKey, size: bytes.byteLength, sha256: info.sha256, pageCount: info.pageCount, info, filename: doc.title ? `${doc.title}.pdf`.slice(0, 255) : null, error: null, errorCode: null, updatedAt: now })
      .where(and(eq(pdfFiles.portalId, p.portalId), eq(pdfFiles.id, p.fileId)));
    return 'ready';
  } catch (e) {
    if (isAppError(e)) {
      await markFailed(db, p, e.code, e.message);
      return 'failed';
    }
    throw e;
  }
}

export const docgenFetchJob = defineJob('documents.docgen-pdf', ZPayload, async (payload, job, ctx) => {
  await fetchDocgenPdf(ctx.services, payload, { startedAt: job.createdAt, signal: ctx.signal });
});
