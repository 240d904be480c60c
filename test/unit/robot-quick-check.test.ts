import { describe, expect, it } from 'vitest';
import { ZRobotCall } from '../../src/http/b24-payloads.js';
import { parseBitrixForm, type FormObject } from '../../src/http/form.js';
import { quickRobotCall } from '../../src/robots/quick-check.js';

/** A delivery as Bitrix24 posts it (PHP http_build_query), as pairs so cases can change one field. */
const PAIRS: [string, string][] = [
  ['workflow_id', '64f1a2b3c4d5e6.12345678'],
  ['code', 'b24sign_send_for_signing'],
  ['document_id[0]', 'crm'],
  ['document_id[1]', 'CCrmDocumentDeal'],
  ['document_id[2]', 'DEAL_8061'],
  ['document_type[0]', 'crm'],
  ['document_type[1]', 'CCrmDocumentDeal'],
  ['document_type[2]', 'DEAL'],
  ['event_token', '64f1a2b3c4d5e6.12345678|A1|B2|C3'],
  ['properties[template]', 'sales-contract'],
  ['properties[signers][0]', 'contact'],
  ['properties[note][text]', 'Hello & welcome'],
  ['use_subscription', 'Y'],
  ['timeout_duration', '0'],
  ['ts', '1764650000'],
  ['auth[access_token]', 'a1b2c3d4e5'],
  ['auth[expires]', '1764653600'],
  ['auth[expires_in]', '3600'],
  ['auth[scope]', 'crm,bizproc'],
  ['auth[domain]', 'portal.bitrix24.com'],
  ['auth[server_endpoint]', 'https://oauth.bitrix.info/rest/'],
  ['auth[status]', 'L'],
  ['auth[client_endpoint]', 'https://portal.bitrix24.com/rest/'],
  ['auth[member_id]', 'f00dfeed0123456789abcdef'],
  ['auth[user_id]', '1'],
  ['auth[application_token]', 'c0ffee0123456789'],
];

const form = (pairs: [string, string][]) => parseBitrixForm(pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
const without = (key: string) => PAIRS.filter(([k]) => k !== key);
const withValue = (key: string, value: string) => [...without(key), [key, value] as [string, string]];

/** What the acknowledgement takes from zod's output: the same fields quickRobotCall returns. */
function fromZod(body: FormObject) {
  const r = ZRobotCall.safeParse(body);
  if (!r.success) return undefined;
  const { code, event_token, workflow_id, document_id, properties, use_subscription, auth } = r.data;
  return { code, event_token, workflow_id, document_id, properties, use_subscription, auth: { member_id: auth.member_id, application_token: auth.application_token, access_token: auth.access_token, user_id: auth.user_id } };
}

const CASES: [string, [string, string][]][] = [
  ['a full delivery', PAIRS],
  ['no use_subscription', without('use_subscription')],
  ['use_subscription N', withValue('use_subscription', 'N')],
  ['use_subscription " true "', withValue('use_subscription', ' true ')],
  ['use_subscription maybe', withValue('use_subscription', 'maybe')],
  ['no properties', PAIRS.filter(([k]) => !k.startsWith('properties'))],
  ['properties as a list', [...PAIRS.filter(([k]) => !k.startsWith('properties')), ['properties[0]', 'x']]],
  ['empty access token', withValue('auth[access_token]', '')],
  ['no access token', without('auth[access_token]')],
  ['empty user id', withValue('auth[user_id]', '')],
  ['user id with spaces', withValue('auth[user_id]', ' 7 ')],
  ['user id not a number', withValue('auth[user_id]', 'seven')],
  ['no domain', without('auth[domain]')],
  ['no application token', without('auth[application_token]')],
  ['bad member id', withValue('auth[member_id]', 'not/ok')],
  ['bad code', withValue('code', 'no spaces allowed')],
  ['unknown code', withValue('code', 'other_robot')],
  ['empty workflow id', withValue('workflow_id', '')],
  ['long event token', withValue('event_token', 'x'.repeat(4097))],
  ['document id of two parts', PAIRS.filter(([k]) => k !== 'document_id[2]')],
  ['document id of four parts', [...PAIRS, ['document_id[3]', 'extra']]],
  ['document id part too long', withValue('document_id[1]', 'C'.repeat(201))],
  ['endpoint with a query', withValue('auth[client_endpoint]', 'https://portal.bitrix24.com/rest/?a=1')],
  ['endpoint not http', withValue('auth[client_endpoint]', 'ftp://portal.bitrix24.com/rest/')],
  ['endpoint not a URL', withValue('auth[server_endpoint]', 'nowhere')],
  ['ts not an integer', withValue('ts', '1.5')],
  ['empty ts', withValue('ts', '')],
  ['auth as text', [...PAIRS.filter(([k]) => !k.startsWith('auth')), ['auth', 'x']]],
];

describe('quickRobotCall: the robot door shortcut agrees with ZRobotCall', () => {
  it.each(CASES)('%s', (_, pairs) => {
    const body = form(pairs);
    const quick = quickRobotCall(body);
    // Never accepts what zod refuses, and gives the same values when it accepts.
    if (quick !== undefined) expect(quick).toEqual(fromZod(body));
  });

  it('takes the ordinary deliveries itself (or the door would gain nothing)', () => {
    for (const name of ['a full delivery', 'no use_subscription', 'use_subscription N', 'no properties', 'empty access token', 'empty user id', 'unknown code', 'empty ts']) {
      const pairs = CASES.find(([n]) => n === name)![1];
      expect(quickRobotCall(form(pairs)), name).toBeDefined();
    }
  });

  it('leaves to zod what it refuses', () => {
    for (const name of ['no domain', 'bad member id', 'document id of four parts', 'endpoint not a URL', 'auth as text', 'use_subscription maybe']) {
      const body = form(CASES.find(([n]) => n === name)![1]);
      expect(quickRobotCall(body), name).toBeUndefined();
      expect(fromZod(body), name).toBeUndefined();
    }
  });
});
