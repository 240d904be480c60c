import { z } from 'zod';

/**
 * A form body as Bitrix24 POSTs it (PHP's http_build_query with bracket keys), parsed into a tree by
 * src/http/form.ts: every scalar stays a string, as in PHP.
 */
export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

/**
 * zod schemas for everything Bitrix24 POSTs to us, applied to the tree form.ts builds. Scalars come
 * as strings (`"Y"`, `"1"`, `"3600"`); documentation samples sometimes show numbers, so both are
 * accepted and normalised. Optional fields are the ones real or older payloads omit
 * (reference/bitrix24.md §1.3, §1.4, §4.3, §5.3, §9.2).
 */

/** A non-empty string; numbers are accepted and stringified (doc samples print `expires_in: 3600`). */
const str = z.union([z.string(), z.number()]).transform(String).pipe(z.string().min(1).max(4096));
const optStr = z.preprocess((v) => (v === '' ? undefined : v), str.optional());
/** The `event` field: Bitrix24 sends event names in any case. */
const zEventName = <N extends string>(name: N) => z.string().transform((s) => s.toUpperCase()).pipe(z.literal(name));

/** Y/N, 1/0, true/false → boolean. b24jssdk types say ACTIVE is '0'|'1' while portals send 'Y'. */
export const zYesNo = z.union([z.string(), z.number(), z.boolean()]).transform((v, ctx) => {
  const s = String(v).trim().toLowerCase();
  if (['y', '1', 'true'].includes(s)) return true;
  if (['n', '0', 'false', ''].includes(s)) return false;
  ctx.addIssue({ code: 'custom', message: 'expected Y/N or 1/0' });
  return z.NEVER;
});

/** An integer sent as a string (ids, seconds, unix timestamps). */
const int = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const s = String(v).trim();
  if (!/^-?\d{1,15}$/.test(s)) {
    ctx.addIssue({ code: 'custom', message: 'expected an integer' });
    return z.NEVER;
  }
  return Number(s);
});
const optInt = z.preprocess((v) => (v === '' ? undefined : v), int.optional());
/** A Bitrix24 user id: positive and within PostgreSQL's integer, the column it is stored in (a longer one is refused as bad input, not a 500). */
const optUserId = z.preprocess((v) => (v === '' ? undefined : v), int.pipe(z.number().int().min(1, 'expected a user id').max(2_147_483_647, 'expected a user id')).optional());

/** member_id: 32 hex characters on real portals; kept loose (any short token) so emulators and on-prem fit. */
export const zMemberId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'invalid member_id');

/** https://<portal>/rest/ or the OAuth server's https://oauth.bitrix.info/rest/ */
const endpoint = z.string().max(512).pipe(z.url({ protocol: /^https?$/ }));

/** Comma-separated scope list → array. */
const scopeList = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** `auth[...]` as sent with events, robot calls and the install callback. */
export const ZEventAuth = z.object({
  access_token: optStr,
  refresh_token: optStr,
  expires: optInt,
  expires_in: optInt,
  scope: scopeList.optional(),
  domain: str,
  server_endpoint: endpoint.optional(),
  client_endpoint: endpoint.optional(),
  member_id: zMemberId,
  user_id: optUserId,
  status: optStr,
  application_token: str,
});
export type EventAuth = z.output<typeof ZEventAuth>;

/** ONAPPINSTALL: the only event that reliably brings a refresh token. */
export const ZAppInstallEvent = z.object({
  event: zEventName('ONAPPINSTALL'),
  event_handler_id: optStr,
  data: z.object({
    VERSION: optStr,
    ACTIVE: zYesNo.optional(),
    INSTALLED: zYesNo.optional(),
    LANGUAGE_ID: optStr,
  }),
  ts: optInt,
  auth: ZEventAuth.extend({ access_token: str, refresh_token: str, client_endpoint: endpoint }),
});
export type AppInstallEvent = z.output<typeof ZAppInstallEvent>;

/** ONAPPUPDATE: full auth; a changed application_token replaces the stored one. */
export const ZAppUpdateEvent = z.object({
  event: zEventName('ONAPPUPDATE'),
  event_handler_id: optStr,
  data: z.object({ VERSION: optStr, PREVIOUS_VERSION: optStr, LANGUAGE_ID: optStr }).optional().default({}),
  ts: optInt,
  auth: ZEventAuth,
});
export type AppUpdateEvent = z.output<typeof ZAppUpdateEvent>;

/** ONAPPUNINSTALL: no tokens (API access is already revoked); CLEAN says "delete app data". */
export const ZAppUninstallEvent = z.object({
  event: zEventName('ONAPPUNINSTALL'),
  event_handler_id: optStr,
  data: z.object({ CLEAN: zYesNo.optional().default(false), LANGUAGE_ID: optStr }).optional().default({ CLEAN: false }),
  ts: optInt,
  auth: ZEventAuth,
});
export type AppUninstallEvent = z.output<typeof ZAppUninstallEvent>;

/** Any event, for routing before the specific schema applies. */
export const ZAnyEvent = z.object({
  event: z.string().min(1).max(128).transform((s) => s.toUpperCase()),
  auth: z.object({ member_id: z.string(), application_token: z.string() }).loose(),
}).loose();

/** Normalised PLACEMENT_OPTIONS: the CRM id whichever key carries it, the portal URI when sent, and the rest as strings. */
export interface PlacementOptions {
  /** ID (tab, toolbar) or ENTITY_ID (document generator, timeline menu): the CRM item. */
  entityId?: number;
  /** Activity id for CRM_*_ACTIVITY_TIMELINE_MENU. */
  associatedEntityId?: number;
  associatedEntityTypeId?: number;
  /** Portal-relative path of the page that opened us, present only when the browser sent a Referer. */
  uri?: string;
  /** Every key as sent (strings), for placements with their own keys (REST_APP_URI params, robot settings). */
  raw: Record<string, unknown>;
}

function pickCaseless(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(o)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const toId = (v: unknown): number | undefined => {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  return /^\d{1,15}$/.test(s) ? Number(s) : undefined;
};

/**
 * PLACEMENT_OPTIONS is a JSON *string*: absent, empty, the literal "undefined" (telephony settings
 * placements), `[]` (PHP's empty array) or an object. Key case is not reliable. Anything that is
 * not a JSON object means "no options" rather than a refused request: the page can still open.
 */
export function parsePlacementOptions(value: unknown): PlacementOptions {
  let obj: Record<string, unknown> = {};
  if (typeof value === 'string') {
    const s = value.trim();
    if (s !== '' && s !== 'undefined' && s !== 'null') {
      try {
        const parsed: unknown = JSON.parse(s);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) obj = parsed as Record<string, unknown>;
      } catch {
        obj = {};
      }
    }
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    // Already a tree (PLACEMENT_OPTIONS[ID]=… bracket form): accept it as is.
    obj = value as Record<string, unknown>;
  }
  const uri = pickCaseless(obj, 'URI');
  return {
    entityId: toId(pickCaseless(obj, 'ID')) ?? toId(pickCaseless(obj, 'ENTITY_ID')),
    associatedEntityId: toId(pickCaseless(obj, 'ASSOCIATED_ENTITY_ID')),
    associatedEntityTypeId: toId(pickCaseless(obj, 'ASSOCIATED_ENTITY_TYPE_ID')),
    uri: typeof uri === 'string' && uri.startsWith('/') ? uri : undefined,
    raw: obj,
  };
}

/** Placement codes are upper-case words: CRM_DEAL_DETAIL_TAB, DEFAULT, REST_APP_URI, CRM_DYNAMIC_128_DETAIL_TAB. */
export const zPlacementCode = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'invalid placement code');

/**
 * The frame POST (install wizard with PLACEMENT=DEFAULT, the app page, every placement). DOMAIN,
 * PROTOCOL, LANG and APP_SID travel in the query, the rest in the body: pass `{ ...query, ...body }`.
 * SERVER_ENDPOINT, APPLICATION_TOKEN and APPLICATION_SCOPE are absent in payloads older than 2026-08.
 */
export const ZFramePost = z.object({
  DOMAIN: optStr,
  PROTOCOL: optStr,
  LANG: z.string().optional(),
  APP_SID: optStr,
  AUTH_ID: str,
  AUTH_EXPIRES: optInt,
  REFRESH_ID: optStr,
  SERVER_ENDPOINT: endpoint.optional(),
  APPLICATION_TOKEN: optStr,
  APPLICATION_SCOPE: scopeList.optional(),
  member_id: zMemberId,
  status: optStr,
  PLACEMENT: zPlacementCode.optional().default('DEFAULT'),
  PLACEMENT_OPTIONS: z.unknown().optional().transform(parsePlacementOptions),
});
export type FramePost = z.output<typeof ZFramePost>;

/** `properties[...]`: strings, or arrays/objects of strings for multiple values. */
const ZPropertyValue: z.ZodType<unknown> = z.lazy(() => z.union([z.string(), z.array(ZPropertyValue), z.record(z.string(), ZPropertyValue)]));

/** `[module, class, id]`, e.g. ['crm', 'CCrmDocumentDeal', 'DEAL_8061']. */
const documentTriple = z.tuple([z.string().min(1).max(200), z.string().min(1).max(200), z.string().min(1).max(200)]);

/** The robot HANDLER call (§5.3). The robot door validates properties against its own manifest entry. */
export const ZRobotCall = z.object({
  workflow_id: str,
  code: z.string().regex(/^[a-zA-Z0-9._-]{1,128}$/),
  document_id: documentTriple,
  /** Older core builds did not send it. */
  document_type: documentTriple.optional(),
  event_token: str,
  properties: z.record(z.string(), ZPropertyValue).optional().default({}),
  use_subscription: zYesNo.optional(),
  timeout_duration: optInt,
  ts: optInt,
  auth: ZEventAuth,
});
export type RobotCall = z.output<typeof ZRobotCall>;

/** The CRM entity behind a workflow document id: DEAL_8061 → { type: 'DEAL', id: 8061 }; an id no CRM record can have (stored as an integer) is none. */
export function crmDocument(documentId: readonly [string, string, string]): { type: string; id: number } | undefined {
  const m = /^([A-Z][A-Z0-9_]*)_(\d{1,10})$/.exec(documentId[2]);
  const id = m ? Number(m[2]) : 0;
  return m && id >= 1 && id <= 2_147_483_647 ? { type: m[1]!, id } : undefined;
}
