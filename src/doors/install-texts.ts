import type { Messages } from '../i18n/index.js';

/** Texts of the install, status and start pages. `{x}` placeholders are filled by `format`. */
export const INSTALL_MESSAGES = {
  installedTitle: { en: 'b24-sign is installed', it: 'b24-sign è installato', ru: 'b24-sign установлен' },
  installedBody: {
    en: 'Placements, the automation rule and event handlers are registered. Finishing the installation in Bitrix24…',
    it: 'Schede, regola di automazione e gestori di eventi sono registrati. Completamento dell’installazione in Bitrix24…',
    ru: 'Вкладки, правило автоматизации и обработчики событий зарегистрированы. Завершаем установку в Битрикс24…',
  },
  problemTitle: { en: 'The installation needs your attention', it: 'L’installazione richiede la tua attenzione', ru: 'Установка требует вашего внимания' },
  not_admin: {
    en: 'Only a Bitrix24 administrator can install b24-sign. Ask an administrator of your portal to open the app once; after that everyone can use it.',
    it: 'Solo un amministratore di Bitrix24 può installare b24-sign. Chiedi a un amministratore del portale di aprire l’app una volta; dopo potranno usarla tutti.',
    ru: 'Установить b24-sign может только администратор Битрикс24. Попросите администратора портала один раз открыть приложение; после этого им смогут пользоваться все.',
  },
  missing_scope: {
    en: 'The app lacks these permissions: {scopes}. In Bitrix24 open Developer resources → Other → your local application (for a Market app: its version settings), tick these scopes, save and reinstall the app.',
    it: 'All’app mancano questi permessi: {scopes}. In Bitrix24 apri Risorse per sviluppatori → Altro → la tua applicazione locale (per un’app del Market: le impostazioni della versione), seleziona questi permessi, salva e reinstalla l’app.',
    ru: 'Приложению не хватает прав: {scopes}. В Битрикс24 откройте «Разработчикам» → «Другое» → ваше локальное приложение (для приложения Маркета — настройки версии), отметьте эти права, сохраните и переустановите приложение.',
  },
  unreachable: {
    en: 'b24-sign could not reach your Bitrix24 portal or its authorization server. Check that the portal is online and that this server can make outgoing HTTPS requests, then open the app again.',
    it: 'b24-sign non è riuscito a raggiungere il portale Bitrix24 o il suo server di autorizzazione. Verifica che il portale sia online e che questo server possa fare richieste HTTPS in uscita, poi riapri l’app.',
    ru: 'b24-sign не смог связаться с порталом Битрикс24 или его сервером авторизации. Проверьте, что портал доступен и что этот сервер может делать исходящие HTTPS-запросы, затем откройте приложение снова.',
  },
  unauthorized: {
    en: 'This request could not be verified as coming from your Bitrix24 portal. Open the app from Bitrix24 again; if it keeps happening, reinstall the app.',
    it: 'Non è stato possibile verificare che questa richiesta provenga dal tuo portale Bitrix24. Riapri l’app da Bitrix24; se succede ancora, reinstalla l’app.',
    ru: 'Не удалось подтвердить, что запрос пришёл с вашего портала Битрикс24. Откройте приложение из Битрикс24 ещё раз; если ошибка повторяется, переустановите приложение.',
  },
  not_installed: {
    en: 'b24-sign is not installed on this portal (or was uninstalled). Ask your Bitrix24 administrator to install it from the application list.',
    it: 'b24-sign non è installato su questo portale (o è stato disinstallato). Chiedi all’amministratore di Bitrix24 di installarlo dall’elenco delle applicazioni.',
    ru: 'b24-sign не установлен на этом портале (или был удалён). Попросите администратора Битрикс24 установить его из списка приложений.',
  },
  wrong_handler_url: {
    en: 'Bitrix24 refused our handler addresses. PUBLIC_URL must be the public HTTPS address of this server on the domain the app is registered with (now: {publicUrl}). Fix it and open the app again.',
    it: 'Bitrix24 ha rifiutato gli indirizzi dei nostri gestori. PUBLIC_URL deve essere l’indirizzo HTTPS pubblico di questo server, sul dominio con cui l’app è registrata (ora: {publicUrl}). Correggilo e riapri l’app.',
    ru: 'Битрикс24 отклонил адреса наших обработчиков. PUBLIC_URL должен быть публичным HTTPS-адресом этого сервера на домене, с которым зарегистрировано приложение (сейчас: {publicUrl}). Исправьте и откройте приложение снова.',
  },
  bad_request: {
    en: 'The request from Bitrix24 was incomplete or malformed. Open the app from Bitrix24 again.',
    it: 'La richiesta di Bitrix24 era incompleta o non valida. Riapri l’app da Bitrix24.',
    ru: 'Запрос от Битрикс24 был неполным или некорректным. Откройте приложение из Битрикс24 ещё раз.',
  },
  other: {
    en: 'Registering b24-sign in Bitrix24 failed ({error}). Open the app again to retry; if it persists, contact support and quote the request id.',
    it: 'La registrazione di b24-sign in Bitrix24 non è riuscita ({error}). Riapri l’app per riprovare; se persiste, contatta l’assistenza indicando l’id della richiesta.',
    ru: 'Не удалось зарегистрировать b24-sign в Битрикс24 ({error}). Откройте приложение снова, чтобы повторить; если ошибка не исчезает, обратитесь в поддержку и укажите id запроса.',
  },
  internal: {
    en: 'Something went wrong on our side. Open the page again; if it persists, contact support and quote the request id.',
    it: 'Si è verificato un errore da parte nostra. Riapri la pagina; se persiste, contatta l’assistenza indicando l’id della richiesta.',
    ru: 'На нашей стороне произошла ошибка. Откройте страницу снова; если ошибка повторяется, обратитесь в поддержку и укажите id запроса.',
  },
  requestId: { en: 'Request id', it: 'Id richiesta', ru: 'Id запроса' },
  errorCode: { en: 'Error code', it: 'Codice errore', ru: 'Код ошибки' },
  // Status page
  statusTitle: { en: 'b24-sign — installation status', it: 'b24-sign — stato dell’installazione', ru: 'b24-sign — состояние установки' },
  portal: { en: 'Portal', it: 'Portale', ru: 'Портал' },
  status: { en: 'Status', it: 'Stato', ru: 'Статус' },
  installedBy: { en: 'Installed by user', it: 'Installato dall’utente', ru: 'Установил пользователь' },
  scopes: { en: 'Permissions (scopes)', it: 'Permessi (scope)', ru: 'Права (scope)' },
  missingScopes: { en: 'missing: {scopes}', it: 'mancanti: {scopes}', ru: 'не хватает: {scopes}' },
  recommendedScopes: {
    en: 'recommended, not granted: {scopes} (messenger invitations, document-generator files)',
    it: 'consigliati, non concessi: {scopes} (inviti via messenger, file del generatore di documenti)',
    ru: 'рекомендуются, не выданы: {scopes} (приглашения в мессенджере, файлы генератора документов)',
  },
  registered: { en: 'What is registered', it: 'Cosa è registrato', ru: 'Что зарегистрировано' },
  placements: { en: 'Placements', it: 'Posizionamenti', ru: 'Встраивания' },
  robots: { en: 'Automation rules', it: 'Regole di automazione', ru: 'Роботы' },
  triggers: { en: 'Automation triggers', it: 'Trigger di automazione', ru: 'Триггеры' },
  events: { en: 'Event handlers', it: 'Gestori di eventi', ru: 'Обработчики событий' },
  yes: { en: 'registered', it: 'registrato', ru: 'зарегистрировано' },
  no: { en: 'missing', it: 'mancante', ru: 'отсутствует' },
  readFailed: {
    en: 'Could not read the registrations from Bitrix24: {error}',
    it: 'Impossibile leggere le registrazioni da Bitrix24: {error}',
    ru: 'Не удалось прочитать регистрации из Битрикс24: {error}',
  },
  lastError: { en: 'Last error', it: 'Ultimo errore', ru: 'Последняя ошибка' },
  none: { en: 'none', it: 'nessuno', ru: 'нет' },
  repair: { en: 'Register again', it: 'Registra di nuovo', ru: 'Зарегистрировать заново' },
  repairDone: { en: 'Done. Reload to see the result.', it: 'Fatto. Ricarica per vedere il risultato.', ru: 'Готово. Обновите страницу, чтобы увидеть результат.' },
  repairFailed: { en: 'Failed: {error}', it: 'Non riuscito: {error}', ru: 'Ошибка: {error}' },
  doctor: { en: 'Check the portal', it: 'Controlla il portale', ru: 'Проверить портал' },
  doctorHealthy: { en: 'Everything the app needs answers as expected.', it: "Tutto ciò che serve all'app risponde come previsto.", ru: 'Всё, что нужно приложению, отвечает как ожидается.' },
  doctorProblems: { en: '{count} problem(s):', it: '{count} problema/i:', ru: 'Проблем: {count}:' },
  // Placement start page
  startTitle: { en: 'b24-sign', it: 'b24-sign', ru: 'b24-sign' },
  startBody: {
    en: 'This is the starting page of b24-sign for {placement}. The signing screens for this place arrive in a later version.',
    it: 'Questa è la pagina iniziale di b24-sign per {placement}. Le schermate di firma per questo punto arriveranno in una versione successiva.',
    ru: 'Это стартовая страница b24-sign для {placement}. Экраны подписания для этого места появятся в следующей версии.',
  },
  crmItem: { en: 'CRM item', it: 'Elemento CRM', ru: 'Элемент CRM' },
  signedInAs: { en: 'Signed in as Bitrix24 user {id}{admin}', it: 'Accesso come utente Bitrix24 {id}{admin}', ru: 'Вход выполнен как пользователь Битрикс24 {id}{admin}' },
  adminSuffix: { en: ' (administrator)', it: ' (amministratore)', ru: ' (администратор)' },
  sessionChecking: { en: 'Checking the session…', it: 'Verifica della sessione…', ru: 'Проверяем сессию…' },
  sessionOk: { en: 'Session works: portal {domain}, expires {expires}.', it: 'La sessione funziona: portale {domain}, scade {expires}.', ru: 'Сессия работает: портал {domain}, истекает {expires}.' },
  sessionBad: { en: 'The session was refused ({code}). Reopen the page from Bitrix24.', it: 'La sessione è stata rifiutata ({code}). Riapri la pagina da Bitrix24.', ru: 'Сессия отклонена ({code}). Откройте страницу из Битрикс24 снова.' },
} satisfies Messages;

export type InstallKey = keyof typeof INSTALL_MESSAGES;
export type InstallProblem = 'not_admin' | 'missing_scope' | 'unreachable' | 'unauthorized' | 'not_installed' | 'wrong_handler_url' | 'bad_request' | 'internal' | 'other';
