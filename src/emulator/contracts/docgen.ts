/** Document generator (b24restdocs api-reference/crm/document-generator/). Scope `crm`, as the pages say. */
import { z } from 'zod';
import { contract, documented, zFilter, zId, zInt, zPhpArray, zSelect, zStart } from './types.js';

const zDocId = z.union([z.number(), z.string()]);
/** The pages' examples: ids as strings in get/list; add answers `id` and `createdBy` as numbers. */
const docFields = { title: z.string(), number: z.string(), templateId: z.string(), entityTypeId: z.string(), entityId: z.string() };
const zDocument = z.looseObject({ id: z.string(), createdBy: z.string(), ...docFields });
const zAddedDocument = z.looseObject({ id: z.number(), createdBy: z.number(), ...docFields });
const page = (p: string) => `b24restdocs api-reference/crm/document-generator/${p}.md`;

export const docgenContracts = [
  contract({
    method: 'crm.documentgenerator.template.list',
    source: [page('templates/crm-document-generator-template-list')],
    scope: ['crm'],
    params: z.looseObject({ select: zSelect.optional(), order: zFilter.optional(), filter: zFilter.optional(), start: zStart.optional() }),
    result: z.looseObject({ templates: z.union([z.record(z.string(), z.looseObject({ id: zDocId, name: z.string() })), z.array(z.never())]) }),
    errors: documented('crm.documentgenerator.template.list'),
  }),
  contract({
    method: 'crm.documentgenerator.document.list',
    source: [page('documents/crm-document-generator-document-list')],
    scope: ['crm'],
    params: z.looseObject({ select: zSelect.optional(), order: zFilter.optional(), filter: zFilter.optional(), start: zStart.optional() }),
    result: z.looseObject({ documents: z.array(z.looseObject({ id: z.string() })) }),
    errors: documented('crm.documentgenerator.document.list'),
  }),
  contract({
    method: 'crm.documentgenerator.document.get',
    source: [page('documents/crm-document-generator-document-get')],
    scope: ['crm'],
    params: z.looseObject({ id: zId.optional() }),
    result: z.looseObject({ document: zDocument }),
    errors: documented('crm.documentgenerator.document.get'),
  }),
  contract({
    method: 'crm.documentgenerator.document.add',
    source: [page('documents/crm-document-generator-document-add')],
    scope: ['crm'],
    params: z.looseObject({
      templateId: zInt.optional(), entityTypeId: zInt.optional(), entityId: zInt.optional(), values: zPhpArray.optional(),
      stampsEnabled: z.union([zInt, z.boolean()]).optional(), fields: zPhpArray.optional(),
    }),
    result: z.looseObject({ document: zAddedDocument }),
    errors: documented('crm.documentgenerator.document.add'),
  }),
];
