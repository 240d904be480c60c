import type { FormObject, FormValue, RobotCall } from '../bitrix24/payloads.js';

/** What the acknowledgement needs from a delivery (src/robots/accept.ts); the job reads the rest from its row. */
export type RobotAck = Pick<RobotCall, 'code' | 'event_token' | 'workflow_id' | 'document_id' | 'properties' | 'use_subscription'> & {
  auth: Pick<RobotCall['auth'], 'member_id' | 'application_token' | 'access_token' | 'user_id'>;
};

/*
 * ZRobotCall's rules, written out for the shape Bitrix24 actually sends (every value a string), because
 * zod's general walk was a tenth of the acknowledgement's CPU (issue 15). It is only a shortcut: it
 * accepts a strict subset of what ZRobotCall accepts and gives the same values, and says `undefined`
 * whenever it is not sure, so the door falls back to ZRobotCall and nothing is accepted or refused
 * differently (test/unit/robot-quick-check.test.ts compares both on the same bodies).
 */
const isObject = (v: FormValue | undefined): v is FormObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: FormValue | undefined, max = 4096): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max;
/** optStr/optInt/optional fields: absent or '' (both read as undefined). */
const empty = (v: FormValue | undefined) => v === undefined || v === '';
const INT = /^-?\d{1,15}$/;
const optInt = (v: FormValue | undefined) => empty(v) || (typeof v === 'string' && INT.test(v));
const optText = (v: FormValue | undefined) => empty(v) || text(v);
const CODE = /^[a-zA-Z0-9._-]{1,128}$/;
const MEMBER_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** Only plain http(s) addresses that z.url() certainly accepts; anything fancier goes to zod. */
const PLAIN_URL = /^https?:\/\/[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?(\/[A-Za-z0-9._~/-]*)?$/;
const optUrl = (v: FormValue | undefined) => v === undefined || (typeof v === 'string' && v.length <= 512 && PLAIN_URL.test(v));
const YES = new Set(['y', '1', 'true']);
const NO = new Set(['n', '0', 'false', '']);

function triple(v: FormValue | undefined): v is [string, string, string] {
  return Array.isArray(v) && v.length === 3 && v.every((part) => text(part, 200));
}

export function quickRobotCall(body: FormObject): RobotAck | undefined {
  const { auth, properties, document_type: documentType, use_subscription: subscription } = body;
  if (!text(body.workflow_id) || !text(body.event_token) || typeof body.code !== 'string' || !CODE.test(body.code)) return undefined;
  if (!triple(body.document_id) || (documentType !== undefined && !triple(documentType))) return undefined;
  if (properties !== undefined && !isObject(properties)) return undefined;
  if (!optInt(body.timeout_duration) || !optInt(body.ts)) return undefined;
  let useSubscription: boolean | undefined;
  if (subscription !== undefined) {
    if (typeof subscription !== 'string') return undefined;
    const s = subscription.trim().toLowerCase();
    if (YES.has(s)) useSubscription = true;
    else if (NO.has(s)) useSubscription = false;
    else return undefined;
  }
  if (!isObject(auth) || !text(auth.domain) || !text(auth.application_token) || typeof auth.member_id !== 'string' || !MEMBER_ID.test(auth.member_id)) return undefined;
  if (!optText(auth.access_token) || !optText(auth.refresh_token) || !optText(auth.status)) return undefined;
  if (!optInt(auth.expires) || !optInt(auth.expires_in) || !optInt(auth.user_id)) return undefined;
  if (auth.scope !== undefined && typeof auth.scope !== 'string') return undefined;
  if (!optUrl(auth.server_endpoint) || !optUrl(auth.client_endpoint)) return undefined;
  return {
    code: body.code,
    event_token: body.event_token,
    workflow_id: body.workflow_id,
    document_id: body.document_id,
    properties: properties ?? {},
    use_subscription: useSubscription,
    auth: {
      member_id: auth.member_id,
      application_token: auth.application_token,
      access_token: empty(auth.access_token) ? undefined : (auth.access_token as string),
      user_id: empty(auth.user_id) ? undefined : Number(auth.user_id),
    },
  };
}
