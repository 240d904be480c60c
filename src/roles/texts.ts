import type { Messages } from '../i18n/index.js';

/**
 * What a refused request says (403, machine code FORBIDDEN with `details.rule`), in the session's
 * language; role names as the roles page shows them.
 */
export const ROLE_MESSAGES = {
  roleRequired: {
    en: 'Your b24-sign role ({role}) does not allow this; it needs {required}. Ask a b24-sign administrator.',
    it: 'Il tuo ruolo in b24-sign ({role}) non lo consente; serve {required}. Chiedi a un amministratore di b24-sign.',
    ru: 'Ваша роль в b24-sign ({role}) этого не позволяет; нужна роль «{required}». Обратитесь к администратору b24-sign.',
  },
  noAccess: {
    en: 'You have no role in b24-sign on this portal. Ask a b24-sign administrator for access.',
    it: 'Non hai un ruolo in b24-sign su questo portale. Chiedi l’accesso a un amministratore di b24-sign.',
    ru: 'У вас нет роли в b24-sign на этом портале. Попросите доступ у администратора b24-sign.',
  },
  notYours: {
    en: 'You may change only your own documents{team}.',
    it: 'Puoi modificare solo i tuoi documenti{team}.',
    ru: 'Вы можете изменять только свои документы{team}.',
  },
  notYoursTeam: {
    en: ' and those of your departments’ people',
    it: ' e quelli delle persone dei tuoi reparti',
    ru: ' и документы сотрудников своих отделов',
  },
  notVisible: {
    en: 'You may not see this document: it is neither yours nor on a CRM item you can open.',
    it: 'Non puoi vedere questo documento: non è tuo e non è su un elemento CRM che puoi aprire.',
    ru: 'Вам недоступен этот документ: он не ваш и не относится к элементу CRM, который вы можете открыть.',
  },
  itemNotReadable: {
    en: 'You cannot open this CRM item in Bitrix24, so you cannot create documents on it.',
    it: 'Non puoi aprire questo elemento CRM in Bitrix24, quindi non puoi creare documenti su di esso.',
    ru: 'Вы не можете открыть этот элемент CRM в Bitrix24, поэтому не можете создавать по нему документы.',
  },
  role_none: { en: 'no access', it: 'nessun accesso', ru: 'нет доступа' },
  role_viewer: { en: 'viewer', it: 'visualizzatore', ru: 'наблюдатель' },
  role_sender: { en: 'sender', it: 'mittente', ru: 'отправитель' },
  role_manager: { en: 'manager', it: 'responsabile', ru: 'руководитель' },
  role_admin: { en: 'administrator', it: 'amministratore', ru: 'администратор' },
} satisfies Messages;
