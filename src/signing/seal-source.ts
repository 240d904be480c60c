import type { PDFDocument } from 'pdf-lib';
import { loadBlob } from '../blobs/blobs.js';
import type { Services } from '../services.js';
import type { Envelope } from '../db/schema/envelopes.js';
import { openIncremental, type IncrementalBase } from '../documents/seal/incremental.js';
import { xrefChainIsSound } from '../documents/seal/lazy-pdf.js';
import { and, eq } from 'drizzle-orm';
import { templates } from '../db/schema/templates.js';
import { starterLayout } from '../documents/templates/starters/index.js';
import type { DbOrTx } from '../db/client.js';

/**
 * Which save a finished envelope gets. A PDF we rendered ourselves from a built-in layout is saved
 * once with its seal (nothing of anyone else's to preserve). Any other source (an upload, a
 * document-generator PDF, a PDF sent directly) is an existing file: it is opened with an
 * incremental snapshot so marks, stamps, the certificate page and the seal are appended after its
 * untouched bytes, and holders of the original can prove it is a prefix of the sealed file.
 */
export async function isBuiltInLayout(db: DbOrTx, env: Pick<Envelope, 'portalId' | 'templateId' | 'lang'>): Promise<boolean> {
  if (!env.templateId) return false;
  if (starterLayout(env.templateId, env.lang)) return true;
  // Deleted templates too: envelopes made from them still complete.
  const [t] = await db.select({ source: templates.source }).from(templates).where(and(eq(templates.portalId, env.portalId), eq(templates.id, env.templateId)));
  return t?.source.type === 'builtin';
}

/** The source to render the final document on: bytes (one save) or an opened document plus its snapshot. */
export async function openFinalSource(services: Pick<Services, 'db' | 'blobs'>, env: Envelope): Promise<{ pdf: Uint8Array | PDFDocument; incremental?: IncrementalBase }> {
  const bytes = await loadBlob(services, { portalId: env.portalId, key: env.sourcePdfKey! });
  if (await isBuiltInLayout(services.db, env)) return { pdf: bytes };
  return (await openExisting(bytes)) ?? { pdf: bytes };
}

/**
 * Opens an existing file for incremental editing, or undefined when its cross-reference chain is
 * broken (pdf-lib's own scan tolerates that; an update pointing back at it should not): such a file
 * keeps the one-save path rather than failing.
 */
export async function openExisting(bytes: Uint8Array): Promise<{ pdf: PDFDocument; incremental: IncrementalBase } | undefined> {
  if (!xrefChainIsSound(bytes)) return undefined;
  const { doc, base } = await openIncremental(bytes);
  return { pdf: doc, incremental: base };
}
