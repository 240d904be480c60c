import type { Lang } from '../../../i18n/index.js';
import type { FieldDef } from '../../fields.js';

/** Labels in the three template languages. */
export type L = Record<Lang, string>;

export function field(lang: Lang, def: Omit<FieldDef, 'label' | 'required'> & { label: L; required?: boolean }): FieldDef {
  return { ...def, label: def.label[lang], required: def.required ?? false };
}

/** `field` with the language bound: what every starter's field list is written with. */
export const fieldMaker = (lang: Lang) => (def: Parameters<typeof field>[1]) => field(lang, def);

/** Numbered clauses: a heading then its paragraph, for each [heading, paragraph] pair of texts. */
export function sections(lang: Lang, pairs: Array<[heading: L, paragraph: L]>) {
  return pairs.flatMap(([h, p]) => [
    { kind: 'heading' as const, text: h[lang] },
    { kind: 'paragraph' as const, text: p[lang] },
  ]);
}

/** The closing signature block of a two-party document: our company, then the client. */
export function partySignatures(lang: Lang, headings: { seller: L; buyer: L }, opts: { clientStamp?: boolean } = {}) {
  return {
    kind: 'signatures' as const,
    parties: [
      { heading: headings.seller[lang], lines: ['{{seller_name}}', '{{seller_signatory}}'], signature: 'company_signature', stamp: 'company_stamp' },
      { heading: headings.buyer[lang], lines: ['{{buyer_name}}', '{{buyer_signatory}}'], signature: 'client_signature', ...(opts.clientStamp ? { stamp: 'client_stamp' } : {}) },
    ],
  };
}

/**
 * Party details shared by every starter: our company ("seller"/"discloser") from the MC_* requisite
 * link, the client from the item's company requisite, falling back to the contact for private persons.
 */
export function partyFields(lang: Lang): FieldDef[] {
  const f = fieldMaker(lang);
  return [
    f({ key: 'seller_name', type: 'text', party: 'sender', required: true, binding: 'myCompany.requisite.RQ_COMPANY_FULL_NAME|myCompany.requisite.RQ_COMPANY_NAME|myCompany.TITLE', label: { en: 'Our company', it: 'La nostra società', ru: 'Наша компания' } }),
    f({ key: 'seller_tax_id', type: 'text', party: 'sender', binding: 'myCompany.requisite.RQ_VAT_ID|myCompany.requisite.RQ_INN', label: { en: 'Our VAT / tax id', it: 'Nostra partita IVA', ru: 'Наш ИНН' } }),
    f({ key: 'seller_address', type: 'multiline', party: 'sender', binding: 'myCompany.ADDRESS_LEGAL|myCompany.REG_ADDRESS|myCompany.ADDRESS|myCompany.ADDRESS_CITY', label: { en: 'Our address', it: 'Nostro indirizzo', ru: 'Наш адрес' } }),
    f({ key: 'seller_bank', type: 'text', party: 'sender', binding: 'myCompany.bank.RQ_BANK_NAME', label: { en: 'Our bank', it: 'Nostra banca', ru: 'Наш банк' } }),
    f({ key: 'seller_account', type: 'text', party: 'sender', binding: 'myCompany.bank.RQ_IBAN|myCompany.bank.RQ_ACC_NUM', label: { en: 'Our IBAN / account', it: 'Nostro IBAN', ru: 'Наш расчётный счёт' } }),
    f({ key: 'seller_signatory', type: 'text', party: 'sender', binding: 'companySigner.FULL_NAME|myCompany.requisite.RQ_DIRECTOR|responsible.FULL_NAME', label: { en: 'Signs for us', it: 'Firma per noi', ru: 'Подписант с нашей стороны' } }),
    f({ key: 'buyer_name', type: 'text', party: 'sender', required: true, binding: 'company.requisite.RQ_COMPANY_FULL_NAME|company.requisite.RQ_COMPANY_NAME|company.TITLE|contact.FULL_NAME', label: { en: 'Client', it: 'Cliente', ru: 'Клиент' } }),
    f({ key: 'buyer_tax_id', type: 'text', party: 'sender', binding: 'company.requisite.RQ_VAT_ID|company.requisite.RQ_INN', label: { en: 'Client VAT / tax id', it: 'Partita IVA del cliente', ru: 'ИНН клиента' } }),
    f({ key: 'buyer_address', type: 'multiline', party: 'sender', binding: 'company.ADDRESS_LEGAL|company.REG_ADDRESS|company.ADDRESS|company.ADDRESS_CITY|contact.ADDRESS_CITY', label: { en: 'Client address', it: 'Indirizzo del cliente', ru: 'Адрес клиента' } }),
    f({ key: 'buyer_bank', type: 'text', party: 'sender', binding: 'company.bank.RQ_BANK_NAME', label: { en: 'Client bank', it: 'Banca del cliente', ru: 'Банк клиента' } }),
    f({ key: 'buyer_account', type: 'text', party: 'sender', binding: 'company.bank.RQ_IBAN|company.bank.RQ_ACC_NUM', label: { en: 'Client IBAN / account', it: 'IBAN del cliente', ru: 'Расчётный счёт клиента' } }),
    f({ key: 'buyer_signatory', type: 'text', party: 'client', binding: 'contact.FULL_NAME|company.requisite.RQ_DIRECTOR', label: { en: 'Signs for the client', it: 'Firma per il cliente', ru: 'Подписант со стороны клиента' } }),
    f({ key: 'buyer_email', type: 'text', party: 'sender', binding: 'contact.EMAIL|company.EMAIL', label: { en: 'Client e-mail', it: 'E-mail del cliente', ru: 'E-mail клиента' } }),
    f({ key: 'buyer_phone', type: 'text', party: 'sender', binding: 'contact.PHONE|company.PHONE', label: { en: 'Client phone', it: 'Telefono del cliente', ru: 'Телефон клиента' } }),
  ];
}

export function markFields(lang: Lang, opts: { clientStamp?: boolean; initials?: boolean; clientSigns?: boolean } = {}): FieldDef[] {
  const f = fieldMaker(lang);
  const out = [
    f({ key: 'company_signature', type: 'signature', party: 'company', required: true, label: { en: 'Our signature', it: 'Nostra firma', ru: 'Подпись с нашей стороны' } }),
    f({ key: 'company_stamp', type: 'stamp', party: 'company', label: { en: 'Our stamp', it: 'Nostro timbro', ru: 'Печать с нашей стороны' } }),
  ];
  if (opts.clientSigns !== false) {
    out.push(f({ key: 'client_signature', type: 'signature', party: 'client', required: true, label: { en: 'Client signature', it: 'Firma del cliente', ru: 'Подпись клиента' } }));
  }
  if (opts.clientStamp) out.push(f({ key: 'client_stamp', type: 'stamp', party: 'client', label: { en: 'Client stamp', it: 'Timbro del cliente', ru: 'Печать клиента' } }));
  if (opts.initials) {
    out.push(f({ key: 'company_initials', type: 'initials', party: 'company', label: { en: 'Our initials', it: 'Nostra sigla', ru: 'Инициалы с нашей стороны' } }));
    out.push(f({ key: 'client_initials', type: 'initials', party: 'client', label: { en: 'Client initials', it: 'Sigla del cliente', ru: 'Инициалы клиента' } }));
  }
  return out;
}

/** Requisites columns shown in contracts and NDAs. */
export function partyColumns(lang: Lang, headings: { seller: L; buyer: L }) {
  const lbl = {
    tax: { en: 'VAT / tax id', it: 'P. IVA / C.F.', ru: 'ИНН' },
    address: { en: 'Address', it: 'Indirizzo', ru: 'Адрес' },
    bank: { en: 'Bank', it: 'Banca', ru: 'Банк' },
    account: { en: 'IBAN / account', it: 'IBAN', ru: 'Р/с' },
    contact: { en: 'E-mail, phone', it: 'E-mail, telefono', ru: 'E-mail, телефон' },
  };
  return {
    kind: 'columns' as const,
    columns: [
      {
        heading: `${headings.seller[lang]}: {{seller_name}}`,
        rows: [
          [lbl.tax[lang], '{{seller_tax_id}}'],
          [lbl.address[lang], '{{seller_address}}'],
          [lbl.bank[lang], '{{seller_bank}}'],
          [lbl.account[lang], '{{seller_account}}'],
        ] as Array<[string, string]>,
      },
      {
        heading: `${headings.buyer[lang]}: {{buyer_name}}`,
        rows: [
          [lbl.tax[lang], '{{buyer_tax_id}}'],
          [lbl.address[lang], '{{buyer_address}}'],
          [lbl.bank[lang], '{{buyer_bank}}'],
          [lbl.account[lang], '{{buyer_account}}'],
          [lbl.contact[lang], '{{buyer_email}} {{buyer_phone}}'],
        ] as Array<[string, string]>,
      },
    ],
  };
}
