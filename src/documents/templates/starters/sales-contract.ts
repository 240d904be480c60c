import type { Lang } from '../../../i18n/index.js';
import type { Layout } from '../layout.js';
import { fieldMaker, markFields, partyColumns, partyFields, partySignatures, sections, type L } from './common.js';

/** Starter: a sales contract between our company (seller) and the client (buyer). */
const T = {
  name: { en: 'Sales contract', it: 'Contratto di compravendita', ru: 'Договор купли-продажи' },
  title: { en: 'SALES CONTRACT No. {{contract_number}}', it: 'CONTRATTO DI COMPRAVENDITA N. {{contract_number}}', ru: 'ДОГОВОР КУПЛИ-ПРОДАЖИ № {{contract_number}}' },
  place: { en: '{{city}}, {{contract_date}}', it: '{{city}}, {{contract_date}}', ru: 'г. {{city}}, {{contract_date}}' },
  intro: {
    en: '{{seller_name}} (the "Seller"), represented by {{seller_signatory}}, and {{buyer_name}} (the "Buyer"), represented by {{buyer_signatory}}, together the "Parties", agree as follows.',
    it: '{{seller_name}} (il "Venditore"), rappresentata da {{seller_signatory}}, e {{buyer_name}} (l\'"Acquirente"), rappresentata da {{buyer_signatory}}, di seguito congiuntamente le "Parti", convengono quanto segue.',
    ru: '{{seller_name}} (далее «Продавец») в лице {{seller_signatory}} и {{buyer_name}} (далее «Покупатель») в лице {{buyer_signatory}}, вместе именуемые «Стороны», заключили настоящий договор о нижеследующем.',
  },
  h1: { en: '1. Subject', it: '1. Oggetto', ru: '1. Предмет договора' },
  p1: {
    en: 'The Seller shall transfer to the Buyer, and the Buyer shall accept and pay for, the following: {{subject}}.',
    it: 'Il Venditore trasferisce all\'Acquirente, che accetta e paga, quanto segue: {{subject}}.',
    ru: 'Продавец обязуется передать в собственность Покупателя, а Покупатель — принять и оплатить следующее: {{subject}}.',
  },
  h2: { en: '2. Price and payment', it: '2. Prezzo e pagamento', ru: '2. Цена и порядок расчётов' },
  p2: {
    en: 'The total price is {{amount}}, including VAT of {{tax}}. The Buyer pays within {{payment_days}} days of signing by bank transfer to the Seller\'s account {{seller_account}} at {{seller_bank}}.',
    it: 'Il prezzo complessivo è di {{amount}}, IVA inclusa pari a {{tax}}. L\'Acquirente paga entro {{payment_days}} giorni dalla firma mediante bonifico sul conto del Venditore {{seller_account}} presso {{seller_bank}}.',
    ru: 'Общая цена договора составляет {{amount}}, в том числе НДС {{tax}}. Покупатель оплачивает её в течение {{payment_days}} дней с даты подписания переводом на расчётный счёт Продавца {{seller_account}} в {{seller_bank}}.',
  },
  h3: { en: '3. Delivery', it: '3. Consegna', ru: '3. Передача товара' },
  p3: {
    en: 'The Seller delivers no later than {{delivery_date}}. Ownership and risk pass to the Buyer on delivery, confirmed by a delivery note signed by both Parties.',
    it: 'Il Venditore effettua la consegna entro il {{delivery_date}}. La proprietà e il rischio passano all\'Acquirente alla consegna, attestata da un documento di trasporto firmato da entrambe le Parti.',
    ru: 'Продавец передаёт товар не позднее {{delivery_date}}. Право собственности и риск случайной гибели переходят к Покупателю в момент передачи, что подтверждается актом, подписанным обеими Сторонами.',
  },
  h4: { en: '4. Warranty and liability', it: '4. Garanzia e responsabilità', ru: '4. Гарантии и ответственность' },
  p4: {
    en: 'The Seller warrants that the goods are free of defects and third-party rights. A Party that breaches this contract compensates the other for the direct damage caused; liability for indirect damage is excluded to the extent permitted by law.',
    it: 'Il Venditore garantisce che i beni sono privi di vizi e di diritti di terzi. La Parte inadempiente risarcisce all\'altra il danno diretto causato; la responsabilità per danni indiretti è esclusa nei limiti consentiti dalla legge.',
    ru: 'Продавец гарантирует, что товар свободен от недостатков и прав третьих лиц. Сторона, нарушившая договор, возмещает другой Стороне причинённый прямой ущерб; ответственность за косвенные убытки исключается в пределах, допускаемых законом.',
  },
  h5: { en: '5. Special terms', it: '5. Condizioni particolari', ru: '5. Особые условия' },
  h6: { en: '6. Final provisions', it: '6. Disposizioni finali', ru: '6. Заключительные положения' },
  p6: {
    en: 'This contract is signed electronically; each Party receives the same sealed PDF, which is the original. Amendments are valid only in writing and signed by both Parties. Disputes are settled by the courts at the Seller\'s seat.',
    it: 'Il presente contratto è firmato elettronicamente; ciascuna Parte riceve lo stesso PDF sigillato, che costituisce l\'originale. Le modifiche sono valide solo per iscritto e firmate da entrambe le Parti. Le controversie sono devolute al foro della sede del Venditore.',
    ru: 'Договор подписан в электронной форме; каждая Сторона получает один и тот же запечатанный PDF, являющийся оригиналом. Изменения действительны только в письменной форме за подписью обеих Сторон. Споры разрешаются в суде по месту нахождения Продавца.',
  },
  h7: { en: '7. Details of the Parties', it: '7. Dati delle Parti', ru: '7. Реквизиты Сторон' },
  seller: { en: 'Seller', it: 'Venditore', ru: 'Продавец' },
  buyer: { en: 'Buyer', it: 'Acquirente', ru: 'Покупатель' },
  footer: { en: 'Sales contract No. {{contract_number}} · page {page}', it: 'Contratto N. {{contract_number}} · pagina {page}', ru: 'Договор № {{contract_number}} · стр. {page}' },
} satisfies Record<string, L>;

export function salesContract(lang: Lang): Layout {
  const f = fieldMaker(lang);
  return {
    id: 'sales-contract',
    kind: 'contract',
    lang,
    name: T.name[lang],
    fields: [
      f({ key: 'contract_number', type: 'text', party: 'sender', required: true, binding: 'item.ID', label: { en: 'Contract number', it: 'Numero del contratto', ru: 'Номер договора' } }),
      f({ key: 'contract_date', type: 'date', party: 'sender', required: true, binding: 'today', label: { en: 'Contract date', it: 'Data del contratto', ru: 'Дата договора' } }),
      f({ key: 'city', type: 'text', party: 'sender', binding: 'myCompany.ADDRESS_CITY|responsible.PERSONAL_CITY', label: { en: 'Place of signing', it: 'Luogo', ru: 'Город' } }),
      f({ key: 'subject', type: 'multiline', party: 'sender', required: true, binding: 'item.TITLE', label: { en: 'Subject', it: 'Oggetto', ru: 'Предмет' } }),
      f({ key: 'amount', type: 'money', party: 'sender', required: true, binding: 'item.OPPORTUNITY', label: { en: 'Total price', it: 'Prezzo totale', ru: 'Цена договора' } }),
      f({ key: 'tax', type: 'money', party: 'sender', binding: 'item.TAX_VALUE', label: { en: 'VAT', it: 'IVA', ru: 'НДС' } }),
      f({ key: 'payment_days', type: 'number', party: 'sender', defaultValue: '10', label: { en: 'Payment term (days)', it: 'Termine di pagamento (giorni)', ru: 'Срок оплаты (дней)' } }),
      f({ key: 'delivery_date', type: 'date', party: 'sender', binding: 'item.CLOSEDATE', label: { en: 'Delivery date', it: 'Data di consegna', ru: 'Дата передачи' } }),
      f({ key: 'special_terms', type: 'multiline', party: 'sender', label: { en: 'Special terms', it: 'Condizioni particolari', ru: 'Особые условия' } }),
      ...partyFields(lang),
      ...markFields(lang, { clientStamp: true, initials: true }),
    ],
    blocks: [
      { kind: 'title', text: T.title[lang] },
      { kind: 'subtitle', text: T.place[lang] },
      { kind: 'paragraph', text: T.intro[lang] },
      ...sections(lang, [[T.h1, T.p1], [T.h2, T.p2], [T.h3, T.p3], [T.h4, T.p4]]),
      { kind: 'heading', text: T.h5[lang] },
      { kind: 'paragraph', text: '{{special_terms}}' },
      ...sections(lang, [[T.h6, T.p6]]),
      { kind: 'heading', text: T.h7[lang] },
      partyColumns(lang, { seller: T.seller, buyer: T.buyer }),
      partySignatures(lang, { seller: T.seller, buyer: T.buyer }, { clientStamp: true }),
    ],
    footer: { text: T.footer[lang], initials: ['company_initials', 'client_initials'] },
  };
}
