import type { Lang } from '../../../i18n/index.js';
import type { Layout } from '../layout.js';
import { fieldMaker, markFields, partyFields, type L } from './common.js';

/** Starter: an invoice for the item's amount, signed (and stamped) by our company only. */
const T = {
  name: { en: 'Invoice', it: 'Fattura', ru: 'Счёт на оплату' },
  title: { en: 'INVOICE No. {{invoice_number}}', it: 'FATTURA N. {{invoice_number}}', ru: 'СЧЁТ НА ОПЛАТУ № {{invoice_number}}' },
  dated: { en: 'dated {{invoice_date}}', it: 'del {{invoice_date}}', ru: 'от {{invoice_date}}' },
  seller: { en: 'Supplier', it: 'Fornitore', ru: 'Поставщик' },
  buyer: { en: 'Customer', it: 'Cliente', ru: 'Покупатель' },
  tax: { en: 'VAT / tax id', it: 'P. IVA / C.F.', ru: 'ИНН' },
  address: { en: 'Address', it: 'Indirizzo', ru: 'Адрес' },
  bank: { en: 'Bank', it: 'Banca', ru: 'Банк' },
  account: { en: 'IBAN / account', it: 'IBAN', ru: 'Расчётный счёт' },
  email: { en: 'E-mail', it: 'E-mail', ru: 'E-mail' },
  no: { en: 'No.', it: 'N.', ru: '№' },
  item: { en: 'Description', it: 'Descrizione', ru: 'Наименование' },
  qty: { en: 'Qty', it: 'Q.tà', ru: 'Кол-во' },
  sum: { en: 'Amount', it: 'Importo', ru: 'Сумма' },
  totalVat: { en: 'of which VAT', it: 'di cui IVA', ru: 'в том числе НДС' },
  total: { en: 'Total due', it: 'Totale da pagare', ru: 'Итого к оплате' },
  due: { en: 'Please pay by {{due_date}} quoting invoice No. {{invoice_number}}.', it: 'Si prega di pagare entro il {{due_date}} indicando la fattura N. {{invoice_number}}.', ru: 'Оплатить до {{due_date}} с указанием номера счёта № {{invoice_number}}.' },
  notes: { en: 'Notes: {{notes}}', it: 'Note: {{notes}}', ru: 'Примечания: {{notes}}' },
  sign: { en: 'For the supplier', it: 'Per il fornitore', ru: 'От поставщика' },
  footer: { en: 'Invoice No. {{invoice_number}} · page {page}', it: 'Fattura N. {{invoice_number}} · pagina {page}', ru: 'Счёт № {{invoice_number}} · стр. {page}' },
} satisfies Record<string, L>;

export function invoice(lang: Lang): Layout {
  const f = fieldMaker(lang);
  return {
    id: 'invoice',
    kind: 'invoice',
    lang,
    name: T.name[lang],
    fields: [
      f({ key: 'invoice_number', type: 'text', party: 'sender', required: true, binding: 'item.ID', label: { en: 'Invoice number', it: 'Numero fattura', ru: 'Номер счёта' } }),
      f({ key: 'invoice_date', type: 'date', party: 'sender', required: true, binding: 'today', label: { en: 'Invoice date', it: 'Data fattura', ru: 'Дата счёта' } }),
      f({ key: 'due_date', type: 'date', party: 'sender', binding: 'item.CLOSEDATE', label: { en: 'Due date', it: 'Scadenza', ru: 'Оплатить до' } }),
      f({ key: 'description', type: 'multiline', party: 'sender', required: true, binding: 'item.TITLE', label: { en: 'Description', it: 'Descrizione', ru: 'Наименование' } }),
      f({ key: 'quantity', type: 'number', party: 'sender', defaultValue: '1', label: { en: 'Quantity', it: 'Quantità', ru: 'Количество' } }),
      f({ key: 'amount', type: 'money', party: 'sender', required: true, binding: 'item.OPPORTUNITY', label: { en: 'Total', it: 'Totale', ru: 'Сумма' } }),
      f({ key: 'tax', type: 'money', party: 'sender', binding: 'item.TAX_VALUE', label: { en: 'VAT', it: 'IVA', ru: 'НДС' } }),
      f({ key: 'notes', type: 'multiline', party: 'sender', label: { en: 'Notes', it: 'Note', ru: 'Примечания' } }),
      ...partyFields(lang),
      ...markFields(lang, { clientSigns: false }),
    ],
    blocks: [
      { kind: 'title', text: T.title[lang] },
      { kind: 'subtitle', text: T.dated[lang] },
      {
        kind: 'rows',
        rows: [
          [T.seller[lang], '{{seller_name}}'],
          [T.tax[lang], '{{seller_tax_id}}'],
          [T.address[lang], '{{seller_address}}'],
          [T.bank[lang], '{{seller_bank}}'],
          [T.account[lang], '{{seller_account}}'],
        ],
      },
      { kind: 'spacer', height: 6 },
      {
        kind: 'rows',
        rows: [
          [T.buyer[lang], '{{buyer_name}}'],
          [T.tax[lang], '{{buyer_tax_id}}'],
          [T.address[lang], '{{buyer_address}}'],
          [T.email[lang], '{{buyer_email}}'],
        ],
      },
      { kind: 'spacer', height: 8 },
      {
        kind: 'table',
        header: [T.no[lang], T.item[lang], T.qty[lang], T.sum[lang]],
        widths: [0.08, 0.56, 0.12, 0.24],
        align: ['left', 'left', 'right', 'right'],
        rows: [
          ['1', '{{description}}', '{{quantity}}', '{{amount}}'],
          ['', T.totalVat[lang], '', '{{tax}}'],
          ['', T.total[lang], '', '{{amount}}'],
        ],
      },
      { kind: 'paragraph', text: T.due[lang] },
      { kind: 'paragraph', text: T.notes[lang] },
      { kind: 'spacer', height: 10 },
      { kind: 'signatures', parties: [{ heading: T.sign[lang], lines: ['{{seller_name}}', '{{seller_signatory}}'], signature: 'company_signature', stamp: 'company_stamp' }] },
    ],
    footer: { text: T.footer[lang] },
  };
}
