import type { AuditEventType } from '../db/schema/audit-events.js';

/** Labels for the page stripe and the certificate of completion, in the product's languages. */
export type StampLang = 'en' | 'it' | 'ru';

export const STAMP_TEXT = {
  en: {
    documentId: 'Document ID',
    verifyAt: 'Verify at',
    /** "{page}" and "{pages}" are replaced; the total counts every page of the sealed file. */
    pageOf: 'page {page} of {pages}',
    developmentLabel: 'DEVELOPMENT CERTIFICATE: test seal, not for real documents',
    certificateTitle: 'Certificate of completion',
    document: 'Document',
    verify: 'Verification',
    parties: 'Parties',
    events: 'Events',
    integrity: 'Integrity',
    role: 'Role',
    party: 'Party',
    method: 'Method',
    signedAt: 'Signed',
    ip: 'IP address',
    userAgent: 'Device',
    email: 'E-mail',
    identity: 'Identity',
    /** In-portal signing (issue 17 item 1): who the verified Bitrix24 frame said signed. */
    inPortal: { signed: 'signed in Bitrix24 as user {id} ({name}), portal {portal}', approved: 'approved in Bitrix24 as user {id} ({name}), portal {portal}' } as Record<string, string>,
    originalSha256: 'SHA-256 of the original document',
    auditHead: 'Head of the audit chain',
    sealNote:
      'This page was added when the last party signed. The whole file, this page included, was then sealed with one PAdES digital seal. Any later change breaks the seal; check it at the address above.',
    developmentNote: 'This installation seals with a generated development certificate. The seal shows integrity only and identifies nobody.',
    roles: { signer: 'Signer', approver: 'Approver', viewer: 'Viewer', cc: 'Copy' } as Record<string, string>,
    partyKinds: { company: 'Company', client: 'Client' } as Record<string, string>,
    methods: { typed: 'Typed name', drawn: 'Drawn signature', uploaded: 'Uploaded image', stamp: 'Company stamp', approved: 'Approval' } as Record<string, string>,
    eventNames: {
      created: 'created',
      recipients_set: 'recipients set',
      sent: 'sent',
      delivered: 'delivered',
      delivery_failed: 'delivery failed',
      opened: 'opened',
      code_sent: 'code sent',
      code_verified: 'code confirmed',
      code_failed: 'wrong code entered',
      code_locked: 'code attempts used up',
      field_filled: 'field filled in',
      signed: 'signed',
      approved: 'approved',
      declined: 'declined',
      reminded: 'reminder sent',
      email_changed: 'e-mail address changed',
      resent: 'invitation sent again',
      expired: 'expired',
      voided: 'voided',
      completed: 'completed',
      sealed: 'sealed',
      long_term_added: 'long-term validation data added',
      long_term_failed: 'long-term validation data could not be added',
      final_sent: 'final copy sent',
    } satisfies Record<AuditEventType, string>,
    actors: { system: 'b24-sign', user: 'Bitrix24 user', robot: 'Bitrix24 robot' },
  },
  it: {
    documentId: 'ID documento',
    verifyAt: 'Verifica su',
    pageOf: 'pagina {page} di {pages}',
    developmentLabel: 'CERTIFICATO DI SVILUPPO: sigillo di prova, non per documenti reali',
    certificateTitle: 'Certificato di completamento',
    document: 'Documento',
    verify: 'Verifica',
    parties: 'Parti',
    events: 'Eventi',
    integrity: 'Integrità',
    role: 'Ruolo',
    party: 'Parte',
    method: 'Metodo',
    signedAt: 'Firmato',
    ip: 'Indirizzo IP',
    userAgent: 'Dispositivo',
    email: 'E-mail',
    identity: 'Identità',
    inPortal: { signed: 'firmato in Bitrix24 come utente {id} ({name}), portale {portal}', approved: 'approvato in Bitrix24 come utente {id} ({name}), portale {portal}' } as Record<string, string>,
    originalSha256: 'SHA-256 del documento originale',
    auditHead: 'Testa della catena di audit',
    sealNote:
      "Questa pagina è stata aggiunta quando l'ultima parte ha firmato. L'intero file, questa pagina compresa, è stato poi sigillato con un unico sigillo digitale PAdES. Qualsiasi modifica successiva invalida il sigillo; verificalo all'indirizzo indicato sopra.",
    developmentNote: 'Questa installazione sigilla con un certificato di sviluppo generato. Il sigillo attesta solo l’integrità e non identifica nessuno.',
    roles: { signer: 'Firmatario', approver: 'Approvatore', viewer: 'Osservatore', cc: 'Copia' } as Record<string, string>,
    partyKinds: { company: 'Azienda', client: 'Cliente' } as Record<string, string>,
    methods: { typed: 'Nome digitato', drawn: 'Firma disegnata', uploaded: 'Immagine caricata', stamp: 'Timbro aziendale', approved: 'Approvazione' } as Record<string, string>,
    eventNames: {
      created: 'creato',
      recipients_set: 'destinatari indicati',
      sent: 'inviato',
      delivered: 'recapitato',
      delivery_failed: 'recapito non riuscito',
      opened: 'aperto',
      code_sent: 'codice inviato',
      code_verified: 'codice confermato',
      code_failed: 'codice errato',
      code_locked: 'tentativi del codice esauriti',
      field_filled: 'campo compilato',
      signed: 'firmato',
      approved: 'approvato',
      declined: 'rifiutato',
      reminded: 'promemoria inviato',
      email_changed: 'indirizzo e-mail modificato',
      resent: 'invito inviato di nuovo',
      expired: 'scaduto',
      voided: 'annullato',
      completed: 'completato',
      sealed: 'sigillato',
      long_term_added: 'dati di validazione a lungo termine aggiunti',
      long_term_failed: 'impossibile aggiungere i dati di validazione a lungo termine',
      final_sent: 'copia finale inviata',
    } satisfies Record<AuditEventType, string>,
    actors: { system: 'b24-sign', user: 'utente Bitrix24', robot: 'robot Bitrix24' },
  },
  ru: {
    documentId: 'ID документа',
    verifyAt: 'Проверка',
    pageOf: 'стр. {page} из {pages}',
    developmentLabel: 'ТЕСТОВЫЙ СЕРТИФИКАТ: пробная печать, не для реальных документов',
    certificateTitle: 'Сертификат завершения',
    document: 'Документ',
    verify: 'Проверка',
    parties: 'Стороны',
    events: 'События',
    integrity: 'Целостность',
    role: 'Роль',
    party: 'Сторона',
    method: 'Способ',
    signedAt: 'Подписано',
    ip: 'IP-адрес',
    userAgent: 'Устройство',
    email: 'Эл. почта',
    identity: 'Личность',
    inPortal: { signed: 'подписано в Битрикс24 пользователем {id} ({name}), портал {portal}', approved: 'согласовано в Битрикс24 пользователем {id} ({name}), портал {portal}' } as Record<string, string>,
    originalSha256: 'SHA-256 исходного документа',
    auditHead: 'Вершина цепочки аудита',
    sealNote:
      'Эта страница добавлена, когда подписала последняя сторона. Затем весь файл, включая эту страницу, был заверен одной цифровой печатью PAdES. Любое последующее изменение нарушает печать; проверить её можно по адресу выше.',
    developmentNote: 'Эта установка использует сгенерированный тестовый сертификат. Печать подтверждает только целостность и никого не идентифицирует.',
    roles: { signer: 'Подписант', approver: 'Согласующий', viewer: 'Наблюдатель', cc: 'Копия' } as Record<string, string>,
    partyKinds: { company: 'Компания', client: 'Клиент' } as Record<string, string>,
    methods: { typed: 'Введённое имя', drawn: 'Нарисованная подпись', uploaded: 'Загруженное изображение', stamp: 'Печать компании', approved: 'Согласование' } as Record<string, string>,
    eventNames: {
      created: 'создан',
      recipients_set: 'назначены получатели',
      sent: 'отправлен',
      delivered: 'доставлен',
      delivery_failed: 'не доставлен',
      opened: 'открыт',
      code_sent: 'код отправлен',
      code_verified: 'код подтверждён',
      code_failed: 'введён неверный код',
      code_locked: 'попытки ввода кода исчерпаны',
      field_filled: 'поле заполнено',
      signed: 'подписан',
      approved: 'согласован',
      declined: 'отклонён',
      reminded: 'отправлено напоминание',
      email_changed: 'изменён адрес эл. почты',
      resent: 'приглашение отправлено повторно',
      expired: 'срок истёк',
      voided: 'аннулирован',
      completed: 'завершён',
      sealed: 'заверен печатью',
      long_term_added: 'добавлены данные для долгосрочной проверки',
      long_term_failed: 'не удалось добавить данные для долгосрочной проверки',
      final_sent: 'итоговая копия отправлена',
    } satisfies Record<AuditEventType, string>,
    actors: { system: 'b24-sign', user: 'пользователь Битрикс24', robot: 'робот Битрикс24' },
  },
} as const;

/** "page 2 of 5" in the document's language. */
export function pageOf(lang: StampLang, page: number, pages: number): string {
  return STAMP_TEXT[lang].pageOf.replace('{page}', String(page)).replace('{pages}', String(pages));
}

/**
 * An audit actor in words: a recipient is named by the caller; `user:7` is a portal user, `robot:…` an
 * automation rule, `system` the app itself. Ids stay, they are what the audit trail can be searched by.
 */
export function actorLabel(lang: StampLang, actor: string): string {
  const a = STAMP_TEXT[lang].actors;
  if (actor === 'system') return a.system;
  const user = /^user:(\S+)$/.exec(actor);
  if (user) return `${a.user} ${user[1]}`;
  if (actor.startsWith('robot:')) return `${a.robot} ${actor.slice('robot:'.length).replace(/\(user:([^)]+)\)/, `(${a.user} $1)`)}`;
  return actor;
}

export function stampLang(lang: string | undefined): StampLang {
  const l = (lang ?? 'en').slice(0, 2).toLowerCase();
  return l === 'it' || l === 'ru' ? l : 'en';
}

/** "2026-01-15 11:00:00 GMT+01:00 (Europe/Rome)"; an unknown zone falls back to UTC rather than failing the seal. */
export function formatInZone(at: Date, timeZone: string): string {
  let zone = timeZone;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' });
  } catch {
    zone = 'UTC';
    fmt = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' });
  }
  const p = Object.fromEntries(fmt.formatToParts(at).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName} (${zone})`;
}

/** "signed in Bitrix24 as user N (name), portal P" for a `signed`/`approved` event's `inPortal` record, or undefined. */
export function inPortalLine(lang: StampLang, type: string, inPortal: unknown): string | undefined {
  if (!inPortal || typeof inPortal !== 'object') return undefined;
  const p = inPortal as { userId?: unknown; name?: unknown; domain?: unknown };
  if (typeof p.userId !== 'number') return undefined;
  const template = STAMP_TEXT[lang].inPortal[type] ?? STAMP_TEXT[lang].inPortal.signed!;
  const vars: Record<string, string> = { id: String(p.userId), name: typeof p.name === 'string' && p.name ? p.name : '—', portal: typeof p.domain === 'string' ? p.domain : '' };
  return template.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}
