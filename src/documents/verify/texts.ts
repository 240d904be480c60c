import { format, type Lang, type Messages } from '../../i18n/index.js';
import type { Verdict } from './verifier.js';

/** The verify door's words, en/it/ru. Verdicts are said plainly; details stay folded. */
export const VERIFY_TEXTS = {
  pageTitle: { en: 'Verify a signed document', it: 'Verifica un documento firmato', ru: 'Проверка подписанного документа' },
  intro: {
    en: 'Check a PDF sealed by b24-sign, or any signed PDF. The file is checked on our server and not kept.',
    it: 'Verifica un PDF sigillato da b24-sign o qualsiasi PDF firmato. Il file viene controllato sul nostro server e non viene conservato.',
    ru: 'Проверьте PDF, заверенный b24-sign, или любой подписанный PDF. Файл проверяется на нашем сервере и не сохраняется.',
  },
  dropHere: { en: 'Drop the PDF here, or choose a file', it: 'Trascina qui il PDF o scegli un file', ru: 'Перетащите PDF сюда или выберите файл' },
  check: { en: 'Check the file', it: 'Verifica il file', ru: 'Проверить файл' },
  orId: { en: 'Or enter the document ID printed on every page', it: "Oppure inserisci l'ID documento stampato su ogni pagina", ru: 'Или введите ID документа, напечатанный на каждой странице' },
  find: { en: 'Find', it: 'Cerca', ru: 'Найти' },
  maxSize: { en: 'Up to {mb} MB.', it: 'Fino a {mb} MB.', ru: 'До {mb} МБ.' },
  resultTitle: { en: 'Result', it: 'Risultato', ru: 'Результат' },
  document: { en: 'Document', it: 'Documento', ru: 'Документ' },
  documentId: { en: 'Document ID', it: 'ID documento', ru: 'ID документа' },
  status: { en: 'Status', it: 'Stato', ru: 'Статус' },
  sealedAt: { en: 'Sealed', it: 'Sigillato', ru: 'Заверено' },
  parties: { en: 'Parties', it: 'Parti', ru: 'Стороны' },
  signedAt: { en: 'signed', it: 'firmato', ru: 'подписано' },
  fileSha: { en: 'SHA-256 of the file', it: 'SHA-256 del file', ru: 'SHA-256 файла' },
  technical: { en: 'Technical details', it: 'Dettagli tecnici', ru: 'Технические подробности' },
  signature: { en: 'Signature {n}', it: 'Firma {n}', ru: 'Подпись {n}' },
  signer: { en: 'Signer certificate', it: 'Certificato del firmatario', ru: 'Сертификат подписанта' },
  issuer: { en: 'Issued by', it: 'Emesso da', ru: 'Издатель' },
  intact: { en: 'Signature intact', it: 'Firma integra', ru: 'Подпись цела' },
  trusted: { en: 'Certificate trusted by this service', it: 'Certificato riconosciuto da questo servizio', ru: 'Сертификат доверенный для этого сервиса' },
  coversAll: { en: 'Covers the whole file', it: "Copre l'intero file", ru: 'Охватывает весь файл' },
  bytesAfter: { en: 'Bytes added after it', it: 'Byte aggiunti dopo', ru: 'Байт добавлено после' },
  timestamp: { en: 'Timestamp', it: 'Marca temporale', ru: 'Метка времени' },
  claimedTime: { en: 'Claimed signing time', it: 'Ora di firma dichiarata', ru: 'Заявленное время подписи' },
  level: { en: 'PAdES level', it: 'Livello PAdES', ru: 'Уровень PAdES' },
  notLongTerm: { en: 'Why not long-term (B-LT)', it: 'Perché non a lungo termine (B-LT)', ru: 'Почему не долгосрочная (B-LT)' },
  /** One plain line per level the verifier reports (verifier.ts PadesLevel), shown under the verdict. */
  'level_B-B': {
    en: 'Basic signature: it shows who sealed the file and that it is unchanged; the signing time is only claimed.',
    it: 'Firma di base: mostra chi ha sigillato il file e che non è cambiato; l’ora della firma è solo dichiarata.',
    ru: 'Базовая подпись: показывает, кто заверил файл и что он не изменён; время подписи только заявлено.',
  },
  'level_B-T': {
    en: 'With a timestamp: an independent timestamp authority confirms the signature existed at that time.',
    it: 'Con marca temporale: un’autorità indipendente conferma che la firma esisteva in quel momento.',
    ru: 'С меткой времени: независимая служба времени подтверждает, что подпись существовала в тот момент.',
  },
  'level_B-LT': {
    en: 'Long-term: the file also holds proof that no certificate was revoked, so it can be checked without asking the issuers.',
    it: 'A lungo termine: il file contiene anche la prova che nessun certificato era revocato, verificabile senza interpellare gli emittenti.',
    ru: 'Долгосрочная: файл также содержит подтверждение, что сертификаты не отозваны, и проверяется без обращения к издателям.',
  },
  'level_B-LTA': {
    en: 'Long-term with archive timestamp: that proof is itself timestamped, so the file stays checkable after the certificates expire.',
    it: 'A lungo termine con marca d’archivio: quella prova è a sua volta marcata, così il file resta verificabile dopo la scadenza dei certificati.',
    ru: 'Долгосрочная с архивной меткой: эти доказательства сами заверены меткой времени, и файл проверяем после истечения сертификатов.',
  },
  problem: { en: 'Problem', it: 'Problema', ru: 'Проблема' },
  anomaly: { en: 'Coverage anomaly', it: 'Anomalia di copertura', ru: 'Аномалия охвата' },
  unsupported: { en: 'Cannot be checked here', it: 'Non verificabile qui', ru: 'Здесь проверить нельзя' },
  laterUpdates: { en: 'Added after it', it: 'Aggiunto dopo', ru: 'Добавлено после' },
  yes: { en: 'yes', it: 'sì', ru: 'да' },
  no: { en: 'no', it: 'no', ru: 'нет' },
  another: { en: 'Check another file', it: 'Verifica un altro file', ru: 'Проверить другой файл' },
  notFoundTitle: { en: 'No document with this ID', it: 'Nessun documento con questo ID', ru: 'Документ с таким ID не найден' },
  notFound: {
    en: 'Check the ID printed at the bottom of each page, or upload the file instead.',
    it: "Controlla l'ID stampato in fondo a ogni pagina, oppure carica il file.",
    ru: 'Проверьте ID внизу каждой страницы или загрузите файл.',
  },
  recordFound: {
    en: 'This document was sealed by b24-sign. To check that your copy is the same, upload it below; its SHA-256 must be:',
    it: 'Questo documento è stato sigillato da b24-sign. Per verificare che la tua copia sia identica, caricala qui sotto; il suo SHA-256 deve essere:',
    ru: 'Этот документ заверен b24-sign. Чтобы убедиться, что ваша копия та же, загрузите её ниже; её SHA-256 должен быть:',
  },
  development: {
    en: 'Sealed with a development certificate: a test installation; the seal identifies nobody.',
    it: 'Sigillato con un certificato di sviluppo: installazione di prova; il sigillo non identifica nessuno.',
    ru: 'Заверено тестовым сертификатом (development certificate): тестовая установка, печать никого не идентифицирует.',
  },
  noRecord: {
    en: 'The seal is ours and intact, but this service has no record of the document (it may come from another installation).',
    it: 'Il sigillo è nostro e integro, ma questo servizio non ha traccia del documento (potrebbe provenire da un’altra installazione).',
    ru: 'Печать наша и цела, но у этого сервиса нет записи о документе (возможно, он из другой установки).',
  },
  untrusted: {
    en: 'The signer’s certificate is not one this service trusts: the file is intact, but who signed it is not confirmed.',
    it: 'Il certificato del firmatario non è tra quelli riconosciuti da questo servizio: il file è integro, ma chi l’ha firmato non è confermato.',
    ru: 'Сертификат подписанта не входит в доверенные для этого сервиса: файл цел, но личность подписавшего не подтверждена.',
  },
  encrypted: {
    en: 'The file is password-protected (encrypted); signatures were still checked.',
    it: 'Il file è protetto da password (cifrato); le firme sono state comunque verificate.',
    ru: 'Файл защищён паролем (зашифрован); подписи всё равно проверены.',
  },
  role_signer: { en: 'signer', it: 'firmatario', ru: 'подписант' },
  role_approver: { en: 'approver', it: 'approvatore', ru: 'согласующий' },
  role_viewer: { en: 'viewer', it: 'osservatore', ru: 'наблюдатель' },
  role_cc: { en: 'copy', it: 'copia', ru: 'копия' },
  party_company: { en: 'company', it: 'azienda', ru: 'компания' },
  party_client: { en: 'client', it: 'cliente', ru: 'клиент' },
  status_completed: { en: 'completed', it: 'completato', ru: 'завершён' },
  status_revoked: { en: 'revoked', it: 'revocato', ru: 'отозван' },
  status_other: { en: 'unknown', it: 'sconosciuto', ru: 'неизвестен' },
  developmentTitle: { en: 'Test seal: not for real use', it: 'Sigillo di prova: non per uso reale', ru: 'Тестовая печать: не для реального использования' },
  developmentCertificate: {
    en: 'A development certificate made by this installation for testing; it identifies nobody.',
    it: 'Un certificato di sviluppo creato da questa installazione per le prove; non identifica nessuno.',
    ru: 'Тестовый сертификат, созданный этой установкой для проверки работы; он никого не идентифицирует.',
  },
  certificate: { en: 'Certificate', it: 'Certificato', ru: 'Сертификат' },
  /** How each party was identified (documents/verify/identification.ts). */
  idTitle: { en: 'How the signers were identified', it: 'Come sono stati identificati i firmatari', ru: 'Как были установлены личности подписавших' },
  idSigned: { en: 'signed on {when} from IP address {ip};', it: 'ha firmato il {when} dall’indirizzo IP {ip};', ru: 'подпись поставлена {when} с IP-адреса {ip};' },
  idApproved: { en: 'approved on {when} from IP address {ip};', it: 'ha approvato il {when} dall’indirizzo IP {ip};', ru: 'согласование — {when} с IP-адреса {ip};' },
  idEmailCode: {
    en: 'identity confirmed with a one-time code sent by e-mail to {email} (entered on {when}).',
    it: 'identità confermata con un codice monouso inviato per e-mail a {email} (inserito il {when}).',
    ru: 'личность подтверждена одноразовым кодом, отправленным на эл. почту {email} (введён {when}).',
  },
  idBitrix24: {
    en: 'signed in to Bitrix24 as user {id} of the portal {portal}; Bitrix24 vouched for who it was.',
    it: 'con accesso a Bitrix24 come utente {id} del portale {portal}; è Bitrix24 ad attestarne l’identità.',
    ru: 'вход в Битрикс24 как пользователь {id} портала {portal}; личность подтвердил Битрикс24.',
  },
  idBitrix24NoPortal: {
    en: 'signed in to Bitrix24 as user {id}; Bitrix24 vouched for who it was.',
    it: 'con accesso a Bitrix24 come utente {id}; è Bitrix24 ad attestarne l’identità.',
    ru: 'вход в Битрикс24 как пользователь {id}; личность подтвердил Битрикс24.',
  },
  idUnknown: { en: 'no identity check is recorded.', it: 'nessuna verifica d’identità registrata.', ru: 'проверка личности не записана.' },
  /** The two hashes, named and explained. */
  fpTitle: { en: 'Fingerprints (SHA-256)', it: 'Impronte (SHA-256)', ru: 'Отпечатки (SHA-256)' },
  fpIntro: {
    en: 'A fingerprint is a code computed from a file’s bytes: changing even one byte gives a different one.',
    it: 'Un’impronta è un codice calcolato dai byte di un file: cambiare anche un solo byte ne produce un’altra.',
    ru: 'Отпечаток — код, вычисленный из байтов файла: изменение даже одного байта даёт другой код.',
  },
  fpThisFile: { en: 'This file', it: 'Questo file', ru: 'Этот файл' },
  fpThisFileHelp: {
    en: 'The fingerprint of the file you checked, as it is now.',
    it: 'L’impronta del file che hai verificato, così com’è ora.',
    ru: 'Отпечаток проверенного вами файла в его нынешнем виде.',
  },
  fpSealed: { en: 'Sealed document', it: 'Documento sigillato', ru: 'Заверенный документ' },
  fpSealedHelp: {
    en: 'Your copy is this document only if its fingerprint is exactly this one.',
    it: 'La tua copia è questo documento solo se la sua impronta è esattamente questa.',
    ru: 'Ваша копия — этот документ, только если её отпечаток в точности такой.',
  },
  fpOriginal: { en: 'Original document', it: 'Documento originale', ru: 'Исходный документ' },
  fpOriginalHelp: {
    en: 'The document before signatures, stamps and the certificate page were added (printed on that page). It differs from the sealed file because of those additions.',
    it: 'Il documento prima che vi fossero aggiunti firme, timbri e la pagina del certificato (stampata su quella pagina). Differisce dal file sigillato proprio per queste aggiunte.',
    ru: 'Документ до добавления подписей, печатей и страницы сертификата (напечатан на этой странице). Отличается от заверенного файла именно этими добавлениями.',
  },
  shareTitle: { en: 'Link to this result', it: 'Link a questo risultato', ru: 'Ссылка на этот результат' },
  shareHelp: {
    en: 'Anyone with this link sees this result without uploading the file; it shows nothing more than this page.',
    it: 'Chiunque abbia questo link vede questo risultato senza caricare il file; non mostra nulla più di questa pagina.',
    ru: 'По этой ссылке результат виден без загрузки файла; она показывает не больше, чем эта страница.',
  },
  shareOpen: { en: 'Open the link', it: 'Apri il link', ru: 'Открыть ссылку' },
  /** The technical table's terms, each with one plain line. */
  format: { en: 'Signature format', it: 'Formato della firma', ru: 'Формат подписи' },
  formatHelp: { en: 'The standard the signature follows.', it: 'Lo standard seguito dalla firma.', ru: 'Стандарт, которому следует подпись.' },
  intactHelp: {
    en: 'The signed bytes are exactly as they were when signed.',
    it: 'I byte firmati sono esattamente come al momento della firma.',
    ru: 'Подписанные байты в точности такие, как при подписании.',
  },
  trustedHelp: {
    en: 'The certificate leads to an issuer this service recognises.',
    it: 'Il certificato risale a un emittente riconosciuto da questo servizio.',
    ru: 'Сертификат восходит к издателю, которого признаёт этот сервис.',
  },
  claimedTimeHelp: {
    en: 'The time the signer’s computer stated; nobody confirms it.',
    it: 'L’ora dichiarata dal computer di chi firma; nessuno la conferma.',
    ru: 'Время, указанное компьютером подписанта; никто его не подтверждает.',
  },
  timestampHelp: {
    en: 'An independent time service’s proof that the signature existed at that moment.',
    it: 'La prova di un servizio orario indipendente che la firma esisteva in quel momento.',
    ru: 'Подтверждение независимой службы времени, что подпись существовала в тот момент.',
  },
  levelHelp: {
    en: 'The European standard level (PAdES) of the signature: how much proof it carries.',
    it: 'Il livello dello standard europeo (PAdES) della firma: quante prove contiene.',
    ru: 'Уровень европейского стандарта (PAdES) подписи: сколько доказательств она содержит.',
  },
  tsVerified: { en: 'verified', it: 'verificata', ru: 'проверена' },
  tsNotVerified: { en: 'not verified', it: 'non verificata', ru: 'не проверена' },
  noTimestamp: { en: 'none', it: 'nessuna', ru: 'нет' },
} satisfies Messages;

export type VerifyTextKey = keyof typeof VERIFY_TEXTS;

export const VERDICT_TEXTS: Record<Verdict, { title: Record<Lang, string>; body: Record<Lang, string>; tone: 'good' | 'warn' | 'bad' | 'neutral' }> = {
  sealed_unchanged: {
    tone: 'good',
    title: { en: 'Sealed by b24-sign and unchanged', it: 'Sigillato da b24-sign e non modificato', ru: 'Заверено b24-sign и не изменено' },
    body: {
      en: 'This file is exactly as it was sealed. Nothing has been changed since.',
      it: 'Questo file è esattamente come è stato sigillato. Da allora non è stato modificato nulla.',
      ru: 'Файл в точности такой, каким был заверен. С тех пор ничего не изменено.',
    },
  },
  valid_other_signer: {
    tone: 'neutral',
    title: { en: 'Valid signature from someone else', it: 'Firma valida di un altro soggetto', ru: 'Действительная подпись другого подписанта' },
    body: {
      en: 'The file carries an intact digital signature, but it was not sealed by this b24-sign service.',
      it: 'Il file ha una firma digitale integra, ma non è stato sigillato da questo servizio b24-sign.',
      ru: 'В файле есть целая цифровая подпись, но он заверен не этим сервисом b24-sign.',
    },
  },
  modified_after_sealing: {
    tone: 'bad',
    title: { en: 'Changed after signing', it: 'Modificato dopo la firma', ru: 'Изменён после подписания' },
    body: {
      en: 'The signature itself is intact, but something was added to the file after it was signed. Ask the sender for the original.',
      it: 'La firma in sé è integra, ma al file è stato aggiunto qualcosa dopo la firma. Chiedi l’originale al mittente.',
      ru: 'Сама подпись цела, но после подписания в файл что-то добавили. Запросите оригинал у отправителя.',
    },
  },
  coverage_anomaly: {
    tone: 'bad',
    title: { en: 'Signature does not cover the document', it: 'La firma non copre il documento', ru: 'Подпись не охватывает документ' },
    body: {
      en: 'The signature is laid out in an unusual way: it protects only part of the file, so it proves nothing about the rest. Ask the sender for a properly signed copy.',
      it: 'La firma è strutturata in modo anomalo: protegge solo una parte del file, quindi non dimostra nulla sul resto. Chiedi al mittente una copia firmata correttamente.',
      ru: 'Подпись устроена необычно: она защищает только часть файла и ничего не доказывает об остальном. Запросите у отправителя правильно подписанную копию.',
    },
  },
  cannot_check: {
    tone: 'warn',
    title: { en: 'Cannot be checked here', it: 'Non verificabile qui', ru: 'Здесь проверить нельзя' },
    body: {
      en: 'The file is signed with an algorithm this service cannot check. This is not a sign of tampering; check it with software that supports the algorithm.',
      it: 'Il file è firmato con un algoritmo che questo servizio non sa verificare. Non è un segno di alterazione; verificalo con un software che supporta l’algoritmo.',
      ru: 'Файл подписан алгоритмом, который этот сервис не умеет проверять. Это не признак подделки; проверьте его программой, поддерживающей этот алгоритм.',
    },
  },
  signature_broken: {
    tone: 'bad',
    title: { en: 'Signature broken', it: 'Firma non valida', ru: 'Подпись нарушена' },
    body: {
      en: 'The file was altered or its signature is damaged. Do not rely on this copy.',
      it: 'Il file è stato alterato o la sua firma è danneggiata. Non fare affidamento su questa copia.',
      ru: 'Файл изменён или его подпись повреждена. Не полагайтесь на эту копию.',
    },
  },
  no_signature: {
    tone: 'warn',
    title: { en: 'No digital signature', it: 'Nessuna firma digitale', ru: 'Нет цифровой подписи' },
    body: {
      en: 'This PDF carries no digital signature, so nothing proves it is unchanged.',
      it: 'Questo PDF non ha firme digitali, quindi nulla dimostra che non sia stato modificato.',
      ru: 'В этом PDF нет цифровой подписи, поэтому ничто не подтверждает его неизменность.',
    },
  },
  not_a_pdf: {
    tone: 'warn',
    title: { en: 'Not a PDF', it: 'Non è un PDF', ru: 'Это не PDF' },
    body: { en: 'The file is not a PDF document.', it: 'Il file non è un documento PDF.', ru: 'Файл не является PDF-документом.' },
  },
};

/**
 * The technical table's per-signature messages by machine code (message-codes.ts): `problem_*`,
 * `anomaly_*`, `longTerm_*`, `later_*` (what was added after a signature). Parameters in braces; `*_other` is the translated generic reason for a
 * message the table does not know (its English detail stays in the JSON API only).
 */
export const VERIFY_MESSAGE_TEXTS = {
  problem_unreadable: { en: 'The signature cannot be read.', it: 'La firma non è leggibile.', ru: 'Подпись не удаётся прочитать.' },
  problem_too_many_signatures: {
    en: 'Not checked: the file holds too many large signatures.',
    it: 'Non verificata: il file contiene troppe firme di grandi dimensioni.',
    ru: 'Не проверена: в файле слишком много больших подписей.',
  },
  problem_byte_range_malformed: {
    en: 'The signed byte ranges (ByteRange) are not written correctly.',
    it: 'Gli intervalli di byte firmati (ByteRange) non sono scritti correttamente.',
    ru: 'Подписанные диапазоны байтов (ByteRange) записаны неправильно.',
  },
  problem_byte_range_outside: {
    en: 'The signed byte ranges (ByteRange) point outside the file or overlap.',
    it: 'Gli intervalli di byte firmati (ByteRange) escono dal file o si sovrappongono.',
    ru: 'Подписанные диапазоны байтов (ByteRange) выходят за пределы файла или перекрываются.',
  },
  problem_contents_too_large: {
    en: 'The signature’s data (/Contents) is implausibly large.',
    it: 'I dati della firma (/Contents) sono di dimensioni non plausibili.',
    ru: 'Данные подписи (/Contents) неправдоподобно велики.',
  },
  problem_digest_mismatch: {
    en: 'The document’s bytes do not match what was signed: the file was changed after signing.',
    it: 'I byte del documento non corrispondono a quanto firmato: il file è stato modificato dopo la firma.',
    ru: 'Байты документа не совпадают с подписанными: файл изменён после подписания.',
  },
  problem_signed_attributes_incomplete: {
    en: 'The signature lacks required signed attributes (content type or message digest).',
    it: 'Alla firma mancano attributi firmati obbligatori (tipo di contenuto o impronta del messaggio).',
    ru: 'В подписи нет обязательных подписанных атрибутов (тип содержимого или хеш сообщения).',
  },
  problem_signer_certificate_missing: {
    en: 'The signer’s certificate is not included in the signature.',
    it: 'Il certificato del firmatario non è incluso nella firma.',
    ru: 'Сертификат подписанта не включён в подпись.',
  },
  problem_cms_malformed: {
    en: 'The signature’s data is not a well-formed CMS signature.',
    it: 'I dati della firma non sono una firma CMS ben formata.',
    ru: 'Данные подписи не являются корректной подписью CMS.',
  },
  problem_too_many_certificates: {
    en: 'The signature carries an implausible number of certificates.',
    it: 'La firma contiene un numero non plausibile di certificati.',
    ru: 'Подпись содержит неправдоподобно много сертификатов.',
  },
  problem_signature_empty: {
    en: 'The signature is empty: its placeholder was never filled.',
    it: 'La firma è vuota: lo spazio riservato non è mai stato riempito.',
    ru: 'Подпись пуста: место для неё так и не заполнено.',
  },
  problem_not_one_signer: {
    en: 'The signature must have exactly one signer.',
    it: 'La firma deve avere esattamente un firmatario.',
    ru: 'У подписи должен быть ровно один подписант.',
  },
  problem_signature_value_invalid: {
    en: 'The signature value does not verify.',
    it: 'Il valore della firma non risulta valido.',
    ru: 'Значение подписи не проходит проверку.',
  },
  problem_not_checkable: {
    en: 'It uses an algorithm this service cannot check.',
    it: 'Usa un algoritmo che questo servizio non può verificare.',
    ru: 'Используется алгоритм, который этот сервис не может проверить.',
  },
  problem_anomaly_contents_unreadable: {
    en: '{anomaly} Also, the signature’s data (/Contents) cannot be read.',
    it: '{anomaly} Inoltre, i dati della firma (/Contents) non sono leggibili.',
    ru: '{anomaly} Кроме того, данные подписи (/Contents) не удаётся прочитать.',
  },
  problem_other: {
    en: 'The signature does not verify.',
    it: 'La firma non risulta valida.',
    ru: 'Подпись не проходит проверку.',
  },
  anomaly_ranges_not_two: {
    en: 'The signed byte ranges are not exactly two.',
    it: 'Gli intervalli di byte firmati non sono esattamente due.',
    ru: 'Подписанных диапазонов байтов не ровно два.',
  },
  anomaly_ranges_not_from_start: {
    en: 'The signed byte ranges do not start at the beginning of the file.',
    it: 'Gli intervalli di byte firmati non iniziano all’inizio del file.',
    ru: 'Подписанные диапазоны байтов начинаются не с начала файла.',
  },
  anomaly_ranges_not_revision_end: {
    en: 'The signed byte ranges do not end where a revision of the file ends (%%EOF).',
    it: 'Gli intervalli di byte firmati non terminano dove termina una revisione del file (%%EOF).',
    ru: 'Подписанные диапазоны байтов заканчиваются не там, где заканчивается редакция файла (%%EOF).',
  },
  anomaly_ranges_overlap: { en: 'The signed byte ranges overlap.', it: 'Gli intervalli di byte firmati si sovrappongono.', ru: 'Подписанные диапазоны байтов перекрываются.' },
  anomaly_gap_not_contents: {
    en: 'The unsigned part of the file is not the signature’s own data (/Contents).',
    it: 'La parte non firmata del file non è costituita dai dati della firma (/Contents).',
    ru: 'Неподписанная часть файла — не собственные данные подписи (/Contents).',
  },
  anomaly_contents_odd_length: {
    en: 'The signature’s data (/Contents) has an odd or zero length.',
    it: 'I dati della firma (/Contents) hanno lunghezza dispari o nulla.',
    ru: 'Данные подписи (/Contents) имеют нечётную или нулевую длину.',
  },
  anomaly_gap_holds_more: {
    en: 'The unsigned part of the file holds more than the signature’s data (/Contents).',
    it: 'La parte non firmata del file contiene più dei soli dati della firma (/Contents).',
    ru: 'Неподписанная часть файла содержит больше, чем данные подписи (/Contents).',
  },
  anomaly_contents_other_object: {
    en: 'The signature’s data (/Contents) and its byte ranges (/ByteRange) belong to different objects.',
    it: 'I dati della firma (/Contents) e i suoi intervalli di byte (/ByteRange) appartengono a oggetti diversi.',
    ru: 'Данные подписи (/Contents) и её диапазоны байтов (/ByteRange) относятся к разным объектам.',
  },
  anomaly_other: {
    en: 'The signed byte ranges are laid out in an unusual way.',
    it: 'Gli intervalli di byte firmati sono disposti in modo insolito.',
    ru: 'Подписанные диапазоны байтов расположены необычно.',
  },
  /** Appended to every coverage anomaly: what it means. */
  anomaly_meaning: {
    en: 'The signature verifies only over the ranges it declares, which is not the whole document.',
    it: 'La firma è valida solo sugli intervalli che dichiara, che non sono l’intero documento.',
    ru: 'Подпись верна только для заявленных ею диапазонов, а это не весь документ.',
  },
  longTerm_no_revocation_data: {
    en: 'The file’s validation data (DSS) has no revocation information for: {certificates}.',
    it: 'I dati di convalida del file (DSS) non contengono informazioni di revoca per: {certificates}.',
    ru: 'В данных проверки файла (DSS) нет сведений об отзыве для: {certificates}.',
  },
  later_validation_only: {
    en: 'Only validation data: {adds}.',
    it: 'Solo dati di convalida: {adds}.',
    ru: 'Только данные для проверки: {adds}.',
  },
  later_add_dss: { en: 'certificates and revocation data (DSS)', it: 'certificati e dati di revoca (DSS)', ru: 'сертификаты и сведения об отзыве (DSS)' },
  later_add_timestamp: { en: 'a document timestamp', it: 'una marca temporale del documento', ru: 'метка времени документа' },
  later_add_nothing: { en: 'nothing', it: 'nulla', ru: 'ничего' },
  later_other_changes: {
    en: 'Changes that are not only validation data.',
    it: 'Modifiche che non sono solo dati di convalida.',
    ru: 'Изменения, которые не сводятся к данным для проверки.',
  },
  later_other: {
    en: 'Changes that are not only validation data.',
    it: 'Modifiche che non sono solo dati di convalida.',
    ru: 'Изменения, которые не сводятся к данным для проверки.',
  },
  longTerm_other: {
    en: 'The file lacks the validation data needed for long-term checking.',
    it: 'Al file mancano i dati di convalida necessari per la verifica a lungo termine.',
    ru: 'В файле нет данных проверки, нужных для долгосрочной проверки.',
  },
} satisfies Messages;

/** A coded verifier message in `lang`; an unknown code is the group's generic `*_other` text. */
export function verifyMessage(lang: Lang, group: 'problem' | 'anomaly' | 'longTerm' | 'later', m: { code: string; params?: Record<string, string> }): string {
  const table = VERIFY_MESSAGE_TEXTS as Messages;
  const entry = table[`${group}_${m.code}`] ?? table[`${group}_other`]!;
  const params = { ...m.params };
  // A nested anomaly code (problem_anomaly_contents_unreadable) is said in the same language.
  if (params.anomaly) params.anomaly = verifyMessage(lang, 'anomaly', { code: params.anomaly });
  // What a validation-only update adds, each said in the same language.
  if ('adds' in params) {
    const said = (a: string) => (table[`later_add_${a}`]?.[lang] || table[`later_add_${a}`]?.en) ?? a;
    params.adds = (params.adds ? params.adds.split(',') : ['nothing']).map(said).join(', ');
  }
  return format(entry[lang] || entry.en, params);
}
