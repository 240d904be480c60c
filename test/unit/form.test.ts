import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../src/http/errors.js';
import { parseBitrixForm, parseForm, parseQuery, readBitrixForm, type FormLimits } from '../../src/http/form.js';

/** What PHP's http_build_query produces for nested data: brackets and URL characters percent-encoded, spaces as '+'. */
function phpEncode(obj: Record<string, unknown>, prefix = ''): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v && typeof v === 'object') parts.push(phpEncode(v as Record<string, unknown>, key));
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v)).replace(/%20/g, '+')}`);
  }
  return parts.filter(Boolean).join('&');
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
  }
  return undefined;
}

describe('parseBitrixForm', () => {
  it('nests PHP bracket keys and keeps every scalar a string', () => {
    const body =
      'event=ONCRMCONTACTADD&event_handler_id=58&data%5BFIELDS%5D%5BID%5D=134806&ts=1727018926' +
      '&auth%5Bexpires_in%5D=3600&auth%5Bscope%5D=crm%2Cplacement%2Cuser_brief' +
      '&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F&auth%5Bmember_id%5D=abc';
    expect(parseBitrixForm(body)).toEqual({
      event: 'ONCRMCONTACTADD',
      event_handler_id: '58',
      data: { FIELDS: { ID: '134806' } },
      ts: '1727018926',
      auth: { expires_in: '3600', scope: 'crm,placement,user_brief', server_endpoint: 'https://oauth.bitrix.info/rest/', member_id: 'abc' },
    });
  });

  it('turns 0..n-1 keys into arrays, including nested multiple-value properties', () => {
    const body = 'document_id[0]=crm&document_id[1]=CCrmDocumentDeal&document_id[2]=DEAL_8061&properties[x][0]=a&properties[x][1]=b&properties[y]=c';
    expect(parseBitrixForm(body)).toEqual({
      document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_8061'],
      properties: { x: ['a', 'b'], y: 'c' },
    });
  });

  it('appends with [] and keeps sparse or huge indices as object keys (no giant arrays)', () => {
    expect(parseBitrixForm('a[]=1&a[]=2')).toEqual({ a: ['1', '2'] });
    expect(parseBitrixForm('a[0]=x&a[5]=y')).toEqual({ a: { '0': 'x', '5': 'y' } });
    expect(parseBitrixForm('a[999999999]=x')).toEqual({ a: { '999999999': 'x' } });
  });

  it('decodes + as space and UTF-8 escapes (Cyrillic robot properties)', () => {
    expect(parseBitrixForm('properties[comment]=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82+%D0%BC%D0%B8%D1%80')).toEqual({ properties: { comment: 'Привет мир' } });
  });

  it('refuses a NUL character, escaped or raw (PostgreSQL text cannot hold one): 400, not a database error', () => {
    for (const body of ['properties[comment]=a%00b', 'a\u0000b=1']) {
      const err = (() => {
        try {
          parseBitrixForm(body);
        } catch (e) {
          return e;
        }
      })() as AppError;
      expect(err, body).toBeInstanceOf(AppError);
      expect(err.status).toBe(400);
      expect(err.details).toEqual({ reason: 'nul_character' });
    }
  });

  it('lets a later pair win, as PHP does', () => {
    expect(parseBitrixForm('a=1&a=2')).toEqual({ a: '2' });
    expect(parseBitrixForm('a=1&a[b]=2')).toEqual({ a: { b: '2' } });
    expect(parseBitrixForm('a[b]=2&a=1')).toEqual({ a: '1' });
  });

  it('treats an unclosed bracket as a literal key and ignores text after the last bracket', () => {
    expect(parseBitrixForm('a[b=1')).toEqual({ 'a[b': '1' });
    expect(parseBitrixForm('a[b]junk=1')).toEqual({ a: { b: '1' } });
  });

  it('refuses prototype keys instead of polluting objects', () => {
    expect(codeOf(() => parseBitrixForm('__proto__[x]=1'))).toBe('BAD_REQUEST');
    expect(codeOf(() => parseBitrixForm('a[__proto__][polluted]=1'))).toBe('BAD_REQUEST');
    expect(codeOf(() => parseBitrixForm('a[constructor][prototype][x]=1'))).toBe('BAD_REQUEST');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('enforces depth, pair-count, key-length and size limits with typed errors', () => {
    const limits: FormLimits = { maxBytes: 200, maxPairs: 3, maxDepth: 2, maxKeyLength: 20 };
    expect(parseBitrixForm('a[b][c]=1', limits)).toEqual({ a: { b: { c: '1' } } });
    expect(codeOf(() => parseBitrixForm('a[b][c][d]=1', limits))).toBe('BAD_REQUEST');
    expect(codeOf(() => parseBitrixForm('a=1&b=2&c=3&d=4', limits))).toBe('BAD_REQUEST');
    expect(codeOf(() => parseBitrixForm(`${'k'.repeat(21)}=1`, limits))).toBe('BAD_REQUEST');
    expect(codeOf(() => parseBitrixForm(`a=${'x'.repeat(300)}`, limits))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses malformed percent-escapes with BAD_REQUEST', () => {
    expect(codeOf(() => parseBitrixForm('a=%E0%A4%A'))).toBe('BAD_REQUEST');
    expect(codeOf(() => parseBitrixForm('a%ZZ=1'))).toBe('BAD_REQUEST');
  });

  it('round-trips whatever http_build_query encodes (property test)', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,10}$/);
    const leaf = fc.string({ maxLength: 20 });
    const tree = fc.dictionary(name, fc.oneof(leaf, fc.dictionary(name, fc.oneof(leaf, fc.dictionary(name, leaf, { minKeys: 1, maxKeys: 3 })), { minKeys: 1, maxKeys: 3 })), { maxKeys: 6 });
    fc.assert(
      fc.property(tree, (t) => {
        expect(parseBitrixForm(phpEncode(t))).toEqual(t);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but AppError on arbitrary input (no 500s)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const code = codeOf(() => parseBitrixForm(s));
        expect(code === undefined || code === 'BAD_REQUEST' || code === 'PAYLOAD_TOO_LARGE').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseQuery', () => {
  it('reads frame fields from the handler URL', () => {
    expect(parseQuery('https://app.test/b24/install?DOMAIN=x.bitrix24.com&PROTOCOL=1&LANG=en&APP_SID=abc#frag')).toEqual({ DOMAIN: 'x.bitrix24.com', PROTOCOL: '1', LANG: 'en', APP_SID: 'abc' });
    expect(parseQuery('https://app.test/b24/install')).toEqual({});
  });
});

describe('parseForm', () => {
  it('lists failing field paths, never values', () => {
    const schema = z.object({ auth: z.object({ member_id: z.string().min(5) }) });
    try {
      parseForm(schema, { auth: { member_id: 'zq' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      const err = e as AppError;
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.details).toEqual({ fields: ['auth.member_id'] });
      expect(err.message).not.toContain('zq');
    }
  });
});

describe('readBitrixForm', () => {
  const app = new Hono()
    .post('/f', async (c) => c.json(await readBitrixForm(c, { maxBytes: 64, maxPairs: 10, maxDepth: 3, maxKeyLength: 32 })))
    .onError((e, c) => (e instanceof AppError ? c.json({ code: e.code }, e.status) : c.json({ code: 'INTERNAL' }, 500)));
  const post = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }) =>
    app.request('/f?DOMAIN=p.test', { method: 'POST', body, headers });

  it('parses body and query', async () => {
    const res = await post('a[b]=1');
    expect(await res.json()).toEqual({ body: { a: { b: '1' } }, query: { DOMAIN: 'p.test' } });
  });

  it('refuses other content types with 415', async () => {
    const res = await post('{"a":1}', { 'content-type': 'application/json' });
    expect(res.status).toBe(415);
  });

  it('refuses bodies over the cap with 413 even without a Content-Length', async () => {
    const stream = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < 10; i++) ctl.enqueue(new TextEncoder().encode('a=xxxxxxxxxxxxxxxx&'));
        ctl.close();
      },
    });
    const res = await app.request('/f', { method: 'POST', body: stream, headers: { 'content-type': 'application/x-www-form-urlencoded' }, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses invalid UTF-8 with 400', async () => {
    const res = await post(new Uint8Array([0x61, 0x3d, 0xff, 0xfe]));
    expect(res.status).toBe(400);
  });
});
