/**
 * Response headers (src/http/security-headers.ts), checked by walking every GET route of the app as
 * `npm start` runs it (sandbox on, so its pages are mounted too) and the placement pages the sandbox
 * frames: nosniff everywhere; on HTML a CSP with `script-src` (no 'unsafe-inline') and
 * `frame-ancestors`, `'none'` plus X-Frame-Options DENY unless the page belongs in the portal's
 * frame; and every inline script carries the response's nonce, so the policy lets ours run and
 * nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseCsp } from '../../src/http/security-headers.js';
import { startSandboxServer, type SandboxServer } from '../e2e/helpers/sandbox-server.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { fromPeer } from '../helpers/peer.js';
import { createTestServices } from '../helpers/services.js';
import { FIELDS, lastMessage, samplePdf, sessionFor, tokenFromBody } from '../helpers/signing.js';

interface Seen {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

/** What every HTML page must satisfy; returns the CSP's frame-ancestors sources. */
function checkHtml(p: Seen): string[] {
  const where = `${p.url} (${p.status})`;
  const csp = parseCsp(p.headers.get('content-security-policy'));
  const scripts = csp.get('script-src');
  expect(scripts, `${where}: script-src`).toBeDefined();
  expect(scripts, `${where}: no unsafe-inline`).not.toContain("'unsafe-inline'");
  expect(csp.get('object-src'), where).toEqual(["'none'"]);
  const ancestors = csp.get('frame-ancestors');
  expect(ancestors, `${where}: frame-ancestors`).toBeDefined();
  const nonce = scripts!.find((s) => s.startsWith("'nonce-"))?.slice(7, -1);
  expect(nonce, `${where}: a nonce`).toMatch(/^[A-Za-z0-9+/=]{20,}$/);
  // Inline scripts (not data blocks) must carry the nonce, or the browser would refuse them.
  for (const m of p.body.matchAll(/<script\b([^>]*)>/g)) {
    const attrs = m[1]!;
    if (/\bsrc=/.test(attrs) || /type="application\/json"/.test(attrs)) continue;
    expect(attrs, `${where}: inline script without the nonce`).toContain(`nonce="${nonce}"`);
  }
  if (ancestors!.join(' ') === "'none'") expect(p.headers.get('x-frame-options'), where).toBe('DENY');
  else expect(p.headers.get('x-frame-options'), where).toBeNull();
  return ancestors!;
}

describe('security headers on every page the app serves', () => {
  let db: TestDb;
  let server: SandboxServer;
  let signerToken: string;
  const seen: Seen[] = [];

  async function get(path: string, init: RequestInit = {}): Promise<Seen> {
    const url = `${server.origin}${path}`;
    const res = await server.app.request(url, { ...init, headers: { accept: 'text/html', ...(init.headers as Record<string, string>) } }, fromPeer('198.51.100.9'));
    const p = { url: path, status: res.status, headers: res.headers, body: await res.text() };
    seen.push(p);
    return p;
  }

  beforeAll(async () => {
    db = await createTestDb();
    server = await startSandboxServer(db, { listen: false });
    const services = server.services;
    const created = await server.app.request(
      `${server.origin}/api/envelopes`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await sessionFor(services, services.sandbox!.portalId!)}` },
        body: JSON.stringify({
          title: 'Headers',
          lang: 'en',
          pdfBase64: Buffer.from(await samplePdf()).toString('base64'),
          fields: FIELDS.filter((f) => f.party !== 'company'),
          recipients: [{ party: 'client', name: 'Ada Neri', email: 'ada@buyer.example' }],
          send: true,
        }),
      },
      fromPeer('198.51.100.9'),
    );
    const body = (await created.json()) as { recipients: { id: string }[] };
    expect(created.status, JSON.stringify(body)).toBe(201);
    signerToken = tokenFromBody((await lastMessage(services, body.recipients[0]!.id, 'invitation'))!.body)!;
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
  });

  it('walks every GET route: nosniff on all, the page policy on every HTML answer', async () => {
    const h = server.services.sandbox!;
    const VALUES: Record<string, string> = { token: signerToken, id: h.tourDealId, publicId: 'B24S-NOPE-NOPE-NOPE' };
    const routes = [...new Set(server.app.routes.filter((r) => r.method === 'GET').map((r) => r.path))];
    for (const route of routes) {
      const path = route.replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string) => encodeURIComponent(route.startsWith('/s/final') ? 'not-a-token' : (VALUES[name] ?? 'x1')));
      await get(path);
    }
    // Pages reached only with a query, and answers no route gives: 404, the sandbox's framed tab.
    await get(`/sandbox/deal/${h.tourDealId}?tab=CRM_DEAL_DETAIL_TAB`);
    await get('/no/such/page');
    await get('/s/not-a-token');

    for (const p of seen) expect(p.headers.get('x-content-type-options'), p.url).toBe('nosniff');
    const html = seen.filter((p) => (p.headers.get('content-type') ?? '').startsWith('text/html'));
    // Public pages: never framed.
    for (const p of html) expect(checkHtml(p), p.url).toEqual(["'none'"]);
    // The walk reached the pages that matter (not just error pages).
    const okPages = html.filter((p) => p.status === 200).map((p) => p.url.replace(signerToken, ':token'));
    for (const must of ['/s/:token', '/v', '/sandbox', `/sandbox/deal/${h.tourDealId}`, '/sandbox/mail', '/sandbox/app']) expect(okPages, must).toContain(must);
    expect(html.some((p) => p.status === 404)).toBe(true);
    // The signing page keeps its own fuller policy; the nonce is per response.
    const signing = seen.find((p) => p.url === `/s/${signerToken}`)!;
    expect(parseCsp(signing.headers.get('content-security-policy')).get('connect-src')).toEqual(["'self'"]);
    const nonces = html.map((p) => parseCsp(p.headers.get('content-security-policy')).get('script-src')!.find((s) => s.startsWith("'nonce-")));
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('placement pages framed by the sandbox allow exactly the portal as framer, and their scripts run', async () => {
    const h = server.services.sandbox!;
    for (const host of [`/sandbox/deal/${h.tourDealId}?tab=CRM_DEAL_DETAIL_TAB`, '/sandbox/app']) {
      const page = await get(host);
      // Submit the hidden form the sandbox page posts into its iframe, as the browser would.
      const form = /<form id="b24form"[^>]*action="([^"]+)"/.exec(page.body);
      expect(form, host).toBeTruthy();
      const action = new URL(form![1]!.replace(/&amp;/g, '&'));
      const fields = new URLSearchParams();
      for (const m of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields.append(m[1]!, m[2]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
      const framed = await get(`${action.pathname}${action.search}`, { method: 'POST', body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(framed.status, `${action.pathname}: ${framed.body.slice(0, 300)}`).toBe(200);
      expect(framed.headers.get('x-content-type-options')).toBe('nosniff');
      expect(checkHtml(framed), action.pathname).toEqual([h.origin]);
    }
  });
});

describe('HSTS', () => {
  it('is sent when PUBLIC_URL is https, and only then', async () => {
    const https = await createTestServices({ env: { PUBLIC_URL: 'https://sign.example.test' } });
    const http = await createTestServices();
    try {
      const a = await createApp(https).request('/v');
      expect(a.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      const json = await createApp(https).request('/no/such/thing', { headers: { accept: 'application/json' } });
      expect(json.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(json.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await createApp(http).request('/v')).headers.get('strict-transport-security')).toBeNull();
    } finally {
      await https.testDb.close();
      await http.testDb.close();
    }
  });
});
