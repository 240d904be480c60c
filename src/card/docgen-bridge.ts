import { requestDocgenPdf } from '../documents/docgen.js';
import { getPdfBytes } from '../documents/templates/repo.js';
import { AppError } from '../lib/app-error.js';
import type { Bitrix24Client } from '../bitrix24/types.js';
import type { Services } from '../services.js';
import type { DocgenDocument } from './proposal.js';

type Row = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** How often the page asks again while Bitrix24 converts (its own advice is ~30–40 s in total). */
export const DOCGEN_RETRY_SECONDS = 5;

function toDocument(d: Row): DocgenDocument {
  return {
    id: Number(d.id),
    title: str(d.title) || `#${str(d.id)}`,
    number: str(d.number) || null,
    createdAt: str(d.createTime) || null,
    pdfReady: Boolean(d.pdfId || d.pdfUrl || d.pdfUrlMachine),
    failed: d.isTransformationError === true || d.isTransformationError === 'Y',
  };
}

/** The item's generated documents, newest first (the placement passes only the item, never a document). */
export async function readDocgenDocuments(client: Bitrix24Client, p: { entityTypeId: number; entityId: number }): Promise<DocgenDocument[]> {
  const res = await client.call<{ documents?: Row[] }>('crm.documentgenerator.document.list', {
    filter: { entityTypeId: p.entityTypeId, entityId: p.entityId },
    order: { id: 'DESC' },
  });
  return (res?.documents ?? []).filter((d) => Number(d.entityTypeId) === p.entityTypeId && Number(d.entityId) === p.entityId).map(toDocument);
}

export type DocgenPdf = { ready: false; retryAfterSeconds: number } | { ready: true; pdf: Uint8Array; uploadId: string };

/**
 * One generated document's PDF, fetched the documents module's way: a pdf_files row and a job that
 * waits out Bitrix24's conversion, downloads from the portal host only and checks the file like an
 * upload. The card asks again until the row is ready. The document id comes from the browser, so it
 * is first checked against Bitrix24's own record: it must belong to the item the card is open on.
 */
export async function fetchDocgenPdf(
  services: Pick<Services, 'db' | 'ids' | 'clock' | 'blobs'>,
  /** The reader's client (the user's own token): Bitrix24 shows the document only to those who may see it. */
  client: Bitrix24Client,
  p: { portalId: string; entityTypeId: number; entityId: number; documentId: number; userId?: number },
): Promise<DocgenPdf> {
  const res = await client.call<{ document?: Row }>('crm.documentgenerator.document.get', { id: p.documentId });
  const d = res?.document;
  if (!d || Number(d.entityTypeId) !== p.entityTypeId || Number(d.entityId) !== p.entityId) throw new AppError('NOT_FOUND', 'This document does not belong to this CRM item.');
  if (d.isTransformationError === true || d.isTransformationError === 'Y') {
    throw new AppError('BITRIX24_ERROR', str(d.transformationErrorMessage) || 'Bitrix24 could not convert the document to PDF.');
  }
  const row = await requestDocgenPdf(services.db, services.ids, { portalId: p.portalId, documentId: String(p.documentId), userId: p.userId, now: services.clock.now() });
  if (row.status === 'ready') return { ready: true, pdf: await getPdfBytes(services, { portalId: p.portalId, id: row.id }), uploadId: row.id };
  if (row.status === 'failed') throw new AppError('BITRIX24_ERROR', row.error ?? 'The PDF could not be fetched from Bitrix24.');
  // Converted already: the job is about to download it. Otherwise Bitrix24 needs its half minute.
  return { ready: false, retryAfterSeconds: d.pdfUrlMachine ? 2 : DOCGEN_RETRY_SECONDS };
}
