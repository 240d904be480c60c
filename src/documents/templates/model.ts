import { z } from 'zod';
import { LANGS } from '../../i18n/index.js';

/**
 * A template is what a document is made from: a kind, a language, a source and fields.
 *
 * Sources:
 * - `builtin`: one of our starter layouts (sales contract, invoice, NDA), rendered with pdf-lib;
 * - `upload`: a PDF the portal uploaded (stored in pdf_files), fields placed on it by page and box;
 * - `docgen`: a Bitrix24 document-generator template; each document's PDF is made by Bitrix24 for the
 *   CRM item and fetched by a job (docgen.ts), then treated like an upload.
 */
export const TEMPLATE_KINDS = ['contract', 'invoice', 'act', 'nda', 'offer', 'other'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export const ZTemplateSource = z.discriminatedUnion('type', [
  z.object({ type: z.literal('builtin'), layout: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/) }),
  z.object({ type: z.literal('upload'), fileId: z.string().regex(/^upl_[A-Za-z0-9]{1,40}$/) }),
  z.object({ type: z.literal('docgen'), templateId: z.string().regex(/^\d{1,12}$/) }),
]);
export type TemplateSource = z.infer<typeof ZTemplateSource>;

export const ZTemplateKind = z.enum(TEMPLATE_KINDS);
export const ZTemplateLang = z.enum(LANGS);
