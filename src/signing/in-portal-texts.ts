import type { EnvelopeLang } from '../db/schema/envelopes.js';

/**
 * Strings of the in-portal signing page (src/doors/in-portal-sign.tsx) that the public signing page
 * does not have; the signature capture, terms and errors come from page-texts.ts. The script gets
 * one language's set of both.
 */
const S = {
  'ip.title': { en: 'Documents to sign', it: 'Documenti da firmare', ru: 'Документы на подпись' },
  'ip.as': {
    en: 'You are signed in to Bitrix24 as {name} (user {id}). No code is needed: your signature will be recorded as given in Bitrix24 by this user.',
    it: 'Ha effettuato l’accesso a Bitrix24 come {name} (utente {id}). Non serve alcun codice: la firma sarà registrata come apposta in Bitrix24 da questo utente.',
    ru: 'Вы вошли в Битрикс24 как {name} (пользователь {id}). Код не нужен: подпись будет записана как поставленная этим пользователем в Битрикс24.',
  },
  'ip.emailPath': {
    en: 'Outside Bitrix24? The e-mail invitation has a link that works anywhere, with a code sent to your e-mail.',
    it: 'Fuori da Bitrix24? L’invito via e-mail contiene un link che funziona ovunque, con un codice inviato alla sua e-mail.',
    ru: 'Не в Битрикс24? В письме-приглашении есть ссылка, которая работает везде, с кодом на вашу почту.',
  },
  'ip.none': { en: 'Nothing is waiting for your signature.', it: 'Nessun documento attende la sua firma.', ru: 'Документов, ожидающих вашей подписи, нет.' },
  'ip.count': { en: 'Waiting for you: {n}', it: 'In attesa della sua firma: {n}', ru: 'Ожидают вашей подписи: {n}' },
  'ip.open': { en: 'Open the whole document', it: 'Apri il documento intero', ru: 'Открыть документ целиком' },
  'ip.opened': { en: 'Opened', it: 'Aperto', ru: 'Открыт' },
  'ip.ack': { en: 'I have read this document', it: 'Ho letto questo documento', ru: 'Подтверждаю: документ мной прочитан' },
  'ip.preview': { en: 'First page of “{title}”', it: 'Prima pagina di «{title}»', ru: 'Первая страница «{title}»' },
  'ip.approver': { en: 'You approve this one (no signature).', it: 'Questo lo approva (senza firma).', ru: 'Этот документ вы согласуете (без подписи).' },
  'ip.sigHeading': { en: 'Your signature, for every document above', it: 'La sua firma, per tutti i documenti sopra', ru: 'Ваша подпись для всех документов выше' },
  'ip.sign': { en: 'Sign {n} document(s)', it: 'Firma {n} documento/i', ru: 'Подписать документы: {n}' },
  'ip.needReview': { en: 'Open “{title}” or tick that you have read it.', it: 'Apra «{title}» o confermi di averlo letto.', ru: 'Откройте «{title}» или отметьте, что ознакомились с ним.' },
  'ip.done': { en: 'Signed: {n}', it: 'Firmati: {n}', ru: 'Подписано: {n}' },
  'ip.failed': { en: 'Not signed: “{title}” — {reason}', it: 'Non firmato: «{title}» — {reason}', ru: 'Не подписан: «{title}» — {reason}' },
  'ip.done.next': {
    en: 'When every party has signed, the sealed PDF appears in the CRM and you get a link to it in Bitrix24.',
    it: 'Quando tutte le parti avranno firmato, il PDF sigillato comparirà nel CRM e riceverà il link in Bitrix24.',
    ru: 'Когда все стороны подпишут, заверенный PDF появится в CRM, а ссылка на него придёт вам в Битрикс24.',
  },
  /** Every signed document is now complete (the sign response's envelopeStatus): this signer was the last. */
  'ip.done.complete': {
    en: 'Every party has now signed. In a few minutes the sealed PDF appears in the CRM and you get a link to it in Bitrix24.',
    it: 'Tutte le parti hanno firmato. Tra pochi minuti il PDF sigillato comparirà nel CRM e riceverà il link in Bitrix24.',
    ru: 'Все стороны подписали. Через несколько минут заверенный PDF появится в CRM, а ссылка на него придёт вам в Битрикс24.',
  },
  /** Some of the signed documents are complete, others still wait for other parties (then ip.done.next follows). */
  'ip.done.completeSome': {
    en: 'Signed by every party now: {titles}. In a few minutes their sealed PDFs appear in the CRM and you get links in Bitrix24.',
    it: 'Ora firmati da tutte le parti: {titles}. Tra pochi minuti i PDF sigillati compariranno nel CRM e riceverà i link in Bitrix24.',
    ru: 'Теперь подписаны всеми сторонами: {titles}. Через несколько минут заверенные PDF появятся в CRM, а ссылки придут вам в Битрикс24.',
  },
  'ip.forbidden': {
    en: 'This document was sent to another Bitrix24 user. Only the person it names can sign it here.',
    it: 'Questo documento è stato inviato a un altro utente di Bitrix24. Solo la persona indicata può firmarlo qui.',
    ru: 'Этот документ отправлен другому пользователю Битрикс24. Подписать его здесь может только указанный получатель.',
  },
  'ip.gone': { en: 'This document is no longer waiting for your signature.', it: 'Questo documento non attende più la sua firma.', ru: 'Этот документ больше не ожидает вашей подписи.' },
  'ip.notFound': { en: 'No such document on this portal.', it: 'Nessun documento del genere su questo portale.', ru: 'На этом портале такого документа нет.' },
  'ip.openList': { en: 'Open and sign', it: 'Apri e firma', ru: 'Открыть и подписать' },
  'ip.declined': { en: 'You declined “{title}”; the sender has been told, with your reason.', it: 'Ha rifiutato «{title}»; il mittente è stato informato, con il motivo.', ru: 'Вы отказались от «{title}»; отправитель получил уведомление с вашей причиной.' },
  'ip.others': { en: 'Also waiting for you', it: 'Anche in attesa della sua firma', ru: 'Также ждут вашей подписи' },
} satisfies Record<string, Record<EnvelopeLang, string>>;

export type InPortalKey = keyof typeof S;

export function inPortalTexts(lang: EnvelopeLang): Record<InPortalKey, string> {
  const out = {} as Record<InPortalKey, string>;
  for (const k of Object.keys(S) as InPortalKey[]) out[k] = S[k][lang];
  return out;
}
