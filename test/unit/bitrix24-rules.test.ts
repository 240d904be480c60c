import { describe, expect, it } from 'vitest';
import { isReadMethod, normalizeErrorCode } from '../../src/bitrix24/classify.js';
import { resolveReferences } from '../../src/bitrix24/client.js';
import { assertSafeEndpoint, DEFAULT_OAUTH_HOSTS, methodUrl, restEndpointFromLocation, tokenUrlFor } from '../../src/bitrix24/endpoints.js';
import { buildQuery } from '../../src/bitrix24/query-string.js';
import { effectiveCapacity } from '../../src/bitrix24/rate-limit.js';
import { Bitrix24Error } from '../../src/bitrix24/types.js';
import { toAppError } from '../../src/http/errors.js';

describe('read methods (the only ones repeated after a network error or 5xx)', () => {
  it.each(['crm.deal.get', 'crm.deal.list', 'crm.item.list', 'crm.deal.fields', 'user.current', 'app.info', 'profile', 'placement.get', 'bizproc.robot.list', 'crm.deal.contact.items.get', 'CRM.DEAL.GET', 'crm.deal.get.json'])(
    '%s is a read',
    (m) => expect(isReadMethod(m)).toBe(true),
  );
  it.each(['crm.deal.add', 'crm.deal.update', 'crm.timeline.comment.add', 'bizproc.event.send', 'bizproc.activity.log', 'placement.bind', 'event.unbind', 'crm.automation.trigger.execute', 'batch', 'im.notify.personal.add', 'crm.documentgenerator.document.add'])(
    '%s is a write',
    (m) => expect(isReadMethod(m)).toBe(false),
  );
});

describe('legacy empty error codes', () => {
  it('keeps a real code', () => expect(normalizeErrorCode('ACCESS_DENIED', 'x')).toBe('ACCESS_DENIED'));
  it.each([
    ['Not found', 'NOT_FOUND'],
    ['Access denied.', 'ACCESS_DENIED'],
    ['ID is not defined or invalid.', 'INVALID_ARG_VALUE'],
    ['Something odd', 'ERROR_UNKNOWN'],
  ])('"%s" → %s', (d, code) => expect(normalizeErrorCode('', d)).toBe(code));
});

describe('endpoint safety', () => {
  const strict = { allowInsecure: false };
  const dev = { allowInsecure: true };
  it('accepts https portals', () => expect(assertSafeEndpoint('https://acme.bitrix24.com/rest/', strict).host).toBe('acme.bitrix24.com'));
  it.each(['http://acme.bitrix24.com/rest/', 'ftp://acme/rest/', 'https://user:pw@acme.bitrix24.com/rest/', 'https://10.0.0.5/rest/', 'https://192.168.1.1/rest/', 'https://169.254.169.254/rest/', 'not a url'])(
    'refuses %s',
    (u) => expect(() => assertSafeEndpoint(u, strict)).toThrow(/Refusing/),
  );
  it('allows http only to loopback and only in insecure mode', () => {
    expect(() => assertSafeEndpoint('http://127.0.0.1:8790/x.bitrix24.test/rest/', strict)).toThrow();
    expect(assertSafeEndpoint('http://127.0.0.1:8790/x.bitrix24.test/rest/', dev).port).toBe('8790');
    expect(assertSafeEndpoint('http://localhost:1/rest/', dev).hostname).toBe('localhost');
    expect(() => assertSafeEndpoint('http://acme.bitrix24.test/rest/', dev)).toThrow();
  });
  it('builds method URLs under the endpoint', () => {
    expect(methodUrl(new URL('https://a.bitrix24.com/rest/'), 'crm.deal.get').href).toBe('https://a.bitrix24.com/rest/crm.deal.get');
    expect(methodUrl(new URL('http://127.0.0.1:9/a.bitrix24.test/rest/'), 'profile').href).toBe('http://127.0.0.1:9/a.bitrix24.test/rest/profile');
    expect(methodUrl(new URL('https://a.bitrix24.com/rest/'), '../../x?y').href).toBe('https://a.bitrix24.com/rest/..%2F..%2Fx%3Fy');
  });
  it('derives the new endpoint of a renamed portal from Location', () => {
    const req = new URL('https://old.bitrix24.com/rest/crm.deal.get');
    expect(restEndpointFromLocation('https://new.bitrix24.com/rest/crm.deal.get', req)).toBe('https://new.bitrix24.com/rest/');
    expect(restEndpointFromLocation('https://new.bitrix24.com/', req)).toBe('https://new.bitrix24.com/rest/');
  });
  it('derives the token URL from server_endpoint, for known OAuth hosts only', () => {
    const o = { allowInsecure: false, oauthHosts: DEFAULT_OAUTH_HOSTS };
    expect(tokenUrlFor('https://oauth.bitrix.info/rest/', o).href).toBe('https://oauth.bitrix.info/oauth/token/');
    expect(tokenUrlFor('https://oauth.bitrix24.tech/rest/', o).href).toBe('https://oauth.bitrix24.tech/oauth/token/');
    expect(() => tokenUrlFor('https://evil.example/rest/', o)).toThrow(/OAuth/);
    expect(() => tokenUrlFor('https://oauth.bitrix24.test/rest/', o)).toThrow();
    const devOpts = { allowInsecure: true, oauthHosts: DEFAULT_OAUTH_HOSTS };
    expect(tokenUrlFor('https://oauth.bitrix24.test/rest/', devOpts).href).toBe('https://oauth.bitrix24.test/oauth/token/');
    expect(tokenUrlFor('http://127.0.0.1:8790/oauth.bitrix24.test/rest/', devOpts).href).toBe('http://127.0.0.1:8790/oauth.bitrix24.test/oauth/token/');
  });
});

describe('batch command encoding', () => {
  it('writes PHP bracket keys, keeps references readable, encodes the rest', () => {
    expect(buildQuery({ id: 5, fields: { TITLE: 'A & B=c', PHONE: [{ VALUE: '+1 555', VALUE_TYPE: 'WORK' }] } })).toBe(
      'id=5&fields[TITLE]=A%20%26%20B%3Dc&fields[PHONE][0][VALUE]=%2B1%20555&fields[PHONE][0][VALUE_TYPE]=WORK',
    );
    expect(buildQuery({ ID: '$result[deal][CONTACT_ID]' })).toBe('ID=$result[deal][CONTACT_ID]');
    expect(buildQuery({ filter: { '>ID': 10, parentId: null }, flag: true, off: false, skip: undefined })).toBe('filter[%3EID]=10&filter[parentId]=&flag=1&off=0');
    expect(buildQuery({ select: [] })).toBe('select=');
    expect(buildQuery({ name: 'Жанна' })).toBe('name=%D0%96%D0%B0%D0%BD%D0%BD%D0%B0');
  });
});

describe('cross-chunk references', () => {
  const earlier = { deal: { ID: '7', CONTACT_ID: '12', ITEMS: [{ ID: '3' }] }, list: [{ ID: '9' }] };
  it('fills whole-value and embedded references to earlier results', () => {
    expect(resolveReferences({ id: '$result[deal][CONTACT_ID]' }, earlier)).toEqual({ id: '12' });
    expect(resolveReferences({ f: { x: 'deal $result[deal][ID] of $result[list][0][ID]' } }, earlier)).toEqual({ f: { x: 'deal 7 of 9' } });
    expect(resolveReferences(['$result[deal][ITEMS]'], earlier)).toEqual([[{ ID: '3' }]]);
  });
  it('leaves references it cannot resolve for Bitrix24', () => {
    expect(resolveReferences({ id: '$result[later][ID]', y: '$result[deal][NOPE]' }, earlier)).toEqual({ id: '$result[later][ID]', y: '$result[deal][NOPE]' });
  });
});

describe('bucket headroom', () => {
  it('fills a little under Bitrix24’s bucket', () => {
    expect(effectiveCapacity(50)).toBe(48);
    expect(effectiveCapacity(250)).toBe(240);
    expect(effectiveCapacity(5)).toBe(4);
    expect(effectiveCapacity(1)).toBe(1);
    expect(effectiveCapacity(50, 2)).toBe(48);
    expect(effectiveCapacity(250, 5)).toBe(240);
    expect(effectiveCapacity(10, 20)).toBe(5);
  });
});

describe('Bitrix24 errors at the doors', () => {
  it('maps lost authorization, outages and refusals to AppError codes', () => {
    expect(toAppError(new Bitrix24Error('PORTAL_NEEDS_REAUTH', 'invalid_grant', 'profile')).code).toBe('PORTAL_NEEDS_REAUTH');
    expect(toAppError(new Bitrix24Error('QUERY_LIMIT_EXCEEDED', '', 'profile', 503)).code).toBe('BITRIX24_UNREACHABLE');
    expect(toAppError(new Bitrix24Error('INTERNAL_SERVER_ERROR', '', 'profile', 500)).code).toBe('BITRIX24_UNREACHABLE');
    const refused = toAppError(new Bitrix24Error('ACCESS_DENIED', 'Access denied!', 'crm.deal.get', 403));
    expect(refused.code).toBe('BITRIX24_ERROR');
    expect(refused.details).toEqual({ bitrix24: 'ACCESS_DENIED', method: 'crm.deal.get' });
  });
});
