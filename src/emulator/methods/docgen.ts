/**
 * Document generator (reference §8): template.list (`result.templates` keyed by id), document.list /
 * get / add. `pdfUrl`/`imageUrl` stay absent until `pdfDelayMs` after creation (asynchronous
 * conversion). Machine URLs point at `/rest/crm.documentgenerator.document.get{pdf,image,file}` and
 * carry the caller's `auth` plus a per-document `token`, as real ones do.
 */
import { asObject, param, RestError, type MethodCtx, type MethodTable } from '../envelope.js';
import { matches, page, sortRows } from '../list.js';
import { documentPdf } from '../pdf.js';
import { hex } from '../random.js';
import type { EmulatorState } from '../state.js';
import type { DocumentRecord, Portal, Row, TemplateRecord } from '../types.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

function templateView(st: EmulatorState, portal: Portal, t: TemplateRecord): Row {
  const origin = st.hosts.portalUri(portal.domain);
  return {
    id: String(t.id), name: t.name, region: t.region, code: t.code, active: t.active, moduleId: 'crm', numeratorId: t.numeratorId,
    withStamps: t.withStamps, isDeleted: 'N', sort: String(t.sort), createTime: iso(t.createdAt), updateTime: iso(t.createdAt),
    users: ['UA'], entityTypeId: t.entityTypeId,
    download: `${origin}/bitrix/services/main/ajax.php?action=documentgenerator.api.template.download&id=${t.id}`,
    downloadMachine: `${st.hosts.clientEndpoint(portal.domain)}documentgenerator.template.download?id=${t.id}`,
  };
}

export function pdfReady(st: EmulatorState, d: DocumentRecord): boolean {
  return st.now() >= d.createdAt + st.opts.pdfDelayMs;
}

function documentView(ctx: MethodCtx, d: DocumentRecord, reply: 'get' | 'add'): Row {
  const { st, portal } = ctx;
  const ready = pdfReady(st, d);
  const origin = st.hosts.portalUri(portal.domain);
  const browser = (action: string) => `${origin}/bitrix/services/main/ajax.php?action=crm.documentgenerator.document.${action}&SITE_ID=s1&id=${d.id}`;
  const rest = (m: string) => `${st.hosts.clientEndpoint(portal.domain)}crm.documentgenerator.document.${m}?auth=${ctx.token.token}&token=documentgenerator%7C${d.downloadToken}&id=${d.id}`;
  // Types as the pages' examples print them: document.get/list give every id as a string; document.add
  // gives `id` and `createdBy` as numbers, the rest as strings (b24restdocs crm-document-generator-document-{get,add}.md).
  const num = (v: number | string) => (reply === 'get' ? String(v) : Number(v));
  const v: Row = {
    id: num(d.id), title: d.title, number: d.number, templateId: String(d.templateId), entityTypeId: String(d.entityTypeId), entityId: String(d.entityId),
    createTime: iso(d.createdAt), updateTime: iso(d.createdAt), createdBy: num(d.createdBy), updatedBy: null,
    stampsEnabled: d.stampsEnabled, values: d.values, fileId: d.id * 10, downloadUrl: browser('download'),
    publicUrl: null, pullTag: `TRANSFORMDOCUMENT${d.id}`, emailDiskFile: d.id * 10 + 3, isTransformationError: false,
    products: { currencyId: 'RUB', totalSum: 0, totalRows: 0 },
  };
  if (ready) {
    Object.assign(v, { pdfId: d.id * 10 + 1, imageId: d.id * 10 + 2, pdfUrl: browser('getPdf'), imageUrl: browser('getImage') });
  }
  // The add example carries downloadUrlMachine too; pdf/image machine URLs appear once converted.
  {
    v.downloadUrlMachine = rest('getfile');
    if (ready) Object.assign(v, { pdfUrlMachine: rest('getpdf'), imageUrlMachine: rest('getimage') });
  }
  return v;
}

function docFilter(d: Row, filter: Row): boolean {
  return matches(d, filter);
}

export const docgenMethods: MethodTable = {
  'crm.documentgenerator.template.list': {
    scope: ['crm'],
    handler: (ctx) => {
      const filter = { ...asObject(param(ctx.params, 'filter')) };
      const types = filter.entityTypeId;
      delete filter.entityTypeId;
      let rows = [...ctx.portal.templates.values()].map((t) => templateView(ctx.st, ctx.portal, t));
      if (types !== undefined) {
        const want = (Array.isArray(types) ? types : [types]).map(String);
        rows = rows.filter((r) => (r.entityTypeId as string[]).some((t) => want.includes(t) || want.includes(t.split('_')[0]!)));
      }
      rows = sortRows(rows.filter((r) => docFilter(r, filter)), asObject(param(ctx.params, 'order')));
      const p = page(rows, param(ctx.params, 'start'));
      return { result: { templates: Object.fromEntries(p.items.map((r) => [String(r.id), r])) }, total: p.total, next: p.next };
    },
  },
  'crm.documentgenerator.document.list': {
    scope: ['crm'],
    handler: (ctx) => {
      const filter = asObject(param(ctx.params, 'filter'));
      const rows = sortRows(
        [...ctx.portal.documents.values()].map((d) => documentView(ctx, d, 'get')).filter((r) => docFilter(r, filter)),
        Object.keys(asObject(param(ctx.params, 'order'))).length ? asObject(param(ctx.params, 'order')) : { id: 'ASC' },
      );
      const p = page(rows, param(ctx.params, 'start'));
      return { result: { documents: p.items }, total: p.total, next: p.next };
    },
  },
  'crm.documentgenerator.document.get': {
    scope: ['crm'],
    handler: (ctx) => {
      const d = ctx.portal.documents.get(Number(param(ctx.params, 'id')));
      // Code "0" and this text (b24restdocs crm-document-generator-document-get.md, error table).
      if (!d) throw new RestError(400, '0', 'Document not found');
      return { result: { document: documentView(ctx, d, 'get') } };
    },
  },
  'crm.documentgenerator.document.add': {
    scope: ['crm'],
    handler: (ctx) => {
      const templateId = Number(param(ctx.params, 'templateId'));
      const entityTypeId = Number(param(ctx.params, 'entityTypeId'));
      const entityId = Number(param(ctx.params, 'entityId'));
      const t = ctx.portal.templates.get(templateId);
      // Codes and texts from the error table of b24restdocs crm-document-generator-document-add.md.
      if (!(entityTypeId > 0)) throw new RestError(400, '0', 'No provider for entityTypeId');
      if (!(entityId > 0)) throw new RestError(400, '0', 'Empty required parameter "value"');
      if (!t) throw new RestError(400, '0', 'Template not found');
      const id = Math.max(0, ...ctx.portal.documents.keys()) + 1;
      const d: DocumentRecord = {
        id, title: `${t.name} № ${1000 + id}`, number: String(1000 + id), templateId, entityTypeId, entityId, createdAt: ctx.st.now(),
        createdBy: ctx.token.userId, stampsEnabled: String(param(ctx.params, 'stampsEnabled') ?? '0') === '1',
        values: { ...asObject(param(ctx.params, 'values')), _creationMethod: 'rest' }, downloadToken: hex(8),
      };
      ctx.portal.documents.set(id, d);
      return { result: { document: documentView(ctx, d, 'add') } };
    },
  },
};

/**
 * GET of a machine URL (`…document.getpdf?auth=…&token=…&id=…`) or a browser URL. Without browser-like
 * headers the real nginx answers 404 (reference §3.1); so does the emulator unless told otherwise.
 */
export async function downloadDocument(st: EmulatorState, req: Request, portal: Portal, kind: 'pdf' | 'image' | 'file', authOk: boolean): Promise<Response> {
  const url = new URL(req.url);
  if (st.opts.strictDownloadHeaders && (!req.headers.get('user-agent') || !req.headers.get('referer'))) {
    return new Response('<html><body><h1>404 Not Found</h1></body></html>', {
      status: 404, headers: { 'content-type': 'text/html', 'x-emulator-reason': 'machine URLs need User-Agent, Accept, Accept-Language and Referer (reference 3.1)' },
    });
  }
  if (!authOk) return Response.json({ error: 'invalid_token', error_description: 'The access token provided is invalid.' }, { status: 401 });
  const d = portal.documents.get(Number(url.searchParams.get('id')));
  const tokenParam = url.searchParams.get('token');
  if (!d || (tokenParam !== null && tokenParam !== `documentgenerator|${d.downloadToken}`)) return new Response('Not found', { status: 404 });
  if (kind !== 'file' && !pdfReady(st, d)) return new Response('Not found', { status: 404 });
  const bytes = await documentPdf(portal.memberId, d);
  return new Response(new Uint8Array(bytes), {
    headers: { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="document-${d.number}.pdf"` },
  });
}
