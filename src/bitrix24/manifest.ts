/**
 * The ONE description of everything b24-sign registers in a portal: placements, robots and event
 * handlers. Install, update and the status page all read it; registration.ts turns it into batch
 * calls. Handler paths are registered in portals and must stay stable.
 */
import type { Lang } from '../i18n/index.js';

export type Localized = Record<Lang, string>;

export interface PlacementEntry {
  /** Bitrix24 placement code. */
  code: string;
  /** Our handler path; the full URL is PUBLIC_URL + path. */
  path: string;
  title: Localized;
  description: Localized;
  /** Groups several items under one menu (the detail toolbar supports it). */
  groupName?: Localized;
}

/** A robot property as bizproc.robot.add takes it (reference §5.1). */
export interface RobotProperty {
  Name: Localized;
  Description?: Localized;
  Type: 'bool' | 'date' | 'datetime' | 'double' | 'file' | 'int' | 'select' | 'string' | 'text' | 'user';
  Required?: 'Y' | 'N';
  Multiple?: 'Y' | 'N';
  Default?: string;
  Options?: Record<string, string>;
}

export interface RobotEntry {
  code: string;
  path: string;
  name: Localized;
  description: Localized;
  /** Explicit: empty means "wait" to Bitrix24 (§13.13); the robot waits for the signing outcome. */
  useSubscription: 'Y' | 'N';
  documentType: [string, string, string];
  filter?: { INCLUDE?: unknown[]; EXCLUDE?: unknown[] };
  properties: Record<string, RobotProperty>;
  returnProperties: Record<string, RobotProperty>;
}

export interface EventEntry {
  event: string;
  path: string;
}

export interface RegistrationManifest {
  placements: PlacementEntry[];
  robots: RobotEntry[];
  events: EventEntry[];
  /** App triggers; optional so partial manifests (tests, tools) may leave them out. */
  triggers?: TriggerEntry[];
}

export const PLACEMENT_PATH_PREFIX = '/b24/placements/';
export const EVENTS_PATH = '/b24/events';

const TAB: Pick<PlacementEntry, 'title' | 'description'> = {
  title: { en: 'Signatures', it: 'Firme', ru: 'Подписи' },
  description: {
    en: 'Documents sent for e-signature from this record',
    it: 'Documenti inviati per la firma elettronica da questo record',
    ru: 'Документы, отправленные на электронную подпись из этой карточки',
  },
};
const TOOLBAR: Pick<PlacementEntry, 'title' | 'description' | 'groupName'> = {
  title: { en: 'Send for signing', it: 'Invia per la firma', ru: 'Отправить на подпись' },
  description: {
    en: 'Create a document and send it for e-signature',
    it: 'Crea un documento e invialo per la firma elettronica',
    ru: 'Создать документ и отправить его на электронную подпись',
  },
  groupName: { en: 'E-signature', it: 'Firma elettronica', ru: 'Электронная подпись' },
};
const GENERATOR: Pick<PlacementEntry, 'title' | 'description'> = {
  title: { en: 'Send for signing', it: 'Invia per la firma', ru: 'Отправить на подпись' },
  description: {
    en: 'Send a generated document for e-signature',
    it: 'Invia un documento generato per la firma elettronica',
    ru: 'Отправить созданный документ на электронную подпись',
  },
};

const ENTITIES = ['DEAL', 'LEAD', 'CONTACT', 'COMPANY'] as const;
const placement = (code: string, texts: Pick<PlacementEntry, 'title' | 'description' | 'groupName'>): PlacementEntry => ({
  code,
  path: `${PLACEMENT_PATH_PREFIX}${code}`,
  ...texts,
});

export const SIGN_PLACEMENTS: PlacementEntry[] = [
  ...ENTITIES.map((e) => placement(`CRM_${e}_DETAIL_TAB`, TAB)),
  ...ENTITIES.map((e) => placement(`CRM_${e}_DETAIL_TOOLBAR`, TOOLBAR)),
  ...ENTITIES.map((e) => placement(`CRM_${e}_DOCUMENTGENERATOR_BUTTON`, GENERATOR)),
  // Timeline menus exist for deals, not contacts/companies (§4.2); leads are left out on purpose.
  placement('CRM_DEAL_ACTIVITY_TIMELINE_MENU', {
    title: { en: 'Send for signing', it: 'Invia per la firma', ru: 'Отправить на подпись' },
    description: {
      en: 'Send this document for e-signature',
      it: 'Invia questo documento per la firma elettronica',
      ru: 'Отправить этот документ на электронную подпись',
    },
  }),
  // Deep links /marketplace/view/<app>/?params[...] open the app at a given envelope (§4.4).
  placement('REST_APP_URI', {
    title: { en: 'E-signature', it: 'Firma elettronica', ru: 'Электронная подпись' },
    description: { en: 'Open a signing request', it: 'Apri una richiesta di firma', ru: 'Открыть запрос на подпись' },
  }),
];

/** Options of the template select before the portal has templates of its own: the built-in starters. */
export const STARTER_TEMPLATE_OPTIONS: Record<string, string> = {
  'sales-contract': 'Sales contract (built-in)',
  invoice: 'Invoice (built-in)',
  nda: 'Non-disclosure agreement (built-in)',
};

/**
 * Where the robot may be used (FILTER INCLUDE, reference §5.1): stage automation of deals and leads, and
 * every other CRM document whose payload can reach the handler: quotes, smart invoices, smart processes,
 * contacts and companies (in workflows).
 */
export const ROBOT_DOCUMENT_TYPES: [string, string][] = [
  ['crm', 'CCrmDocumentDeal'],
  ['crm', 'CCrmDocumentLead'],
  ['crm', 'Bitrix\\Crm\\Integration\\BizProc\\Document\\Quote'],
  ['crm', 'Bitrix\\Crm\\Integration\\BizProc\\Document\\SmartInvoice'],
  ['crm', 'Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic'],
  ['crm', 'CCrmDocumentContact'],
  ['crm', 'CCrmDocumentCompany'],
];

/**
 * "Send document for signing". The template select's options are per portal (its own templates
 * plus the starters): src/robots/template-sync.ts swaps them in and re-runs bizproc.robot.update
 * whenever the portal's templates change.
 */
export const sendForSigningRobot: RobotEntry = {
  code: 'b24sign_send_for_signing',
  path: '/b24/robots/send-for-signing',
  name: { en: 'Send document for signing', it: 'Invia documento per la firma', ru: 'Отправить документ на подпись' },
  description: {
    en: 'Generates the document from a template and sends it for e-signature; continues when it is signed or declined.',
    it: 'Genera il documento da un modello e lo invia per la firma elettronica; prosegue quando è firmato o rifiutato.',
    ru: 'Создаёт документ по шаблону и отправляет его на электронную подпись; продолжает, когда документ подписан или отклонён.',
  },
  useSubscription: 'Y',
  documentType: ['crm', 'CCrmDocumentDeal', 'DEAL'],
  filter: { INCLUDE: ROBOT_DOCUMENT_TYPES },
  properties: {
    template: {
      Name: { en: 'Template', it: 'Modello', ru: 'Шаблон' },
      Description: {
        en: 'The document to generate from this record',
        it: 'Il documento da generare da questo record',
        ru: 'Документ, который будет создан по этой карточке',
      },
      Type: 'select',
      Required: 'Y',
      Options: STARTER_TEMPLATE_OPTIONS,
    },
    company_signer: {
      Name: { en: 'Signer for our company', it: 'Firmatario per la nostra azienda', ru: 'Подписант от нашей компании' },
      Description: {
        en: 'Empty: the responsible person of the record',
        it: 'Vuoto: il responsabile del record',
        ru: 'Пусто: ответственный по карточке',
      },
      Type: 'user',
      Required: 'N',
    },
    client_signer: {
      Name: { en: 'Client signer', it: 'Firmatario del cliente', ru: 'Подписант клиента' },
      Description: {
        en: 'Empty: the primary contact of the record. Or a contact id, or an e-mail address',
        it: 'Vuoto: il contatto principale del record. Oppure l’id di un contatto o un indirizzo e-mail',
        ru: 'Пусто: основной контакт карточки. Или id контакта, или адрес e-mail',
      },
      Type: 'string',
      Required: 'N',
    },
    wait: {
      Name: { en: 'Wait until signed or declined', it: 'Attendi la firma o il rifiuto', ru: 'Ждать подписания или отказа' },
      Description: {
        en: 'No: the automation continues as soon as the document is sent',
        it: 'No: l’automazione prosegue appena il documento è inviato',
        ru: 'Нет: автоматизация продолжится сразу после отправки',
      },
      Type: 'bool',
      Required: 'N',
      Default: 'Y',
    },
    deadline_days: {
      Name: { en: 'Deadline, days', it: 'Scadenza, giorni', ru: 'Срок, дней' },
      Description: {
        en: 'The signing link expires after this many days (empty: the portal default)',
        it: 'Il link di firma scade dopo questi giorni (vuoto: il valore del portale)',
        ru: 'Ссылка для подписи истекает через столько дней (пусто: значение портала)',
      },
      Type: 'int',
      Required: 'N',
    },
  },
  returnProperties: {
    envelope_id: { Name: { en: 'Signing request id', it: 'Id della richiesta di firma', ru: 'Id запроса на подпись' }, Type: 'string' },
    status: { Name: { en: 'Result', it: 'Esito', ru: 'Результат' }, Type: 'string' },
    signed_pdf_url: { Name: { en: 'Signed document link', it: 'Link al documento firmato', ru: 'Ссылка на подписанный документ' }, Type: 'string' },
    verify_url: { Name: { en: 'Verification link', it: 'Link di verifica', ru: 'Ссылка для проверки' }, Type: 'string' },
    decline_reason: { Name: { en: 'Decline reason', it: 'Motivo del rifiuto', ru: 'Причина отказа' }, Type: 'string' },
  },
};

/** App triggers (crm.automation.trigger.add): a portal puts them on a stage to move the deal on the outcome. */
export interface TriggerEntry {
  code: string;
  name: Localized;
}

export const SIGN_TRIGGERS: TriggerEntry[] = [
  { code: 'b24sign_signed', name: { en: 'Document signed', it: 'Documento firmato', ru: 'Документ подписан' } },
  { code: 'b24sign_declined', name: { en: 'Document declined', it: 'Documento rifiutato', ru: 'Документ отклонён' } },
];

export const APP_EVENTS: EventEntry[] = [
  { event: 'ONAPPUNINSTALL', path: EVENTS_PATH },
  { event: 'ONAPPUPDATE', path: EVENTS_PATH },
];

export const registrationManifest: RegistrationManifest = {
  placements: SIGN_PLACEMENTS,
  robots: [sendForSigningRobot],
  events: APP_EVENTS,
  triggers: SIGN_TRIGGERS,
};

/**
 * Scopes the app must be granted for everything above (and for what the pages call later).
 * `user_basic`, not `user_brief`: an employee who signs is invited by e-mail, and only `user_basic`
 * (or the full `user`) shows users' EMAIL (b24restdocs api-reference/user/user-scope.md); a wider
 * grant satisfies the need (scopes.ts).
 */
export const REQUIRED_SCOPES = ['crm', 'bizproc', 'placement', 'user_basic'] as const;
/**
 * Recommended too: messenger invitations for employees (im.notify.personal.add). Not `documentgenerator`
 * or `disk`: the document generator methods the app calls are crm.documentgenerator.*, which need `crm`
 * (each method page and …/crm/document-generator/index.md; b24phpsdk declares Scope crm for the service;
 * only the topic table in api-reference/scopes/permissions.md files it under documentgenerator), and the
 * app calls no disk.* method. Every scope
 * here and above is needed by a method the app calls (test/unit/bitrix24-contracts.test.ts checks it).
 * `department`: the department tree (department.get) for roles given to a department, which apply to
 * its sub-departments (src/roles/people.ts); without it a department's role reaches only its own members.
 */
export const RECOMMENDED_SCOPES = ['im', 'department'] as const;

/** `{en:{TITLE,DESCRIPTION,GROUP_NAME}, it:…, ru:…}` as placement.bind takes it. */
export function langAll(p: PlacementEntry): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const lang of Object.keys(p.title) as Lang[]) {
    out[lang] = { TITLE: p.title[lang], DESCRIPTION: p.description[lang], ...(p.groupName ? { GROUP_NAME: p.groupName[lang] } : {}) };
  }
  return out;
}

/** The absolute handler URL Bitrix24 calls. */
export function handlerUrl(publicUrl: string, path: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${path}`;
}
