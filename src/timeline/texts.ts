import { catalogFor, format, translator, type Lang, type Messages } from '../i18n/index.js';
import { personForm, type Gender, type PersonMessages } from '../i18n/gender.js';

/**
 * What the CRM timeline, the workflow log and the robot's LOG_MESSAGE say, in the envelope's
 * language. Kept short: timeline lines are read at a glance.
 */
const TIMELINE_MESSAGES = {
  'activity.title': { en: 'E-signature: {title}', it: 'Firma elettronica: {title}', ru: 'Электронная подпись: {title}' },
  'status.sent': { en: 'Sent', it: 'Inviato', ru: 'Отправлен' },
  'status.in_progress': { en: 'In progress', it: 'In corso', ru: 'Подписывается' },
  'status.completed': { en: 'Signed', it: 'Firmato', ru: 'Подписан' },
  'status.declined': { en: 'Declined', it: 'Rifiutato', ru: 'Отклонён' },
  'status.expired': { en: 'Expired', it: 'Scaduto', ru: 'Истёк' },
  'status.voided': { en: 'Voided', it: 'Annullato', ru: 'Отозван' },
  'status.draft': { en: 'Draft', it: 'Bozza', ru: 'Черновик' },
  'block.progress': { en: 'Progress', it: 'Avanzamento', ru: 'Ход подписания' },
  'block.progress.value': { en: '{done} of {total} signed', it: '{done} di {total} firmati', ru: 'Подписали {done} из {total}' },
  'block.signed': { en: 'Signed by', it: 'Firmato da', ru: 'Подписали' },
  'block.next': { en: 'Waiting for', it: 'In attesa di', ru: 'Ожидается' },
  'block.reason': { en: 'Reason', it: 'Motivo', ru: 'Причина' },
  'block.document': { en: 'Document ID', it: 'ID documento', ru: 'ID документа' },
  'button.open': { en: 'Open', it: 'Apri', ru: 'Открыть' },
  'button.pdf': { en: 'Download PDF', it: 'Scarica PDF', ru: 'Скачать PDF' },
  'log.title': { en: 'E-signature', it: 'Firma elettronica', ru: 'Электронная подпись' },
  'log.sent': { en: '"{title}" sent for signing to {names}', it: '"{title}" inviato per la firma a {names}', ru: '«{title}» отправлен на подпись: {names}' },
  'log.opened': { en: '{name} opened "{title}"', it: '{name} ha aperto "{title}"', ru: 'Документ «{title}» открыт: {name}' },
  'log.signed': { en: '{name} signed "{title}"', it: '{name} ha firmato "{title}"', ru: 'Документ «{title}» подписан: {name}' },
  'log.approved': { en: '{name} approved "{title}"', it: '{name} ha approvato "{title}"', ru: 'Документ «{title}» согласован: {name}' },
  'log.declined': { en: '{name} declined "{title}": {reason}', it: '{name} ha rifiutato "{title}": {reason}', ru: 'Документ «{title}» отклонён: {name}. Причина: {reason}' },
  'log.reminded': { en: 'Reminder sent to {names}', it: 'Promemoria inviato a {names}', ru: 'Напоминание отправлено: {names}' },
  'log.expired': { en: '"{title}" expired before everyone signed', it: '"{title}" è scaduto prima di tutte le firme', ru: 'Срок подписания «{title}» истёк' },
  'log.voided': { en: '"{title}" was voided: {reason}', it: '"{title}" è stato annullato: {reason}', ru: '«{title}» отозван: {reason}' },
  'log.completed': { en: '"{title}" is signed by every party', it: '"{title}" è firmato da tutte le parti', ru: '«{title}» подписан всеми сторонами' },
  'comment.sealed': {
    en: '"{title}" signed by {names}. Sealed PDF attached. Verify: {verify}',
    it: '"{title}" firmato da {names}. PDF sigillato allegato. Verifica: {verify}',
    ru: '«{title}» подписан: {names}. Подписанный PDF во вложении. Проверка: {verify}',
  },
  'robot.sent': { en: 'Sent for signing to {names} ({id})', it: 'Inviato per la firma a {names} ({id})', ru: 'Отправлено на подпись: {names} ({id})' },
  'robot.result.completed': { en: 'Signed by every party ({id})', it: 'Firmato da tutte le parti ({id})', ru: 'Подписано всеми сторонами ({id})' },
  'robot.result.declined': { en: 'Declined by {name}: {reason} ({id})', it: 'Rifiutato da {name}: {reason} ({id})', ru: 'Отклонено ({name}): {reason} ({id})' },
  'robot.result.expired': { en: 'Expired before everyone signed ({id})', it: 'Scaduto prima di tutte le firme ({id})', ru: 'Срок подписания истёк ({id})' },
  'robot.result.voided': { en: 'Voided: {reason} ({id})', it: 'Annullato: {reason} ({id})', ru: 'Отозвано: {reason} ({id})' },
  'robot.result.sent': { en: 'Sent for signing; not waiting for the outcome ({id})', it: 'Inviato per la firma; senza attendere l’esito ({id})', ru: 'Отправлено на подпись без ожидания результата ({id})' },
  'robot.stale': {
    en: 'The automation rule stopped waiting before "{title}" ended ({status}); the result is recorded here instead.',
    it: 'La regola di automazione ha smesso di attendere prima della fine di "{title}" ({status}); l’esito è registrato qui.',
    ru: 'Правило автоматизации перестало ждать до завершения «{title}» ({status}); результат записан здесь.',
  },
  'robot.error.no_template': {
    en: 'Not sent: no template is chosen in the robot settings.',
    it: 'Non inviato: nelle impostazioni del robot non è scelto alcun modello.',
    ru: 'Не отправлено: в настройках робота не выбран шаблон.',
  },
  'robot.error.template_missing': {
    en: 'Not sent: the template "{template}" no longer exists. Choose another one in the robot settings.',
    it: 'Non inviato: il modello "{template}" non esiste più. Scegline un altro nelle impostazioni del robot.',
    ru: 'Не отправлено: шаблон «{template}» больше не существует. Выберите другой в настройках робота.',
  },
  'robot.error.no_contact': {
    en: 'Not sent: the record has no contact to sign for the client. Add a contact or set "Client signer".',
    it: 'Non inviato: il record non ha un contatto che firmi per il cliente. Aggiungi un contatto o imposta "Firmatario del cliente".',
    ru: 'Не отправлено: у карточки нет контакта-подписанта клиента. Добавьте контакт или заполните «Подписант клиента».',
  },
  'robot.error.contact_no_email': {
    en: 'Not sent: contact {name} has no e-mail address.',
    it: 'Non inviato: il contatto {name} non ha un indirizzo e-mail.',
    ru: 'Не отправлено: у контакта {name} нет адреса e-mail.',
  },
  'robot.error.no_user': {
    en: 'Not sent: no company signer (the record has no responsible person and none is set).',
    it: 'Non inviato: nessun firmatario dell’azienda (il record non ha un responsabile e non è impostato).',
    ru: 'Не отправлено: нет подписанта компании (у карточки нет ответственного, и он не задан).',
  },
  'robot.error.bad_property': {
    en: 'Not sent: the robot setting "{name}" has an unusable value "{value}".',
    it: 'Non inviato: l’impostazione del robot "{name}" ha un valore non valido "{value}".',
    ru: 'Не отправлено: параметр робота «{name}» имеет недопустимое значение «{value}».',
  },
  'robot.error.unsupported': {
    en: 'Not sent: this kind of record ({type}) cannot be signed from a robot.',
    it: 'Non inviato: questo tipo di record ({type}) non può essere firmato da un robot.',
    ru: 'Не отправлено: этот тип карточки ({type}) нельзя подписать роботом.',
  },
  'robot.error.crm': {
    en: 'Not sent: Bitrix24 refused to read the record ({error}).',
    it: 'Non inviato: Bitrix24 ha rifiutato la lettura del record ({error}).',
    ru: 'Не отправлено: Bitrix24 отказал в чтении карточки ({error}).',
  },
  'robot.error.document': {
    en: 'Not sent: the document could not be made ({error}).',
    it: 'Non inviato: impossibile creare il documento ({error}).',
    ru: 'Не отправлено: не удалось создать документ ({error}).',
  },
} satisfies Messages;

export type TimelineKey = keyof typeof TIMELINE_MESSAGES;

/** `t('log.signed', { name, title })` in one language. */
export function timelineTexts(lang: Lang) {
  return translator(catalogFor(TIMELINE_MESSAGES, lang));
}

/**
 * The lines that name what one person did. In Russian the verb agrees with an employee's gender
 * (PERSONAL_GENDER, src/i18n/gender.ts); for everyone else the catalog's neutral sentence above.
 */
const PERSON_LINES = {
  'log.opened': { en: TIMELINE_MESSAGES['log.opened'].en, it: TIMELINE_MESSAGES['log.opened'].it, ru: { m: '{name} открыл «{title}»', f: '{name} открыла «{title}»', neutral: TIMELINE_MESSAGES['log.opened'].ru } },
  'log.signed': { en: TIMELINE_MESSAGES['log.signed'].en, it: TIMELINE_MESSAGES['log.signed'].it, ru: { m: '{name} подписал «{title}»', f: '{name} подписала «{title}»', neutral: TIMELINE_MESSAGES['log.signed'].ru } },
  'log.approved': { en: TIMELINE_MESSAGES['log.approved'].en, it: TIMELINE_MESSAGES['log.approved'].it, ru: { m: '{name} согласовал «{title}»', f: '{name} согласовала «{title}»', neutral: TIMELINE_MESSAGES['log.approved'].ru } },
  'log.declined': { en: TIMELINE_MESSAGES['log.declined'].en, it: TIMELINE_MESSAGES['log.declined'].it, ru: { m: '{name} отклонил «{title}»: {reason}', f: '{name} отклонила «{title}»: {reason}', neutral: TIMELINE_MESSAGES['log.declined'].ru } },
} satisfies PersonMessages;

export type TimelinePersonKey = keyof typeof PERSON_LINES;

export function timelinePersonText(key: TimelinePersonKey, lang: Lang, gender: Gender | null | undefined, vars: Record<string, string | number>): string {
  return format(personForm(PERSON_LINES[key], lang, gender), vars);
}
