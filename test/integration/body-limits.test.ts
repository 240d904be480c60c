import { serve, type ServerType } from '@hono/node-server';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { bodyCapFor } from '../../src/http/body-limit.js';
import { postLazily, signBodyPieces } from '../helpers/hostile.js';
import { createTestServices } from '../helpers/services.js';
import { sessionFor } from '../helpers/signing.js';

/** Issue 14: every body is capped before parsing, sized per door (src/http/body-limit.ts). */
let services: Awaited<ReturnType<typeof createTestServices>>;
let app: ReturnType<typeof createApp>;
let server: ServerType;
let port: number;

beforeAll(async () => {
  services = await createTestServices({ env: { VERIFY_RATE_PER_MINUTE: '1000' } });
  app = createApp(services);
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await services.testDb.close();
});

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** `/api/sign/:token/sign` → `/api/sign/x/sign`; `:id{[0-9]+}` → `1`. */
const concrete = (path: string) => path.replace(/:[A-Za-z]+\{[^}]*\}/g, '1').replace(/:[A-Za-z]+/g, 'x');

describe('every route that takes a body', () => {
  it('refuses a declared Content-Length over its cap with 413 and a code, before reading', async () => {
    const routes = [...new Set(app.routes.filter((r) => BODY_METHODS.has(r.method)).map((r) => `${r.method} ${r.path}`))];
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const url = concrete(path);
      const cap = bodyCapFor(url, services.config);
      const res = await app.request(url, { method, body: 'x', headers: { 'content-type': 'application/json', 'content-length': String(cap.maxBytes + 1) } });
      expect(res.status, route).toBe(413);
      const body = await res.json();
      expect(body.error.code, route).toBe(cap.code);
      expect(body.error.details.limit, route).toBeGreaterThan(0);
    }
  });

  it('sizes the cap per door', () => {
    const c = services.config;
    expect(bodyCapFor('/api/sign/abc/verify', c).maxBytes).toBe(64 * 1024);
    expect(bodyCapFor('/api/sign/abc/sign', c).maxBytes).toBe(8 * 1024 * 1024);
    expect(bodyCapFor('/b24/events', c).maxBytes).toBe(512 * 1024);
    expect(bodyCapFor('/api/verify', c)).toMatchObject({ code: 'PDF_TOO_LARGE', limit: c.UPLOAD_MAX_BYTES });
    expect(bodyCapFor('/api/envelopes', c).maxBytes).toBeGreaterThan((c.UPLOAD_MAX_BYTES * 4) / 3);
    expect(bodyCapFor('/api/card/last-used', c).maxBytes).toBe(1024 * 1024);
  });

  it('a NUL character in a JSON string is bad input (400 nul_character), never a database error', async () => {
    const bearer = await sessionFor(services);
    const send = (name: string) =>
      app.request('/api/envelopes', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ title: 'NUL', lang: 'en', pdfBase64: 'JVBERi0=', fields: [], recipients: [{ party: 'client', name, email: 'ivan@buyer.example' }] }),
      });
    const res = await send('Ivan\u0000Petrov');
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'BAD_REQUEST', details: { reason: 'nul_character' } });
    // A backslash and "u0000" spelled out is text, not a NUL: it reaches the door's own checks.
    expect((await (await send('Ivan\\u0000')).json()).error?.details?.reason).not.toBe('nul_character');
  });

  it('lets a body under the cap through to the door', async () => {
    const res = await app.request('/api/sign/not-a-token/verify', { method: 'POST', body: JSON.stringify({ code: '123456' }), headers: { 'content-type': 'application/json' } });
    expect(res.status).not.toBe(413);
  });
});

describe('over real HTTP', () => {
  it('an absurd Content-Length is answered 413 at once, with no body sent', async () => {
    const t0 = performance.now();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('POST /api/sign/x/sign HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n');
      });
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        text += d;
        if (text.includes('}}')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(reply).toMatch(/^HTTP\/1\.1 413/);
    expect(reply).toContain('"code":"PAYLOAD_TOO_LARGE"');
  });

  it('a 64 MB JSON body to the public signing door: refused, and memory stays flat', async () => {
    const MB64 = 64 * 1024 * 1024;
    const rss0 = process.memoryUsage().rss;
    const r = await postLazily(port, '/api/sign/not-a-token/sign', { piece: signBodyPieces(MB64), total: MB64, type: 'application/json' });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    // Before the cap this request was read and parsed whole: RSS grew by about 250 MB.
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * 1024 * 1024);
  });

  it('a chunked body without a length is cut off at the cap', async () => {
    const MB64 = 64 * 1024 * 1024;
    const r = await postLazily(port, '/api/sign/not-a-token/sign', { piece: signBodyPieces(MB64), total: MB64, type: 'application/json', chunked: true });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    // The answer came while the client was still sending: the server stopped at its 8 MB cap.
    expect(r.sentBytes).toBeLessThan(MB64);
  });
});
