import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { requestDocgenPdf } from '../documents/docgen.js';
import { ZFieldDefs } from '../documents/fields.js';
import { renderDocument, type RenderResult } from '../documents/render.js';
import { ZTemplateKind, ZTemplateLang, ZTemplateSource } from '../documents/templates/model.js';
import { prepareDocument } from '../documents/templates/prepare.js';
import {
  createTemplate,
  deleteTemplate,
  getPdfFileMeta,
  getTemplate,
  listTemplates,
  publicPdfFile,
  publicTemplate,
  storePdfFile,
  updateTemplate,
} from '../documents/templates/repo.js';
import { listStarters, starterLayout } from '../documents/templates/starters/index.js';
import { inspectUpload, uploadLimitsFrom } from '../documents/upload.js';
import { crmClientFor } from '../http/crm-client.js';
import { AppError } from '../http/errors.js';
import { jsonBody } from '../http/json-body.js';
import { requireSession, type SessionEnv } from '../http/session.js';
import { starterIdOf, starterTemplate } from '../card/templates-bridge.js';
import { accessOf, requireRole } from '../http/require-role.js';
import { demand } from '../roles/policy.js';

/**
 * Templates API for CRM users (session-authenticated JSON, scoped to the session's portal):
 * list/create/update/delete templates, upload a PDF, set fields, preview filled from a CRM item.
 */
const ZCrm = z.object({ entityTypeId: z.number().int().positive(), entityId: z.number().int().positive() });
const ZValues = z.record(z.string(), z.union([z.string().max(20_000), z.number(), z.boolean(), z.null()]));

const ZCreate = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  kind: ZTemplateKind.optional(),
  language: ZTemplateLang,
  source: ZTemplateSource,
  fields: z.array(z.unknown()).max(500).optional(),
});
const ZPatch = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  kind: ZTemplateKind.optional(),
  language: ZTemplateLang.optional(),
  fields: z.array(z.unknown()).max(500).optional(),
});
const ZPreview = z.object({ crm: ZCrm.optional(), values: ZValues.optional(), lang: ZTemplateLang.optional(), pdfFileId: z.string().max(64).optional() });

/** Field arrays are validated by the domain (ZFieldDefs) so messages name the field; here only the shape. */
const asFields = (v: unknown[] | undefined) => v as z.input<typeof ZFieldDefs> | undefined;

/** PDF back to the caller; `Accept: application/json` gets the report and the PDF in base64 (the editor uses both). */
async function pdfResponse(c: Context, result: RenderResult) {
  // One uninterrupted save: pdf-lib otherwise yields to the event loop with a timer every 50 objects.
  const bytes = await result.doc.save({ useObjectStreams: true, objectsPerTick: Number.POSITIVE_INFINITY });
  const report = { pageCount: result.pageCount, placements: result.placements, overflows: result.overflows, warnings: result.warnings };
  if ((c.req.header('accept') ?? '').includes('application/json')) {
    return c.json({ ...report, pdfBase64: Buffer.from(bytes).toString('base64') });
  }
  const keys = (list: Array<{ key: string }>) => [...new Set(list.map((o) => o.key))].join(',').slice(0, 1000);
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: {
      'content-type': 'application/pdf',
      'content-disposition': 'inline; filename="preview.pdf"',
      'cache-control': 'no-store',
      'x-render-pages': String(result.pageCount),
      'x-render-overflows': keys(result.overflows),
      'x-render-warnings': keys(result.warnings),
    },
  });
}

export const templateRoutes = new Hono<SessionEnv>();

templateRoutes.use('/api/templates', requireSession);
templateRoutes.use('/api/templates/*', requireSession);

templateRoutes.get('/api/templates', requireRole('sender'), async (c) => {
  const kind = c.req.query('kind');
  const parsedKind = kind ? ZTemplateKind.safeParse(kind) : undefined;
  if (parsedKind && !parsedKind.success) throw new AppError('VALIDATION_FAILED', 'kind: unknown template kind');
  const rows = await listTemplates(c.var.services.db, { portalId: c.var.session.portalId, kind: parsedKind?.data });
  return c.json({ templates: rows.map(publicTemplate), starters: listStarters() });
});

templateRoutes.get('/api/templates/starters', requireRole('sender'), (c) => c.json({ starters: listStarters() }));

/** A starter filled with sample or given values, before any template exists. */
templateRoutes.post('/api/templates/starters/:id/preview', requireRole('sender'), async (c) => {
  const body = await jsonBody(c, ZPreview);
  const lang = body.lang ?? c.var.session.lang;
  const layout = starterLayout(c.req.param('id'), lang);
  if (!layout) throw new AppError('NOT_FOUND', 'No such starter layout.');
  const result = await renderDocument({ layout, values: body.values ?? {}, lang, placeholders: true });
  return pdfResponse(c, result);
});

templateRoutes.post('/api/templates/uploads', requireRole('sender'), async (c) => {
  const { services, session } = c.var;
  const { bytes, filename } = await readPdfBody(c);
  const info = await inspectUpload(bytes, uploadLimitsFrom(services.config), services.offThread);
  const file = await storePdfFile(services, { portalId: session.portalId, origin: 'upload', filename, bytes, info, userId: session.userId });
  return c.json({ file: publicPdfFile(file) }, 201);
});

templateRoutes.get('/api/templates/uploads/:fileId', requireRole('sender'), async (c) => {
  const meta = await getPdfFileMeta(c.var.services.db, { portalId: c.var.session.portalId, id: c.req.param('fileId') });
  return c.json({ file: publicPdfFile(meta) });
});

/** Bitrix24 document-generator templates of the portal, to base a template on (`?entityTypeId=2`). */
templateRoutes.get('/api/templates/docgen/templates', requireRole('sender'), async (c) => {
  const { services, session } = c.var;
  const type = c.req.query('entityTypeId');
  if (type !== undefined && !/^\d{1,6}$/.test(type)) throw new AppError('VALIDATION_FAILED', 'entityTypeId: a number');
  const res = await services.bitrix24.forPortal(session.portalId).call<{ templates?: Record<string, Record<string, unknown>> }>('crm.documentgenerator.template.list', {
    ...(type ? { filter: { entityTypeId: type } } : {}),
  });
  const list = Object.values(res.templates ?? {}).map((t) => ({ id: String(t.id), name: String(t.name ?? ''), region: t.region, entityTypeId: t.entityTypeId }));
  return c.json({ templates: list });
});

/**
 * Starts fetching a document-generator document's PDF (Bitrix24 converts it asynchronously): 202 with a
 * pending file; poll GET /api/templates/uploads/:fileId until it is ready or failed.
 */
templateRoutes.post('/api/templates/docgen/documents/:docId/pdf', requireRole('sender'), async (c) => {
  const { services, session } = c.var;
  const documentId = c.req.param('docId');
  if (!/^\d{1,12}$/.test(documentId)) throw new AppError('VALIDATION_FAILED', 'documentId: a number');
  const row = await requestDocgenPdf(services.db, services.ids, { portalId: session.portalId, documentId, userId: session.userId, now: services.clock.now() });
  return c.json({ file: publicPdfFile(row) }, row.status === 'ready' ? 200 : 202);
});

templateRoutes.post('/api/templates', requireRole('sender'), async (c) => {
  const { services, session } = c.var;
  const body = await jsonBody(c, ZCreate);
  // Adopting a shipped starter is how a sender uses it; a template of one's own is editing templates.
  if (body.source.type !== 'builtin') demand(await accessOf(c), session, 'manager');
  const t = await createTemplate(services.db, services.ids, {
    portalId: session.portalId,
    userId: session.userId,
    input: { ...body, fields: asFields(body.fields) },
  });
  return c.json({ template: publicTemplate(t) }, 201);
});

templateRoutes.get('/api/templates/:id', requireRole('sender'), async (c) => {
  const t = await getTemplate(c.var.services.db, { portalId: c.var.session.portalId, id: c.req.param('id') });
  return c.json({ template: publicTemplate(t) });
});

templateRoutes.patch('/api/templates/:id', requireRole('manager'), async (c) => {
  const { services, session } = c.var;
  const body = await jsonBody(c, ZPatch);
  const t = await updateTemplate(services.db, { portalId: session.portalId, id: c.req.param('id'), patch: { ...body, fields: asFields(body.fields) }, now: services.clock.now() });
  return c.json({ template: publicTemplate(t) });
});

templateRoutes.put('/api/templates/:id/fields', requireRole('manager'), async (c) => {
  const { services, session } = c.var;
  const body = await jsonBody(c, z.object({ fields: z.array(z.unknown()).max(500) }));
  const t = await updateTemplate(services.db, { portalId: session.portalId, id: c.req.param('id'), patch: { fields: asFields(body.fields) }, now: services.clock.now() });
  return c.json({ template: publicTemplate(t) });
});

templateRoutes.delete('/api/templates/:id', requireRole('manager'), async (c) => {
  const { services, session } = c.var;
  await deleteTemplate(services.db, { portalId: session.portalId, id: c.req.param('id'), now: services.clock.now() });
  return c.body(null, 204);
});

templateRoutes.post('/api/templates/:id/preview', requireRole('sender'), async (c) => {
  const { services, session } = c.var;
  const body = await jsonBody(c, ZPreview);
  // A starter the card has not adopted yet (`starter:<layout>`) previews as an unsaved template.
  const layout = starterIdOf(c.req.param('id'));
  const starter = layout === null ? null : starterTemplate({ portalId: session.portalId, layout, lang: body.lang ?? session.lang });
  if (layout !== null && !starter) throw new AppError('NOT_FOUND', 'No such starter layout.');
  const prepared = await prepareDocument(services, {
    portalId: session.portalId,
    template: starter ?? c.req.param('id'),
    crm: body.crm,
    values: body.values ?? {},
    lang: body.lang,
    pdfFileId: body.pdfFileId,
    placeholders: true,
    ...(body.crm ? { crmClient: crmClientFor(services, session) } : {}),
  });
  return pdfResponse(c, prepared.result);
});

/** A PDF as the raw body (`application/pdf`) or as the `file` part of a multipart form. */
async function readPdfBody(c: Context): Promise<{ bytes: Uint8Array; filename?: string }> {
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await c.req.formData().catch(() => {
      throw new AppError('BAD_REQUEST', 'The upload form could not be read.');
    });
    const file = form.get('file');
    if (!file || typeof file === 'string') throw new AppError('BAD_REQUEST', 'Attach the PDF as the "file" field.');
    return { bytes: new Uint8Array(await file.arrayBuffer()), filename: file.name };
  }
  if (type.startsWith('application/pdf') || type.startsWith('application/octet-stream')) {
    const name = c.req.header('x-filename');
    let filename: string | undefined;
    try {
      filename = name ? decodeURIComponent(name) : undefined;
    } catch {
      filename = name;
    }
    return { bytes: new Uint8Array(await c.req.arrayBuffer()), filename };
  }
  throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Upload a PDF as application/pdf or as multipart/form-data.');
}
