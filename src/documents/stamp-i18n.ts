/** Labels for the page stripe and the certificate of completion, in the product's languages. */
export type StampLang = 'en' | 'it' | 'ru';

export const STAMP_TEXT = {
  en: {
    documentId: 'Document ID',
    verifyAt: 'Verify at',
    page: 'Page',
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
    originalSha256: 'SHA-256 of the original document',
    auditHead: 'Head of the audit chain',
    sealNote:
      'This page was added when the last party signed. The whole file, this page included, was then sealed with one PAdES digital seal. Any later change breaks the seal; check it at the address above.',
    developmentNote: 'This installation seals with a generated development certificate. The seal shows integrity only and identifies nobody.',
    roles: { signer: 'Signer', approver: 'Approver', viewer: 'Viewer', cc: 'Copy' } as Record<string, string>,
    partyKinds: { company: 'Company', client: 'Client' } as Record<string, string>,
    methods: { typed: 'Typed name', drawn: 'Drawn signature', uploaded: 'Uploaded image', stamp: 'Company stamp', approved: 'Approval' } as Record<string, string>,
  },
  it: {
    documentId: 'ID documento',
    verifyAt: 'Verifica su',
    page: 'Pagina',
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
    originalSha256: 'SHA-256 del documento originale',
    auditHead: 'Testa della catena di audit',
    sealNote:
      "Questa pagina è stata aggiunta quando l'ultima parte ha firmato. L'intero file, questa pagina compresa, è stato poi sigillato con un unico sigillo digitale PAdES. Qualsiasi modifica successiva invalida il sigillo; verificalo all'indirizzo indicato sopra.",
    developmentNote: 'Questa installazione sigilla con un certificato di sviluppo generato. Il sigillo attesta solo l’integrità e non identifica nessuno.',
    roles: { signer: 'Firmatario', approver: 'Approvatore', viewer: 'Osservatore', cc: 'Copia' } as Record<string, string>,
    partyKinds: { company: 'Azienda', client: 'Cliente' } as Record<string, string>,
    methods: { typed: 'Nome digitato', drawn: 'Firma disegnata', uploaded: 'Immagine caricata', stamp: 'Timbro aziendale', approved: 'Approvazione' } as Record<string, string>,
  },
  ru: {
    documentId: 'ID документа',
    verifyAt: 'Проверка',
    page: 'Стр.',
    developmentLabel: 'ТЕСТОВЫЙ СЕРТИФИКАТ (development certificate): не для реальных документов',
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
    email: 'E-mail',
    originalSha256: 'SHA-256 исходного документа',
    auditHead: 'Вершина цепочки аудита',
    sealNote:
      'Эта страница добавлена, когда подписала последняя сторона. Затем весь файл, включая эту страницу, был заверен одной цифровой печатью PAdES. Любое последующее изменение нарушает печать; проверить её можно по адресу выше.',
    developmentNote: 'Эта установка использует сгенерированный тестовый сертификат. Печать подтверждает только целостность и никого не идентифицирует.',
    roles: { signer: 'Подписант', approver: 'Согласующий', viewer: 'Наблюдатель', cc: 'Копия' } as Record<string, string>,
    partyKinds: { company: 'Компания', client: 'Клиент' } as Record<string, string>,
    methods: { typed: 'Введённое имя', drawn: 'Нарисованная подпись', uploaded: 'Загруженное изображение', stamp: 'Печать компании', approved: 'Согласование' } as Record<string, string>,
  },
} as const;

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
