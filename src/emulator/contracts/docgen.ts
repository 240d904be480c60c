/** Document generator (b24restdocs api-reference/crm/document-generator/). Scope `crm`, as the pages say. */
import { z } from 'zod';
import { contract, documented, zFilter, zId, zInt, zPhpArray, zSelect, zStart } from './types.js';

const zDocId = z.union([z.number(), z.string()]);
const zDocument = z.looseObject({ id: zDocId, title: z.string(), number: z.string(), templateId: zDocId });
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
    result: z.looseObject({ documents: z.array(z.looseObject({ id: zDocId })) }),
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
    result: z.looseObject({ document: zDocument }),
    errors: documented('crm.documentgenerator.document.add'),
  }),
];
