import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config.js';
import type { AppEnv } from '../types.js';

/**
 * Headers every response gets, set in one place after the route has answered (errors and 404s too):
 * - `X-Content-Type-Options: nosniff` on everything;
 * - `Strict-Transport-Security` when PUBLIC_URL is https (behind a TLS-terminating proxy the request
 *   itself may look like http, so the configured address decides);
 * - `Referrer-Policy: no-referrer` unless the route set one;
 * - on HTML, a CSP whose `script-src` allows only our own files and inline scripts that carry this
 *   request's nonce (`c.var.cspNonce`), no plugins, no `<base>`, and `frame-ancestors 'none'` plus
 *   `X-Frame-Options: DENY` unless the route allowed a framer.
 * A route states only what differs: frame pages set `frame-ancestors <portal origin>`
 * (src/http/frame-headers.ts); the signing page sets its fuller policy. A route's directives win over
 * these defaults, except that `script-src` is the union of both (so the nonce always works).
 */

type Policy = Map<string, string[]>;

export function parseCsp(header: string | null | undefined): Policy {
  const policy: Policy = new Map();
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name && !policy.has(name.toLowerCase())) policy.set(name.toLowerCase(), sources);
  }
  return policy;
}

export const serializeCsp = (p: Policy) => [...p].map(([name, sources]) => [name, ...sources].join(' ')).join('; ');

/** The policy for one HTML response, given what the route set and who may frame it. */
export function htmlPolicy(routeCsp: string | null, nonce: string): { csp: string; framable: boolean } {
  const p = parseCsp(routeCsp);
  const ancestors = p.get('frame-ancestors') ?? ["'none'"];
  const framable = !(ancestors.length === 1 && ancestors[0] === "'none'");
  const scripts = ["'self'", `'nonce-${nonce}'`];
  if (framable) {
    // Pages inside a portal render PDFs (wasm decoders). Bitrix24's SDK is bundled into our own scripts,
    // so nothing loads from the portal or a Bitrix24 CDN.
    scripts.push("'wasm-unsafe-eval'");
  }
  p.set('script-src', [...new Set([...scripts, ...(p.get('script-src') ?? [])])]);
  if (!p.has('object-src')) p.set('object-src', ["'none'"]);
  if (!p.has('base-uri')) p.set('base-uri', ["'none'"]);
  p.set('frame-ancestors', ancestors);
  return { csp: serializeCsp(p), framable };
}

function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/** The headers every answer gets, whatever its type. */
function setCommonHeaders(headers: Headers, hsts: boolean): void {
  headers.set('X-Content-Type-Options', 'nosniff');
  if (hsts) headers.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  // Signer and final links carry their token in the path: no page or file of ours names itself in
  // a Referer (error pages for a mistyped link included), unless the route chose otherwise.
  if (!headers.has('Referrer-Policy')) headers.set('Referrer-Policy', 'no-referrer');
}

export function securityHeaders(config: Config): MiddlewareHandler<AppEnv> {
  const hsts = config.publicUrl.startsWith('https://');
  return async (c, next) => {
    const nonce = newNonce();
    c.set('cspNonce', nonce);
    await next();
    let headers = c.res.headers;
    try {
      setCommonHeaders(headers, hsts);
    } catch {
      // Immutable headers (a Response passed through from fetch): copy it once.
      c.res = new Response(c.res.body, c.res);
      headers = c.res.headers;
      setCommonHeaders(headers, hsts);
    }
    if (!(headers.get('content-type') ?? '').toLowerCase().startsWith('text/html')) return;
    const { csp, framable } = htmlPolicy(headers.get('content-security-policy'), nonce);
    headers.set('Content-Security-Policy', csp);
    if (framable) headers.delete('X-Frame-Options');
    else headers.set('X-Frame-Options', 'DENY');
  };
}

/**
 * The same headers for a door that only ever answers JSON to a server (the robot door): no page, so
 * no nonce to draw and no CSP to compute, on a path that takes hundreds of calls at once.
 */
export function serverDoorHeaders(config: Config): MiddlewareHandler<AppEnv> {
  const hsts = config.publicUrl.startsWith('https://');
  return async (c, next) => {
    await next();
    setCommonHeaders(c.res.headers, hsts);
  };
}
