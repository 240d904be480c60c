/**
 * CRM reads: classic crm.{deal,lead,contact,company}.get/list (UPPER_CASE rows, legacy empty-code errors),
 * crm.item.get (camelCase), crm.deal.contact.items.get, crm.status.list, requisites
 * (b24restdocs api-reference/crm/…).
 *
 * Read rights: with a user's own token Bitrix24 refuses a record outside the user's CRM role with the
 * page's documented error, and the emulator does the same (src/emulator/rights.ts): crm.deal.get /
 * crm.contact.get / crm.company.get / crm.lead.get answer 400 with an empty code and "Access denied"
 * (api-reference/crm/deals/crm-deal-get.md, "Empty value | Access denied | The user does not have
 * permission to read this deal"; same row on the contact, company and lead pages), crm.item.get 400
 * ACCESS_DENIED "You do not have permission to view this item" (api-reference/crm/universal/crm-item-get.md),
 * crm.deal.contact.items.get 400 "Access denied." (its page); *.list leave the rows out.
 */
import { z } from 'zod';
import { contract, documented, zFilter, zId, zInt, zRows, zSelect, zStart, type MethodContract } from './types.js';

const PAGES: Record<string, string> = { deal: 'deals/crm-deal', lead: 'leads/crm-lead', contact: 'contacts/crm-contact', company: 'companies/crm-company' };
const LEGACY_ID = { code: '', status: 400, message: 'ID is not defined or invalid.' };

const listParams = z.looseObject({
  select: zSelect.optional(),
  filter: zFilter.optional(),
  order: zFilter.optional(),
  start: zStart.optional(),
});

function classic(kind: string): MethodContract[] {
  const page = (op: string) => `b24restdocs api-reference/crm/${PAGES[kind]}-${op}.md`;
  return [
    contract({
      method: `crm.${kind}.get`, source: [page('get')], scope: ['crm'],
      // "ID is not defined or invalid": id missing or not a positive integer.
      params: z.looseObject({ id: zId }),
      refuse: { id: LEGACY_ID },
      result: z.looseObject({ ID: z.string() }),
      errors: documented(`crm.${kind}.get`),
      unlisted: [{ code: '', status: 400, message: 'Not found', why: 'crm.lead.get page gives no status; the other three pages say 400' }],
    }),
    contract({
      method: `crm.${kind}.list`, source: [page('list')], scope: ['crm'],
      params: listParams,
      // "Parameter 'order'/'filter' must be array" for a non-array (deal/contact/company pages).
      refuse: {
        filter: { code: '', status: 400, message: "Parameter 'filter' must be array." },
        order: { code: '', status: 400, message: "Parameter 'order' must be array." },
      },
      result: zRows,
      errors: documented(`crm.${kind}.list`),
      unlisted: kind === 'lead' ? [
        { code: '', status: 400, message: "Parameter 'filter' must be array.", why: 'crm-lead-list.md lists only Access denied; the deal/contact/company pages document this one' },
        { code: '', status: 400, message: "Parameter 'order' must be array.", why: 'as above' },
      ] : [],
    }),
  ];
}

export const crmContracts = [
  ...['deal', 'lead', 'contact', 'company'].flatMap(classic),
  contract({
    method: 'crm.item.get',
    source: ['b24restdocs api-reference/crm/universal/crm-item-get.md'],
    scope: ['crm'],
    params: z.looseObject({ entityTypeId: zInt.optional(), id: zInt.optional(), useOriginalUfNames: z.enum(['Y', 'N']).optional() }),
    result: z.looseObject({ item: z.looseObject({ id: z.number(), entityTypeId: z.number().optional() }) }),
    errors: documented('crm.item.get'),
  }),
  contract({
    method: 'crm.deal.contact.items.get',
    source: ['b24restdocs api-reference/crm/deals/contacts/crm-deal-contact-items-get.md'],
    scope: ['crm'],
    params: z.looseObject({ id: zId }),
    refuse: { id: { code: '', status: 400, message: 'The parameter ownerEntityID is invalid or not defined.' } },
    result: z.array(z.looseObject({ CONTACT_ID: z.number(), SORT: z.number(), ROLE_ID: z.number(), IS_PRIMARY: z.enum(['Y', 'N']) })),
    errors: documented('crm.deal.contact.items.get'),
    unlisted: [{ code: '', status: 400, message: 'Not found', why: 'the page documents "Not found." with the trailing dot' }],
  }),
  contract({
    method: 'crm.status.list',
    source: ['b24restdocs api-reference/crm/status/crm-status-list.md'],
    scope: ['crm'],
    params: z.looseObject({ order: zFilter.optional(), filter: zFilter.optional() }),
    result: z.array(z.looseObject({ ID: z.string(), ENTITY_ID: z.string(), STATUS_ID: z.string(), NAME: z.string() })),
    // The page's error example puts the text in `error` ("Invalid parameters."), unlike its own table.
    errors: [...documented('crm.status.list'), { code: 'Invalid parameters.', status: 400, message: 'Incorrect parameters passed.' }],
  }),
  contract({
    method: 'crm.requisite.list',
    source: ['b24restdocs api-reference/crm/requisites/universal/crm-requisite-list.md'],
    scope: ['crm'],
    params: listParams,
    result: zRows,
    errors: documented('crm.requisite.list'),
  }),
  contract({
    method: 'crm.requisite.bankdetail.list',
    source: ['b24restdocs api-reference/crm/requisites/bank-detail/crm-requisite-bank-detail-list.md'],
    scope: ['crm'],
    params: listParams,
    result: zRows,
    errors: documented('crm.requisite.bankdetail.list'),
  }),
  contract({
    method: 'crm.requisite.link.get',
    source: ['b24restdocs api-reference/crm/requisites/links/crm-requisite-link-get.md'],
    scope: ['crm'],
    params: z.looseObject({ entityTypeId: zId, entityId: zId }),
    refuse: {
      entityTypeId: { code: '', status: 400, message: 'entityTypeId is not defined or invalid' },
      entityId: { code: '', status: 400, message: 'entityId is not defined or invalid' },
    },
    result: z.looseObject({
      ENTITY_TYPE_ID: z.union([z.number(), z.string()]), ENTITY_ID: z.union([z.number(), z.string()]),
      REQUISITE_ID: z.string(), BANK_DETAIL_ID: z.string(), MC_REQUISITE_ID: z.string(), MC_BANK_DETAIL_ID: z.string(),
    }),
    errors: documented('crm.requisite.link.get'),
  }),
];

