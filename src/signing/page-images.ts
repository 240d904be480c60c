import { and, asc, eq } from 'drizzle-orm';
import { loadBlob, saveBlobs } from '../blobs/blobs.js';
import type { Services } from '../services.js';
import { z } from 'zod';
import type { DbOrTx } from '../db/client.js';
import { envelopePages } from '../db/schema/envelope-pages.js';
import { envelopes } from '../db/schema/envelopes.js';
import { defineJob, JobPermanentFailure } from '../jobs/queue.js';
import { OFF_THREAD_FULL, type OffThread } from '../lib/off-thread.js';
import { isEnvelopeFinal } from './states.js';

/**
 * The signing page shows the document as images made once per envelope, when it is sent: a phone
 * then loads one small picture per page instead of pdf.js (1.7 MB) and the PDF, and draws nothing
 * itself. Two widths: 800 px fills a phone's column at 2× density, 1240 px serves 3× screens and the
 * one-tap zoom (1 CSS px per point, so 9 pt text shows at 9 CSS px). Until the images exist (the job
 * has not run yet) the page falls back to pdf.js.
 */
export const PAGE_IMAGE_WIDTHS = [800, 1240] as const;
export const PAGE_IMAGES_KIND = 'signing.page-images';
/** A (rare) longer document gets no images: its signing page draws it with pdf.js, all of it. */
export const PAGE_IMAGES_MAX_PAGES = 60;

export interface PageImage {
  page: number;
  px: number;
  widthPt: number;
  heightPt: number;
  type: string;
  image: Uint8Array;
}

type WorkerReply = { ok: true; pageCount: number; pages: PageImage[] } | { ok: false; detail: string };

/** Draws `pdf`'s pages (up to PAGE_IMAGES_MAX_PAGES) at PAGE_IMAGE_WIDTHS off the main thread (the off-thread port; one at a time on Node). */
export async function renderPageImages(pdf: Uint8Array, offThread: OffThread): Promise<PageImage[]> {
  const bytes = new Uint8Array(pdf);
  const out = await offThread.run<WorkerReply>('page-images', { bytes, widths: [...PAGE_IMAGE_WIDTHS], maxPages: PAGE_IMAGES_MAX_PAGES }, { transfer: [bytes.buffer] });
  if (out === OFF_THREAD_FULL) throw new Error('page images: the renderer queue is full');
  if (!out.ok) throw new Error(`page images: the renderer stopped (${out.reason}: ${out.detail})`);
  if (!out.value.ok) throw new JobPermanentFailure(`page images: pdf.js cannot draw this PDF (${out.value.detail})`);
  return out.value.pages;
}

/** The envelope's stored page images without their bytes, in page order (empty until the job ran). */
export async function pageImageList(db: DbOrTx, portalId: string, envelopeId: string) {
  const rows = await db
    .select({ page: envelopePages.page, px: envelopePages.px, widthPt: envelopePages.widthPt, heightPt: envelopePages.heightPt })
    .from(envelopePages)
    .where(and(eq(envelopePages.portalId, portalId), eq(envelopePages.envelopeId, envelopeId)))
    .orderBy(asc(envelopePages.page), asc(envelopePages.px));
  const pages: { page: number; widthPt: number; heightPt: number; px: number[] }[] = [];
  for (const r of rows) {
    const last = pages.at(-1);
    if (last?.page === r.page) last.px.push(r.px);
    else pages.push({ page: r.page, widthPt: r.widthPt, heightPt: r.heightPt, px: [r.px] });
  }
  return pages;
}

export async function pageImage(services: Pick<Services, 'db' | 'blobs'>, portalId: string, envelopeId: string, page: number, px: number): Promise<{ type: string; image: Uint8Array } | undefined> {
  const [row] = await services.db
    .select({ type: envelopePages.type, key: envelopePages.imageKey })
    .from(envelopePages)
    .where(and(eq(envelopePages.portalId, portalId), eq(envelopePages.envelopeId, envelopeId), eq(envelopePages.page, page), eq(envelopePages.px, px)));
  return row && { type: row.type, image: await loadBlob(services, { portalId, key: row.key }) };
}

/**
 * Renders and stores the images of one envelope's source PDF; a retry replaces what an earlier try
 * left. They live as long as the signer links: revokeAllLinks (end of the envelope) deletes them.
 */
export async function makePageImages(services: Pick<Services, 'db' | 'blobs' | 'clock' | 'ids' | 'offThread'>, portalId: string, envelopeId: string): Promise<number> {
  const { db } = services;
  const [env] = await db.select({ key: envelopes.sourcePdfKey, status: envelopes.status }).from(envelopes).where(and(eq(envelopes.portalId, portalId), eq(envelopes.id, envelopeId)));
  // An envelope that ended before the job ran has no links left to show them.
  if (!env?.key || isEnvelopeFinal(env.status)) return 0;
  const pages = await renderPageImages(await loadBlob(services, { portalId, key: env.key }), services.offThread);
  const keys = await saveBlobs(services, portalId, pages.map((p) => ({ kind: 'page' as const, bytes: p.image, contentType: p.type })));
  const rows = pages.map(({ image: _image, ...p }, n) => ({ portalId, envelopeId, ...p, imageKey: keys[n]! }));
  // The images an earlier try stored are no longer named once this commits; the blob sweep removes them.
  await db.transaction(async (tx) => {
    await tx.delete(envelopePages).where(and(eq(envelopePages.portalId, portalId), eq(envelopePages.envelopeId, envelopeId)));
    if (rows.length) await tx.insert(envelopePages).values(rows);
  });
  return pages.length;
}

export const pageImagesJob = defineJob(PAGE_IMAGES_KIND, z.object({ envelopeId: z.string() }), async (payload, job, ctx) => {
  await makePageImages(ctx.services, job.portalId!, payload.envelopeId);
});
