import type { Lang } from '../../../i18n/index.js';
import type { Layout } from '../layout.js';
import { fieldMaker, markFields, partyColumns, partyFields, partySignatures, sections, type L } from './common.js';

/** Starter: a mutual non-disclosure agreement between our company and the client. */
const T = {
  name: { en: 'Non-disclosure agreement', it: 'Accordo di riservatezza', ru: 'Соглашение о неразглашении' },
  title: { en: 'MUTUAL NON-DISCLOSURE AGREEMENT', it: 'ACCORDO DI RISERVATEZZA RECIPROCO', ru: 'СОГЛАШЕНИЕ О НЕРАЗГЛАШЕНИИ КОНФИДЕНЦИАЛЬНОЙ ИНФОРМАЦИИ' },
  place: { en: '{{city}}, {{nda_date}}', it: '{{city}}, {{nda_date}}', ru: 'г. {{city}}, {{nda_date}}' },
  intro: {
    en: 'This agreement is made between {{seller_name}}, represented by {{seller_signatory}}, and {{buyer_name}}, represented by {{buyer_signatory}} (each a "Party").',
    it: 'Il presente accordo è stipulato tra {{seller_name}}, rappresentata da {{seller_signatory}}, e {{buyer_name}}, rappresentata da {{buyer_signatory}} (ciascuna una "Parte").',
    ru: 'Настоящее соглашение заключено между {{seller_name}} в лице {{seller_signatory}} и {{buyer_name}} в лице {{buyer_signatory}} (каждая — «Сторона»).',
  },
  h1: { en: '1. Purpose', it: '1. Finalità', ru: '1. Цель' },
  p1: {
    en: 'The Parties exchange information for the following purpose: {{purpose}}.',
    it: 'Le Parti si scambiano informazioni per la seguente finalità: {{purpose}}.',
    ru: 'Стороны обмениваются информацией в следующих целях: {{purpose}}.',
  },
  h2: { en: '2. Confidential information', it: '2. Informazioni riservate', ru: '2. Конфиденциальная информация' },
  p2: {
    en: 'Confidential information is any information disclosed by one Party to the other, in any form, that is marked as confidential or that a reasonable person would consider confidential. It does not include information that is public, already known to the recipient, or lawfully received from a third party.',
    it: 'Per informazioni riservate si intende qualsiasi informazione comunicata da una Parte all\'altra, in qualsiasi forma, contrassegnata come riservata o che una persona ragionevole considererebbe tale. Non vi rientrano le informazioni pubbliche, già note al destinatario o ricevute lecitamente da terzi.',
    ru: 'Конфиденциальной является любая информация, переданная одной Стороной другой в любой форме, отмеченная как конфиденциальная или которую разумный человек счёл бы таковой. Не является конфиденциальной общедоступная информация, уже известная получателю или правомерно полученная от третьих лиц.',
  },
  h3: { en: '3. Obligations', it: '3. Obblighi', ru: '3. Обязательства' },
  p3: {
    en: 'The recipient uses confidential information only for the purpose above, protects it with at least the care it applies to its own, and discloses it only to employees and advisers who need it and are bound by equal duties.',
    it: 'Il destinatario utilizza le informazioni riservate solo per la finalità indicata, le protegge con la stessa diligenza usata per le proprie e le comunica solo a dipendenti e consulenti che ne abbiano necessità e siano vincolati da obblighi equivalenti.',
    ru: 'Получатель использует конфиденциальную информацию только для указанной цели, охраняет её не менее тщательно, чем собственную, и раскрывает её только работникам и консультантам, которым она необходима и которые связаны такими же обязательствами.',
  },
  h4: { en: '4. Term', it: '4. Durata', ru: '4. Срок действия' },
  p4: {
    en: 'This agreement takes effect on signature and the duties under it last {{term_years}} years. This agreement is governed by the law of {{governing_law}}.',
    it: 'Il presente accordo è efficace dalla firma e gli obblighi da esso derivanti durano {{term_years}} anni. L\'accordo è regolato dalla legge di {{governing_law}}.',
    ru: 'Соглашение вступает в силу с момента подписания, обязательства по нему действуют {{term_years}} лет. Применимое право: {{governing_law}}.',
  },
  h5: { en: '5. Parties', it: '5. Parti', ru: '5. Реквизиты Сторон' },
  seller: { en: 'Party 1', it: 'Parte 1', ru: 'Сторона 1' },
  buyer: { en: 'Party 2', it: 'Parte 2', ru: 'Сторона 2' },
  law: { en: 'England and Wales', it: 'Italia', ru: 'Российской Федерации' },
  footer: { en: 'Non-disclosure agreement · page {page}', it: 'Accordo di riservatezza · pagina {page}', ru: 'Соглашение о неразглашении · стр. {page}' },
} satisfies Record<string, L>;

export function nda(lang: Lang): Layout {
  const f = fieldMaker(lang);
  return {
    id: 'nda',
    kind: 'nda',
    lang,
    name: T.name[lang],
    fields: [
      f({ key: 'nda_date', type: 'date', party: 'sender', required: true, binding: 'today', label: { en: 'Date', it: 'Data', ru: 'Дата' } }),
      f({ key: 'city', type: 'text', party: 'sender', binding: 'myCompany.ADDRESS_CITY|responsible.PERSONAL_CITY', label: { en: 'Place of signing', it: 'Luogo', ru: 'Город' } }),
      f({ key: 'purpose', type: 'multiline', party: 'sender', required: true, binding: 'item.TITLE', label: { en: 'Purpose', it: 'Finalità', ru: 'Цель' } }),
      f({ key: 'term_years', type: 'number', party: 'sender', defaultValue: '3', label: { en: 'Term (years)', it: 'Durata (anni)', ru: 'Срок (лет)' } }),
      { ...f({ key: 'governing_law', type: 'text', party: 'sender', label: { en: 'Governing law', it: 'Legge applicabile', ru: 'Применимое право' } }), defaultValue: T.law[lang] },
      ...partyFields(lang),
      ...markFields(lang, { initials: true }),
    ],
    blocks: [
      { kind: 'title', text: T.title[lang] },
      { kind: 'subtitle', text: T.place[lang] },
      { kind: 'paragraph', text: T.intro[lang] },
      ...sections(lang, [[T.h1, T.p1], [T.h2, T.p2], [T.h3, T.p3], [T.h4, T.p4]]),
      { kind: 'heading', text: T.h5[lang] },
      partyColumns(lang, { seller: T.seller, buyer: T.buyer }),
      partySignatures(lang, { seller: T.seller, buyer: T.buyer }),
    ],
    footer: { text: T.footer[lang], initials: ['company_initials', 'client_initials'] },
  };
}
