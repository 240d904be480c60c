import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  crmDocument,
  parsePlacementOptions,
  ZAppInstallEvent,
  ZAppUninstallEvent,
  ZAppUpdateEvent,
  ZFramePost,
  ZRobotCall,
} from '../../src/http/b24-payloads.js';
import { AppError } from '../../src/http/errors.js';
import { parseBitrixForm, parseForm, parseQuery } from '../../src/http/form.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/bitrix24');
const QUERY_KEYS = new Set(['DOMAIN', 'PROTOCOL', 'LANG', 'APP_SID']);

/** http_build_query as PHP does it (spaces as '+', brackets escaped). */
function encode(obj: Record<string, unknown>, prefix = ''): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v !== null && typeof v === 'object') out.push(encode(v as Record<string, unknown>, key));
    else out.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v)).replace(/%20/g, '+')}`);
  }
  return out.filter(Boolean).join('&');
}

/** A PHP print_r($_REQUEST) dump → its fields (flat: these dumps have no nested arrays). */
function readPrintR(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*\[([^\]]+)\] => (.*)$/.exec(line);
    if (m) fields[m[1]!] = m[2]!;
  }
  return fields;
}

/** Rebuild the wire request: query keys into the URL, the rest into the body, then parse both as the door does. */
function frameFromPrintR(file: string) {
  const fields = readPrintR(readFileSync(join(FIXTURES, file), 'utf8'));
  const query = Object.fromEntries(Object.entries(fields).filter(([k]) => QUERY_KEYS.has(k)));
  const body = Object.fromEntries(Object.entries(fields).filter(([k]) => !QUERY_KEYS.has(k)));
  const url = `https://app.test/b24/placements/x?${encode(query)}`;
  return parseForm(ZFramePost, { ...parseQuery(url), ...parseBitrixForm(encode(body)) });
}

describe('every shipped Bitrix24 fixture parses', () => {
  const files = readdirSync(FIXTURES).filter((f) => /^0[3-7]/.test(f));

  it('finds the fixtures in test/fixtures (copied with their sources)', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(readFileSync(join(FIXTURES, 'README.md'), 'utf8')).toMatch(/b24restdocs/);
    // The seed dataset is not a payload, but it must at least be the JSON the emulator reads.
    const dataset = JSON.parse(readFileSync(join(FIXTURES, '08-b24-rest-docs-simulator-dataset.json'), 'utf8'));
    expect(Object.keys(dataset.entities)).toEqual(expect.arrayContaining(['users', 'deals', 'contacts', 'companies', 'leads']));
  });

  it.each(files.filter((f) => f.endsWith('.print_r.txt')))('%s → ZFramePost', (file) => {
    const frame = frameFromPrintR(file);
    expect(frame.member_id).toMatch(/^[0-9a-f]{32}$/);
    expect(frame.AUTH_ID.length).toBeGreaterThan(20);
    expect(frame.DOMAIN).toBe('xxx.bitrix24.com');
    expect(frame.PLACEMENT).toMatch(/^CRM_DEAL_/);
    expect(frame.PLACEMENT_OPTIONS.entityId).toBeGreaterThan(0);
  });

  it('the current deal-tab format carries APPLICATION_TOKEN, scopes and URI', () => {
    const f = frameFromPrintR('05-placement-CRM_DEAL_DETAIL_TAB.b24restdocs.print_r.txt');
    expect(f.APPLICATION_TOKEN).toBe('ec1b2074a9d3f5c81b6e40d27a95cf38');
    expect(f.APPLICATION_SCOPE).toEqual(['crm', 'placement']);
    expect(f.SERVER_ENDPOINT).toBe('https://oauth.bitrix.info/rest/');
    expect(f.AUTH_EXPIRES).toBe(3600);
    expect(f.PLACEMENT_OPTIONS.entityId).toBe(8061);
    expect(f.PLACEMENT_OPTIONS.uri).toBe('/crm/deal/details/8061/?any=details%2F8061%2F&IFRAME=Y&IFRAME_TYPE=SIDE_SLIDER');
  });

  it('the 2024 toolbar format lacks SERVER_ENDPOINT/APPLICATION_TOKEN/APPLICATION_SCOPE/URI and still parses', () => {
    const f = frameFromPrintR('05b-placement-CRM_DEAL_DETAIL_TOOLBAR.b24restdocs-2024.print_r.txt');
    expect(f.APPLICATION_TOKEN).toBeUndefined();
    expect(f.SERVER_ENDPOINT).toBeUndefined();
    expect(f.APPLICATION_SCOPE).toBeUndefined();
    expect(f.PLACEMENT_OPTIONS).toMatchObject({ entityId: 3473, uri: undefined });
  });

  it('the document-generator button uses ENTITY_ID; the timeline menu adds the activity', () => {
    expect(frameFromPrintR('06-placement-CRM_DEAL_DOCUMENTGENERATOR_BUTTON.b24restdocs.print_r.txt').PLACEMENT_OPTIONS.entityId).toBe(5);
    const t = frameFromPrintR('06b-placement-CRM_DEAL_ACTIVITY_TIMELINE_MENU.b24restdocs.print_r.txt');
    expect(t.PLACEMENT_OPTIONS).toMatchObject({ entityId: 8061, associatedEntityId: 8097, associatedEntityTypeId: 6 });
  });

  it('03 ONAPPINSTALL doc sample (numeric expires_in, no expires/user_id) → ZAppInstallEvent via the wire encoding', () => {
    const { _source, ...sample } = JSON.parse(readFileSync(join(FIXTURES, '03-event-ONAPPINSTALL.b24restdocs.json'), 'utf8'));
    expect(_source).toBeTruthy();
    const ev = parseForm(ZAppInstallEvent, parseBitrixForm(encode(sample)));
    expect(ev.data).toEqual({ VERSION: '1.0.0', ACTIVE: true, INSTALLED: true, LANGUAGE_ID: 'de' });
    expect(ev.auth).toMatchObject({ member_id: 'a223c6b3710f85df22e9377d6c4f7553', expires_in: 3600, scope: ['imbot'], application_token: '51856fefc120afa4b628cc82d3935cce' });
    expect(ev.auth.user_id).toBeUndefined();
    // The JSON form (numbers, not strings) parses too.
    expect(ZAppInstallEvent.safeParse(sample).success).toBe(true);
  });
});

describe('payload shapes from reference §11.3 (captures not shipped)', () => {
  it('ONAPPINSTALL as real portals send it (expires, user_id, ACTIVE=1 variant)', () => {
    const body =
      'event=ONAPPINSTALL&data%5BVERSION%5D=1&data%5BACTIVE%5D=1&data%5BINSTALLED%5D=Y&data%5BLANGUAGE_ID%5D=ru&ts=1655986800' +
      '&auth%5Baccess_token%5D=a1&auth%5Bexpires%5D=1655990400&auth%5Bexpires_in%5D=3600&auth%5Bscope%5D=crm%2Cplacement' +
      '&auth%5Bdomain%5D=p.bitrix24.ru&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F&auth%5Bstatus%5D=F' +
      '&auth%5Bclient_endpoint%5D=https%3A%2F%2Fp.bitrix24.ru%2Frest%2F&auth%5Bmember_id%5D=m1&auth%5Buser_id%5D=1' +
      '&auth%5Brefresh_token%5D=r1&auth%5Bapplication_token%5D=t1';
    const ev = parseForm(ZAppInstallEvent, parseBitrixForm(body));
    expect(ev.data.ACTIVE).toBe(true);
    expect(ev.auth).toMatchObject({ expires: 1655990400, user_id: 1, client_endpoint: 'https://p.bitrix24.ru/rest/' });
    // A user id is stored in an integer column: one that cannot be a Bitrix24 user is bad input (400), never a 500.
    for (const bad of ['123456789012345', '0', '-4', '2147483648']) {
      const err = (() => {
        try {
          parseForm(ZAppInstallEvent, parseBitrixForm(body.replace('auth%5Buser_id%5D=1', `auth%5Buser_id%5D=${bad}`)));
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(AppError);
      expect((err as AppError).status, bad).toBe(400);
      expect((err as AppError).message, bad).toMatch(/auth\.user_id/);
    }
    expect(parseForm(ZAppInstallEvent, parseBitrixForm(body.replace('auth%5Buser_id%5D=1', 'auth%5Buser_id%5D=2147483647'))).auth.user_id).toBe(2147483647);
  });

  it('ONAPPUNINSTALL carries no tokens and CLEAN as 1/0', () => {
    const body =
      'event=ONAPPUNINSTALL&data%5BCLEAN%5D=1&data%5BLANGUAGE_ID%5D=ru&ts=1655986900&auth%5Bdomain%5D=p.bitrix24.ru' +
      '&auth%5Bclient_endpoint%5D=https%3A%2F%2Fp.bitrix24.ru%2Frest%2F&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F' +
      '&auth%5Bmember_id%5D=m1&auth%5Bapplication_token%5D=t1';
    const ev = parseForm(ZAppUninstallEvent, parseBitrixForm(body));
    expect(ev.data.CLEAN).toBe(true);
    expect(ev.auth.access_token).toBeUndefined();
    expect(parseForm(ZAppUninstallEvent, parseBitrixForm(body.replace('CLEAN%5D=1', 'CLEAN%5D=0'))).data.CLEAN).toBe(false);
  });

  it('ONAPPUPDATE with versions', () => {
    const body = 'event=ONAPPUPDATE&data[VERSION]=2&data[PREVIOUS_VERSION]=1&data[LANGUAGE_ID]=en&ts=1&auth[domain]=p.test&auth[member_id]=m1&auth[application_token]=t2&auth[access_token]=a';
    expect(parseForm(ZAppUpdateEvent, parseBitrixForm(body)).data).toEqual({ VERSION: '2', PREVIOUS_VERSION: '1', LANGUAGE_ID: 'en' });
  });

  it('the robot HANDLER call: document triples, multiple-value properties, subscription flags', () => {
    const body =
      'workflow_id=664fa13bbbb410.99176768&code=b24sign_send_for_signing&document_id%5B0%5D=crm&document_id%5B1%5D=CCrmDocumentDeal' +
      '&document_id%5B2%5D=DEAL_8061&document_type%5B0%5D=crm&document_type%5B1%5D=CCrmDocumentDeal&document_type%5B2%5D=DEAL' +
      '&event_token=664fa13bbbb410.99176768%7CA40364_79843_85254_57332%7Cabc.def&properties%5Btemplate%5D=12' +
      '&properties%5Bsigners%5D%5B0%5D=user_1&properties%5Bsigners%5D%5B1%5D=user_7&properties%5Bcomment%5D=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82' +
      '&use_subscription=Y&timeout_duration=660&ts=1716494651&auth%5Baccess_token%5D=a&auth%5Bdomain%5D=p.test' +
      '&auth%5Bmember_id%5D=m1&auth%5Buser_id%5D=16&auth%5Bapplication_token%5D=t1';
    const r = parseForm(ZRobotCall, parseBitrixForm(body));
    expect(r.document_id).toEqual(['crm', 'CCrmDocumentDeal', 'DEAL_8061']);
    expect(r.properties).toEqual({ template: '12', signers: ['user_1', 'user_7'], comment: 'Привет' });
    expect(r.use_subscription).toBe(true);
    expect(r.timeout_duration).toBe(660);
    expect(r.event_token).toContain('|A40364_');
    expect(crmDocument(r.document_id)).toEqual({ type: 'DEAL', id: 8061 });
    expect(crmDocument(['crm', 'Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic', 'DYNAMIC_128_5'])).toEqual({ type: 'DYNAMIC_128', id: 5 });
    // Older cores sent no document_type.
    expect(ZRobotCall.safeParse(parseBitrixForm(body.replace(/&document_type[^&]+/g, ''))).success).toBe(true);
  });

  it('the wizard POST (capture: no SERVER_ENDPOINT/APPLICATION_TOKEN, PLACEMENT_OPTIONS {"any":"28\\/"})', () => {
    const url = 'https://app.test/b24/install?DOMAIN=p.bitrix24.com&PROTOCOL=1&LANG=en&APP_SID=0123456789abcdef0123456789abcdef';
    const body = 'AUTH_ID=aa&AUTH_EXPIRES=3600&REFRESH_ID=rr&member_id=m1&status=L&PLACEMENT=DEFAULT&PLACEMENT_OPTIONS=%7B%22any%22%3A%2228%5C%2F%22%7D';
    const f = parseForm(ZFramePost, { ...parseQuery(url), ...parseBitrixForm(body) });
    expect(f.PLACEMENT).toBe('DEFAULT');
    expect(f.PLACEMENT_OPTIONS).toEqual({ entityId: undefined, associatedEntityId: undefined, associatedEntityTypeId: undefined, uri: undefined, raw: { any: '28/' } });
  });
});

describe('parsePlacementOptions', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['undefined', undefined],
    ['null', undefined],
    ['[]', undefined],
    ['{not json', undefined],
    ['{"ID":"8061"}', 8061],
    ['{"ENTITY_ID":"5","URI":"/crm/deal/details/5/"}', 5],
    ['{"id":"42"}', 42],
    ['{"ID":"abc"}', undefined],
  ])('%s → entityId %s', (raw, id) => {
    expect(parsePlacementOptions(raw).entityId).toBe(id);
  });

  it('keeps URI only when it is portal-relative', () => {
    expect(parsePlacementOptions('{"URI":"https://evil.test/x"}').uri).toBeUndefined();
    expect(parsePlacementOptions('{"URI":"\\/crm\\/deal\\/details\\/1\\/"}').uri).toBe('/crm/deal/details/1/');
  });

  it('accepts bracket-form options as well as a JSON string', () => {
    expect(parsePlacementOptions({ ID: '7' }).entityId).toBe(7);
  });
});

describe('malformed payloads are refused with VALIDATION_FAILED, not thrown as something else', () => {
  const cases: [string, unknown][] = [
    ['frame without member_id', { AUTH_ID: 'a' }],
    ['frame without AUTH_ID', { member_id: 'm' }],
    ['frame with a bad placement code', { AUTH_ID: 'a', member_id: 'm', PLACEMENT: 'crm deal; drop' }],
    ['frame with a non-URL SERVER_ENDPOINT', { AUTH_ID: 'a', member_id: 'm', SERVER_ENDPOINT: 'javascript:alert(1)x' }],
    ['install event without tokens', { event: 'ONAPPINSTALL', data: {}, auth: { domain: 'd', member_id: 'm', application_token: 't' } }],
    ['install event with the wrong name', parseBitrixForm('event=ONAPPUPDATE&data[VERSION]=1&auth[domain]=d&auth[member_id]=m&auth[application_token]=t&auth[access_token]=a&auth[refresh_token]=r&auth[client_endpoint]=https://d/rest/')],
    ['uninstall with CLEAN=maybe', parseBitrixForm('event=ONAPPUNINSTALL&data[CLEAN]=maybe&auth[domain]=d&auth[member_id]=m&auth[application_token]=t')],
    ['robot with a two-part document_id', parseBitrixForm('workflow_id=w&code=c&document_id[0]=crm&document_id[1]=X&event_token=e&auth[domain]=d&auth[member_id]=m&auth[application_token]=t')],
    ['robot with a sparse document_id', parseBitrixForm('workflow_id=w&code=c&document_id[0]=crm&document_id[5]=X&event_token=e&auth[domain]=d&auth[member_id]=m&auth[application_token]=t')],
    ['auth as a string', parseBitrixForm('event=ONAPPUPDATE&auth=x')],
  ];
  it.each(cases)('%s', (_name, value) => {
    const schema = String(_name).startsWith('frame') ? ZFramePost : String(_name).startsWith('robot') ? ZRobotCall : String(_name).startsWith('uninstall') ? ZAppUninstallEvent : String(_name).startsWith('install') ? ZAppInstallEvent : ZAppUpdateEvent;
    try {
      parseForm(schema, value);
      expect.unreachable('should have been refused');
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('VALIDATION_FAILED');
      expect((e as AppError).status).toBe(400);
    }
  });
});
