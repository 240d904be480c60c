import type { Context } from 'hono';

/**
 * Pages Bitrix24 shows in its iframe must be framable by the portal and by nobody else. CSP
 * `frame-ancestors` says so precisely; X-Frame-Options can only say SAMEORIGIN/DENY, which would
 * block the portal, so it is removed (reference §4.3, §13.3). Browsers that know frame-ancestors
 * ignore X-Frame-Options anyway.
 */

/** `https://portal.bitrix24.com` from a stored client endpoint `https://portal.bitrix24.com/rest/`. */
export function portalOrigin(clientEndpoint: string): string | undefined {
  try {
    const u = new URL(clientEndpoint);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

/** A bare host name as Bitrix24 sends in DOMAIN (`xxx.bitrix24.com`, maybe with a port); nothing else. */
const HOST_RE = /^(?=.{1,253}(:\d{1,5})?$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/i;

/**
 * The origin a request *claims* (DOMAIN + PROTOCOL from the query). Used only for error pages, which
 * carry nothing worth clickjacking, so the admin sees "what to do" inside the portal instead of a
 * blank frame. Verified pages use the stored portal's origin.
 */
export function claimedOrigin(domain: string | undefined, protocol: string | undefined): string | undefined {
  if (!domain || !HOST_RE.test(domain)) return undefined;
  return `${protocol === '0' ? 'http' : 'https'}://${domain.toLowerCase()}`;
}

export function frameAncestorsPolicy(origin: string | undefined): string {
  // No origin known: framable by nobody. The rest of the policy (script-src with this response's
  // nonce) is added for every HTML page by src/http/security-headers.ts.
  return `frame-ancestors ${origin ?? "'none'"}`;
}

/** Sets the framing policy on the response that `c` is about to send. */
export function setFrameHeaders(c: Context, origin: string | undefined): void {
  c.header('Content-Security-Policy', frameAncestorsPolicy(origin));
  c.header('X-Frame-Options', undefined);
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Cache-Control', 'no-store');
}

/** The same for a Response already built (error handlers). */
export function withFrameHeaders(res: Response, origin: string | undefined): Response {
  const out = new Response(res.body, res);
  out.headers.set('Content-Security-Policy', frameAncestorsPolicy(origin));
  out.headers.delete('X-Frame-Options');
  out.headers.set('Referrer-Policy', 'no-referrer');
  out.headers.set('X-Content-Type-Options', 'nosniff');
  out.headers.set('Cache-Control', 'no-store');
  return out;
}
