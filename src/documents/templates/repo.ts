import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { refuseOverlaps } from '../field-overlap.js';
import { loadBlob, saveBlob, type BlobServices } from '../../blobs/blobs.js';
import type { DbOrTx } from '../../db/client.js';
import { pdfFiles, templates, type PdfFile, type PdfFileOrigin, type Template } from '../../db/schema/templates.js';
import { AppError } from '../../lib/app-error.js';
import type { Lang } from '../../i18n/index.js';
import type { Ids } from '../../lib/ids.js';
import { ZFieldDefs, type FieldDef, type FieldDefInput } from '../fields.js';
import type { PdfInfo } from '../upload.js';
import type { TemplateKind, TemplateSource } from './model.js';
import { templatesChanged } from './changes.js';
import { isStarter, starterLayout } from './starters/index.js';

/** Template and PDF-file queries; every one is scoped by portal. */

export interface TemplateInput {
  name?: string;
  kind?: TemplateKind;
  language: Lang;
  source: TemplateSource;
  /** Omitted for a built-in source: the starter's fields are copied. */
  fields?: FieldDefInput[];
}

export async function listTemplates(db: DbOrTx, p: { portalId: string; kind?: TemplateKind }): Promise<Template[]> {
  const where = [eq(templates.portalId, p.portalId), isNull(templates.deletedAt)];
  if (p.kind) where.push(eq(templates.kind, p.kind));
  return db
    .select()
    .from(templates)
    .where(and(...where))
    // Most recently used first; never-used templates after them, newest first.
    .orderBy(sql`${templates.lastUsedAt} desc nulls last`, desc(templates.updatedAt));
}

export async function getTemplate(db: DbOrTx, p: { portalId: string; id: string }): Promise<Template> {
  const [row] = await db
    .select()
    .from(templates)
    .where(and(eq(templates.portalId, p.portalId), eq(templates.id, p.id), isNull(templates.deletedAt)));
  if (!row) throw new AppError('NOT_FOUND', 'No such template.');
  return row;
}

/** Checks fields against the source: boxes only on pages that exist, marks never on the sender. */
async function checkedFields(db: DbOrTx, portalId: string, source: TemplateSource, language: Lang, input: FieldDefInput[] | undefined): Promise<FieldDef[]> {
  let raw: unknown = input;
  if (raw === undefined) {
    if (source.type === 'builtin') raw = starterLayout(source.layout, language)?.fields ?? [];
    else raw = [];
  }
  const parsed = ZFieldDefs.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', parsed.error.issues.map((i) => `fields.${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const fields = parsed.data;
  if (source.type === 'upload') {
    const file = await getPdfFileMeta(db, { portalId, id: source.fileId });
    const pages = file.pageCount ?? 0;
    for (const f of fields) {
      if (f.page === undefined || !f.box) {
        throw new AppError('VALIDATION_FAILED', `Field ${f.key} needs a page and a box on the uploaded PDF.`);
      }
      if (f.page >= pages) throw new AppError('VALIDATION_FAILED', `Field ${f.key} is on page ${f.page + 1}, but the PDF has ${pages}.`);
    }
    refuseOverlaps(fields, language);
  }
  return fields;
}

async function checkSource(db: DbOrTx, portalId: string, source: TemplateSource): Promise<void> {
  if (source.type === 'builtin' && !isStarter(source.layout)) throw new AppError('VALIDATION_FAILED', `Unknown built-in layout ${source.layout}.`);
  if (source.type === 'upload') {
    const f = await getPdfFileMeta(db, { portalId, id: source.fileId });
    if (f.status !== 'ready') throw new AppError('VALIDATION_FAILED', 'The uploaded PDF is not ready.');
  }
}

export async function createTemplate(db: DbOrTx, ids: Ids, p: { portalId: string; userId?: number; input: TemplateInput }): Promise<Template> {
  const { input } = p;
  await checkSource(db, p.portalId, input.source);
  const starter = input.source.type === 'builtin' ? starterLayout(input.source.layout, input.language) : undefined;
  const fields = await checkedFields(db, p.portalId, input.source, input.language, input.fields);
  const name = input.name?.trim() || starter?.name;
  if (!name) throw new AppError('VALIDATION_FAILED', 'name: required');
  const [row] = await db
    .insert(templates)
    .values({
      id: ids.newId('tpl'),
      portalId: p.portalId,
      name,
      kind: input.kind ?? starter?.kind ?? 'other',
      language: input.language,
      source: input.source,
      fields,
      createdByUserId: p.userId,
    })
    .returning();
  // The robot's "Template" select lists the portal's templates (issue 7): refresh it.
  await templatesChanged(db, { portalId: p.portalId });
  return row!;
}

export async function updateTemplate(
  db: DbOrTx,
  p: { portalId: string; id: string; patch: { name?: string; kind?: TemplateKind; language?: Lang; fields?: FieldDefInput[] }; now: Date },
): Promise<Template> {
  const current = await getTemplate(db, p);
  const language = p.patch.language ?? current.language;
  const fields = p.patch.fields !== undefined ? await checkedFields(db, p.portalId, current.source, language, p.patch.fields) : undefined;
  const [row] = await db
    .update(templates)
    .set({
      ...(p.patch.name !== undefined ? { name: p.patch.name.trim() } : {}),
      ...(p.patch.kind ? { kind: p.patch.kind } : {}),
      ...(p.patch.language ? { language } : {}),
      ...(fields ? { fields } : {}),
      updatedAt: p.now,
    })
    .where(and(eq(templates.portalId, p.portalId), eq(templates.id, p.id), isNull(templates.deletedAt)))
    .returning();
  if (!row) throw new AppError('NOT_FOUND', 'No such template.');
  if (row.name !== current.name) await templatesChanged(db, { portalId: p.portalId, at: p.now });
  return row;
}

/** Soft delete: envelopes made from it still name it. */
export async function deleteTemplate(db: DbOrTx, p: { portalId: string; id: string; now: Date }): Promise<void> {
  const rows = await db
    .update(templates)
    .set({ deletedAt: p.now, updatedAt: p.now })
    .where(and(eq(templates.portalId, p.portalId), eq(templates.id, p.id), isNull(templates.deletedAt)))
    .returning({ id: templates.id });
  if (rows.length === 0) throw new AppError('NOT_FOUND', 'No such template.');
  await templatesChanged(db, { portalId: p.portalId, at: p.now });
}

export async function markTemplateUsed(db: DbOrTx, p: { portalId: string; id: string; at: Date }): Promise<void> {
  await db
    .update(templates)
    .set({ lastUsedAt: p.at })
    .where(and(eq(templates.portalId, p.portalId), eq(templates.id, p.id)));
}

// --------------------------------------------------------------------------------------------------
// PDF files

export async function storePdfFile(
  services: BlobServices,
  p: { portalId: string; origin: PdfFileOrigin; originRef?: string; filename?: string; bytes: Uint8Array; info: PdfInfo; userId?: number },
): Promise<PdfFile> {
  const blobKey = await saveBlob(services, { portalId: p.portalId, kind: 'file', bytes: p.bytes, contentType: 'application/pdf' });
  const [row] = await services.db
    .insert(pdfFiles)
    .values({
      id: services.ids.newId('upl'),
      portalId: p.portalId,
      origin: p.origin,
      originRef: p.originRef,
      status: 'ready',
      filename: p.filename?.slice(0, 255),
      blobKey,
      size: p.bytes.byteLength,
      sha256: p.info.sha256,
      pageCount: p.info.pageCount,
      info: p.info,
      createdByUserId: p.userId,
    })
    .returning();
  return row!;
}

export async function getPdfFileMeta(db: DbOrTx, p: { portalId: string; id: string }): Promise<PdfFile> {
  const [row] = await db
    .select()
    .from(pdfFiles)
    .where(and(eq(pdfFiles.portalId, p.portalId), eq(pdfFiles.id, p.id)));
  if (!row) throw new AppError('NOT_FOUND', 'No such PDF file.');
  return row;
}

export async function getPdfBytes(services: Pick<BlobServices, 'db' | 'blobs'>, p: { portalId: string; id: string }): Promise<Uint8Array> {
  const [row] = await services.db
    .select({ key: pdfFiles.blobKey, status: pdfFiles.status })
    .from(pdfFiles)
    .where(and(eq(pdfFiles.portalId, p.portalId), eq(pdfFiles.id, p.id)));
  if (!row) throw new AppError('NOT_FOUND', 'No such PDF file.');
  if (row.status !== 'ready' || !row.key) throw new AppError('CONFLICT', 'This PDF is not ready yet.');
  return loadBlob(services, { portalId: p.portalId, key: row.key });
}

export const publicTemplate = (t: Template) => ({
  id: t.id,
  name: t.name,
  kind: t.kind,
  language: t.language,
  source: t.source,
  fields: t.fields,
  lastUsedAt: t.lastUsedAt,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
});

export const publicPdfFile = (f: Omit<PdfFile, 'bytes'>) => ({
  id: f.id,
  origin: f.origin,
  status: f.status,
  filename: f.filename,
  size: f.size,
  sha256: f.sha256,
  pageCount: f.pageCount,
  pages: f.info?.pages,
  version: f.info?.version,
  error: f.error,
  errorCode: f.errorCode,
  createdAt: f.createdAt,
});
