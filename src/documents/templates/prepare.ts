import type { Template } from '../../db/schema/templates.js';
import { AppError } from '../../lib/app-error.js';
import type { Lang } from '../../i18n/index.js';
import type { Services } from '../../services.js';
import type { Bitrix24Client } from '../../bitrix24/types.js';
import { itemUnreadable, readCrmData, valuesFromCrm, type CrmData, type CrmRef } from '../crm-data.js';
import { isMarkField, toCanonical, type FieldDef, type FieldValues } from '../fields.js';
import { renderDocument, type Placement, type RenderInput, type RenderResult } from '../render.js';
import { getPdfBytes, getTemplate } from './repo.js';
import { starterLayout } from './starters/index.js';

/**
 * Template + CRM item (+ the sender's own values) → a rendered, unsaved document. This is what the
 * card, the robot and the preview call; CRM data costs exactly one batch request.
 */
export interface PrepareParams {
  portalId: string;
  template: Template | string;
  crm?: CrmRef;
  /** Values the sender typed; they win over CRM data. */
  values?: FieldValues;
  /** Defaults to the template's language. */
  lang?: Lang;
  /** For document-generator templates: the pdf_files row the docgen job fetched for this item. */
  pdfFileId?: string;
  placeholders?: boolean;
  /** Who reads the CRM: the user's own client for a preview someone asked for; the app's token otherwise. */
  crmClient?: Bitrix24Client;
}

export interface Prepared {
  template: Template;
  values: FieldValues;
  crm?: CrmData;
  result: RenderResult;
}

export async function renderInputFor(services: Pick<Services, 'db' | 'blobs'>, template: Template, p: { pdfFileId?: string; lang: Lang }): Promise<Pick<RenderInput, 'layout' | 'pdf'>> {
  const { source } = template;
  if (source.type === 'builtin') {
    const layout = starterLayout(source.layout, p.lang);
    if (!layout) throw new AppError('VALIDATION_FAILED', `Unknown built-in layout ${source.layout}.`);
    return { layout };
  }
  const fileId = source.type === 'upload' ? source.fileId : p.pdfFileId;
  if (!fileId) {
    throw new AppError('CONFLICT', 'This template is made by the Bitrix24 document generator: create the document for the CRM item first; its PDF is fetched in the background.');
  }
  return { pdf: await getPdfBytes(services, { portalId: template.portalId, id: fileId }) };
}

export async function prepareDocument(services: Pick<Services, 'db' | 'bitrix24' | 'clock' | 'blobs'>, p: PrepareParams): Promise<Prepared> {
  const template = typeof p.template === 'string' ? await getTemplate(services.db, { portalId: p.portalId, id: p.template }) : p.template;
  if (template.portalId !== p.portalId) throw new AppError('NOT_FOUND', 'No such template.');
  const lang = p.lang ?? template.language;
  let crm: CrmData | undefined;
  let values: FieldValues = {};
  if (p.crm) {
    crm = await readCrmData(p.crmClient ?? services.bitrix24.forPortal(p.portalId), p.crm);
    if (p.crmClient && itemUnreadable(crm)) throw new AppError('NOT_FOUND', 'No such CRM item, or you may not see it in Bitrix24.');
    values = valuesFromCrm(template.fields, crm, { today: services.clock.now(), lang });
  }
  values = { ...values, ...(p.values ?? {}) };
  const input = await renderInputFor(services, template, { pdfFileId: p.pdfFileId, lang });
  const result = await renderDocument({ ...input, fields: template.fields, values, lang, placeholders: p.placeholders });
  return { template, values, crm, result };
}

/** The envelope's frozen field shape (src/db/schema/envelopes.ts EnvelopeField), restated to keep this module independent. */
export interface PlacedField {
  key: string;
  type: FieldDef['type'];
  label?: string;
  page: number;
  box: { x: number; y: number; w: number; h: number };
  party: FieldDef['party'];
  required: boolean;
  defaultValue?: string;
}

/**
 * The fields recipients still fill after rendering, with their page and box: every signature,
 * initials and stamp, plus boxed company/client fields of an uploaded PDF. Sender fields are already
 * printed into the document. A mark placed on several pages (initials) becomes one field per page,
 * keyed `<key>_p<page+1>` after the first.
 */
export function recipientFields(fields: readonly FieldDef[], placements: readonly Placement[], values: FieldValues = {}): PlacedField[] {
  const out: PlacedField[] = [];
  for (const f of fields) {
    if (f.party === 'sender' && !isMarkField(f.type)) continue;
    const spots = placements.filter((p) => p.key === f.key);
    spots.forEach((spot, i) => {
      const dv = toCanonical(f.type, values[f.key] ?? f.defaultValue);
      out.push({
        key: i === 0 ? f.key : `${f.key}_p${spot.page + 1}`,
        type: f.type,
        label: f.label,
        page: spot.page,
        box: spot.box,
        party: f.party,
        required: f.required,
        ...(dv !== null && !isMarkField(f.type) ? { defaultValue: dv } : {}),
      });
    });
  }
  return out;
}
