import { and, eq } from 'drizzle-orm';
import { portals } from '../../src/db/schema/portals.js';
import { AppError } from '../../src/http/errors.js';
import type { Services } from '../../src/services.js';
import type { DocgenDocument } from './proposal.js';

type Row = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** Bitrix24's advice: re-`get` after ~30–40 s; we ask the page to come back sooner and more often. */
export const DOCGEN_RETRY_SECONDS = 8;

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
export async function readDocgenDocuments(services: Pick<Services, 'bitrix24'>, p: { portalId: string; entityTypeId: number; entityId: number }): Promise<DocgenDocument[]> {
  const client = services.bitrix24.forPortal(p.portalId);
  const res = await client.call<{ documents?: Row[] }>('crm.documentgenerator.document.list', {
    filter: { entityTypeId: p.entityTypeId, entityId: p.entityId },
    order: { id: 'DESC' },
  });
  return (res?.documents ?? []).filter((d) => Number(d.entityTypeId) === p.entityTypeId && Number(d.entityId) === p.entityId).map(toDocument);
}

export type DocgenPdf = { ready: false; retryAfterSeconds: number } | { ready: true; pdf: Uint8Array; uploadId?: string };

/**
 * One generated document's PDF. The document must belong to the item the card is open on: the id
 * comes from the browser, so it is checked against Bitrix24's own record before anything is fetched.
 */
export async function fetchDocgenPdf(services: Pick<Services, 'bitrix24' | 'db' | 'fetch'>, p: { portalId: string; entityTypeId: number; entityId: number; documentId: number }): Promise<DocgenPdf> {
  const client = services.bitrix24.forPortal(p.portalId);
  const res = await client.call<{ document?: Row }>('crm.documentgenerator.document.get', { id: p.documentId });
  const d = res?.document;
  if (!d || Number(d.entityTypeId) !== p.entityTypeId || Number(d.entityId) !== p.entityId) throw new AppError('NOT_FOUND', 'This document does not belong to this CRM item.');
  if (d.isTransformationError === true || d.isTransformationError === 'Y') {
    throw new AppError('BITRIX24_ERROR', str(d.transformationErrorMessage) || 'Bitrix24 could not convert the document to PDF.');
  }
  const url = str(d.pdfUrlMachine);
  if (!url) return { ready: false, retryAfterSeconds: DOCGEN_RETRY_SECONDS };
  const [portal] = await services.db.select({ clientEndpoint: portals.clientEndpoint }).from(portals).where(and(eq(portals.id, p.portalId)));
  if (!portal) throw new AppError('NOT_FOUND', 'Unknown portal.');
  const origin = new URL(portal.clientEndpoint).origin;
  // The URL carries the portal's token: never follow it anywhere but the portal itself.
  if (new URL(url).origin !== origin) throw new AppError('BITRIX24_ERROR', 'Bitrix24 returned a download link on another host.');
  // Signed download links answer 404 without browser-like headers (reference §3.1).
  const r = await services.fetch(url, {
    headers: { 'User-Agent': 'Mozilla/5.0 (compatible; b24-sign)', Accept: 'application/pdf,*/*', 'Accept-Language': 'en', Referer: `${origin}/` },
    redirect: 'error',
  });
  if (r.status === 404) return { ready: false, retryAfterSeconds: DOCGEN_RETRY_SECONDS };
  if (!r.ok) throw new AppError('BITRIX24_ERROR', `Bitrix24 answered ${r.status} to the PDF download.`);
  const pdf = new Uint8Array(await r.arrayBuffer());
  if (!new TextDecoder('latin1').decode(pdf.subarray(0, 1024)).includes('%PDF-')) return { ready: false, retryAfterSeconds: DOCGEN_RETRY_SECONDS };
  return { ready: true, pdf };
}
