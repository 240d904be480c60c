import type { EnvelopeLang } from '../db/schema/envelopes.js';

/** Strings of the public signing page, in every language we serve. The client script gets one language's set. */
const S = {
  'lang.label': { en: 'Language', it: 'Lingua', ru: 'Язык' },
  'doc.heading': { en: 'Document for signing', it: 'Documento da firmare', ru: 'Документ на подпись' },
  'doc.from': { en: 'Recipient: {name}', it: 'Destinatario: {name}', ru: 'Получатель: {name}' },
  'doc.loading': { en: 'Loading the document…', it: 'Caricamento del documento…', ru: 'Загрузка документа…' },
  'doc.download': { en: 'Download PDF', it: 'Scarica PDF', ru: 'Скачать PDF' },
  'doc.loadFailed': { en: 'The preview could not be shown. Download the PDF instead.', it: 'Impossibile mostrare l’anteprima. Scarichi il PDF.', ru: 'Не удалось показать документ. Скачайте PDF.' },
  'guide.next': { en: 'Next field', it: 'Campo successivo', ru: 'Следующее поле' },
  'guide.progress': { en: '{done} of {total} fields filled', it: '{done} di {total} campi compilati', ru: 'Заполнено полей: {done} из {total}' },
  'guide.allDone': { en: 'All fields filled — sign below', it: 'Tutti i campi compilati — firmi qui sotto', ru: 'Все поля заполнены — подпишите ниже' },
  'fields.heading': { en: '1. Fill in your fields', it: '1. Compili i suoi campi', ru: '1. Заполните поля' },
  'fields.none': { en: 'There is nothing for you to fill in.', it: 'Non ci sono campi da compilare.', ru: 'Заполнять ничего не нужно.' },
  'fields.required': { en: 'required', it: 'obbligatorio', ru: 'обязательно' },
  'code.heading': { en: '2. Confirm it is you', it: '2. Confermi la sua identità', ru: '2. Подтвердите, что это вы' },
  'code.explain': { en: 'We will e-mail a 6-digit code to {email}. It is valid for 5 minutes.', it: 'Invieremo un codice di 6 cifre a {email}. È valido 5 minuti.', ru: 'Мы отправим 6-значный код на {email}. Код действует 5 минут.' },
  'code.send': { en: 'E-mail me a code', it: 'Inviami il codice', ru: 'Отправить код' },
  'code.resend': { en: 'Send a new code', it: 'Invia un nuovo codice', ru: 'Отправить новый код' },
  'code.sent': { en: 'Code sent to {email}.', it: 'Codice inviato a {email}.', ru: 'Код отправлен на {email}.' },
  'code.label': { en: '6-digit code', it: 'Codice a 6 cifre', ru: 'Код из 6 цифр' },
  'code.verify': { en: 'Confirm', it: 'Conferma', ru: 'Подтвердить' },
  'code.ok': { en: 'Identity confirmed.', it: 'Identità confermata.', ru: 'Личность подтверждена.' },
  'code.wait': { en: 'You can ask for a new code in {s} s.', it: 'Potrà chiedere un nuovo codice tra {s} s.', ru: 'Новый код можно запросить через {s} с.' },
  'sig.heading': { en: '3. Sign', it: '3. Firmi', ru: '3. Подпишите' },
  'sig.approveHeading': { en: '3. Approve', it: '3. Approvi', ru: '3. Согласуйте' },
  'sig.type': { en: 'Type', it: 'Scrivi', ru: 'Ввести' },
  'sig.draw': { en: 'Draw', it: 'Disegna', ru: 'Нарисовать' },
  'sig.upload': { en: 'Upload', it: 'Carica', ru: 'Загрузить' },
  'sig.typeLabel': { en: 'Your full name', it: 'Nome e cognome', ru: 'Ваше полное имя' },
  'sig.drawLabel': { en: 'Draw your signature with a finger or the mouse', it: 'Disegni la firma con il dito o il mouse', ru: 'Нарисуйте подпись пальцем или мышью' },
  'sig.clear': { en: 'Clear', it: 'Cancella', ru: 'Очистить' },
  'sig.uploadLabel': { en: 'A photo or scan of your signature (PNG or JPEG)', it: 'Foto o scansione della firma (PNG o JPEG)', ru: 'Фото или скан подписи (PNG или JPEG)' },
  'stamp.label': { en: 'Company stamp (PNG or JPEG)', it: 'Timbro aziendale (PNG o JPEG)', ru: 'Печать организации (PNG или JPEG)' },
  'terms.label': {
    en: 'I agree to sign this document electronically and accept the terms of service; my signature, IP address and device are recorded.',
    it: 'Accetto di firmare elettronicamente questo documento e le condizioni del servizio; firma, indirizzo IP e dispositivo vengono registrati.',
    ru: 'Я согласен подписать документ электронно и принимаю условия сервиса; подпись, IP-адрес и устройство будут записаны.',
  },
  'action.sign': { en: 'Sign the document', it: 'Firma il documento', ru: 'Подписать документ' },
  'action.approve': { en: 'Approve the document', it: 'Approva il documento', ru: 'Согласовать документ' },
  'action.decline': { en: 'Decline to sign', it: 'Rifiuta di firmare', ru: 'Отказаться от подписания' },
  'decline.heading': { en: 'Decline this document', it: 'Rifiuti il documento', ru: 'Отказ от подписания' },
  'decline.reason': { en: 'Why do you decline? (required)', it: 'Perché rifiuta? (obbligatorio)', ru: 'Причина отказа (обязательно)' },
  'decline.confirm': { en: 'Decline', it: 'Rifiuta', ru: 'Отказаться' },
  'decline.cancel': { en: 'Back', it: 'Indietro', ru: 'Назад' },
  'busy': { en: 'Please wait…', it: 'Attenda…', ru: 'Подождите…' },
  'error.generic': { en: 'Something went wrong. Please try again.', it: 'Qualcosa è andato storto. Riprovi.', ru: 'Что-то пошло не так. Попробуйте ещё раз.' },
  'error.signature': { en: 'Add your signature first.', it: 'Aggiunga prima la firma.', ru: 'Сначала добавьте подпись.' },
  'error.terms': { en: 'Accept the terms to continue.', it: 'Accetti le condizioni per continuare.', ru: 'Примите условия, чтобы продолжить.' },
  'error.CODE_INVALID': { en: 'That code is not right. Attempts left: {n}.', it: 'Il codice non è corretto. Tentativi rimasti: {n}.', ru: 'Неверный код. Осталось попыток: {n}.' },
  'error.CODE_EXPIRED': { en: 'The code has expired. Ask for a new one.', it: 'Il codice è scaduto. Ne chieda uno nuovo.', ru: 'Срок действия кода истёк. Запросите новый.' },
  'error.CODE_LOCKED': { en: 'Too many wrong codes. Try again in 15 minutes.', it: 'Troppi codici errati. Riprovi tra 15 minuti.', ru: 'Слишком много неверных попыток. Повторите через 15 минут.' },
  'error.RATE_LIMITED': { en: 'Please wait a moment before asking again.', it: 'Attenda un momento prima di riprovare.', ru: 'Подождите немного перед повторным запросом.' },
  'error.reason': { en: 'Give a reason (at least 3 characters).', it: 'Indichi un motivo (almeno 3 caratteri).', ru: 'Укажите причину (не менее 3 символов).' },
  'error.field': { en: 'Fill in “{label}”.', it: 'Compili «{label}».', ru: 'Заполните поле «{label}».' },
  'error.stamp': { en: 'Upload your company stamp.', it: 'Carichi il timbro aziendale.', ru: 'Загрузите печать организации.' },
  'error.image': { en: 'Use a PNG or JPEG image up to 1.5 MB.', it: 'Usi un’immagine PNG o JPEG fino a 1,5 MB.', ru: 'Нужно изображение PNG или JPEG до 1,5 МБ.' },
  'error.imageSize': {
    en: 'The image is too large: use one of at most 4 megapixels (for example 2000 × 2000 pixels).',
    it: 'L’immagine è troppo grande: ne usi una di al massimo 4 megapixel (ad esempio 2000 × 2000 pixel).',
    ru: 'Изображение слишком большое: нужно не больше 4 мегапикселей (например, 2000 × 2000 пикселей).',
  },
  'error.code': { en: 'Confirm your identity with the code first.', it: 'Confermi prima l’identità con il codice.', ru: 'Сначала подтвердите личность кодом.' },
  'done.heading': { en: 'Thank you — you have signed', it: 'Grazie — ha firmato', ru: 'Спасибо — вы подписали документ' },
  'done.approved': { en: 'Thank you — you have approved', it: 'Grazie — ha approvato', ru: 'Спасибо — вы согласовали документ' },
  'done.next': {
    en: 'When every party has signed, we will e-mail you a permanent link to the sealed PDF. You can close this page.',
    it: 'Quando tutte le parti avranno firmato, le invieremo per e-mail un link permanente al PDF sigillato. Può chiudere questa pagina.',
    ru: 'Когда все стороны подпишут документ, мы пришлём вам постоянную ссылку на заверенный PDF. Эту страницу можно закрыть.',
  },
  'declined.heading': { en: 'You declined this document', it: 'Ha rifiutato il documento', ru: 'Вы отказались от подписания' },
  'declined.text': { en: 'The sender has been told, with your reason.', it: 'Il mittente è stato informato, con il motivo.', ru: 'Отправитель получил уведомление с вашей причиной.' },
  'state.completed': { en: 'This document has been signed by every party', it: 'Il documento è stato firmato da tutte le parti', ru: 'Документ подписан всеми сторонами' },
  'state.completed.text': { en: 'Each party received a permanent link to the sealed PDF by e-mail. This signing link no longer opens the document.', it: 'Ogni parte ha ricevuto per e-mail un link permanente al PDF sigillato. Questo link di firma non apre più il documento.', ru: 'Каждая сторона получила по e-mail постоянную ссылку на заверенный PDF. Эта ссылка для подписания больше не открывает документ.' },
  'state.declined': { en: 'This document was declined', it: 'Il documento è stato rifiutato', ru: 'От подписания документа отказались' },
  'state.declined.text': { en: 'One of the parties declined it, so it will not be signed.', it: 'Una delle parti lo ha rifiutato: non verrà firmato.', ru: 'Одна из сторон отказалась, поэтому документ не будет подписан.' },
  'state.voided': { en: 'The sender cancelled this document', it: 'Il mittente ha annullato il documento', ru: 'Отправитель отменил документ' },
  'state.voided.text': { en: 'You no longer need to sign it.', it: 'Non è più necessario firmarlo.', ru: 'Подписывать его больше не нужно.' },
  'state.expired': { en: 'This document has expired', it: 'Il documento è scaduto', ru: 'Срок подписания истёк' },
  'state.expired.text': { en: 'Ask the sender for a new one if you still need to sign.', it: 'Chieda al mittente un nuovo invio se deve ancora firmare.', ru: 'Если подписать всё ещё нужно, попросите отправителя прислать документ снова.' },
  'state.revoked': { en: 'This link was replaced', it: 'Questo link è stato sostituito', ru: 'Эта ссылка заменена' },
  'state.revoked.text': { en: 'A newer invitation was sent to you. Use the link in the latest e-mail.', it: 'Le è stato inviato un invito più recente. Usi il link dell’ultima e-mail.', ru: 'Вам отправлено новое приглашение. Воспользуйтесь ссылкой из последнего письма.' },
  'state.link_expired': { en: 'This link has expired', it: 'Questo link è scaduto', ru: 'Срок действия ссылки истёк' },
  'state.link_expired.text': { en: 'Ask the sender to send the invitation again.', it: 'Chieda al mittente di inviare di nuovo l’invito.', ru: 'Попросите отправителя прислать приглашение повторно.' },
  'state.not_your_turn': { en: 'It is not your turn yet', it: 'Non è ancora il suo turno', ru: 'Ваша очередь ещё не наступила' },
  'state.not_your_turn.text': { en: 'Other parties sign first. We will e-mail you when it is your turn.', it: 'Prima firmano le altre parti. Le scriveremo quando toccherà a lei.', ru: 'Сначала подписывают другие стороны. Мы напишем вам, когда настанет ваша очередь.' },
  'state.done': { en: 'You have completed your part', it: 'Ha completato la sua parte', ru: 'Вы выполнили свою часть' },
  'state.invalid': { en: 'This link is not valid', it: 'Questo link non è valido', ru: 'Ссылка недействительна' },
  'state.invalid.text': { en: 'Check that you copied the whole link from the e-mail.', it: 'Verifichi di aver copiato l’intero link dall’e-mail.', ru: 'Проверьте, что ссылка скопирована из письма полностью.' },
} satisfies Record<string, Record<EnvelopeLang, string>>;

export type PageKey = keyof typeof S;

export function pageTexts(lang: EnvelopeLang): Record<PageKey, string> {
  const out = {} as Record<PageKey, string>;
  for (const k of Object.keys(S) as PageKey[]) out[k] = S[k][lang];
  return out;
}

export function fmt(s: string, vars: Record<string, string | number> = {}): string {
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}
