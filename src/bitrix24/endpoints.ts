/**
 * Where the client may send a request. Tokens and the app's client secret only ever travel to the
 * portal's stored REST endpoint or to its region's OAuth server, both https; plain http is allowed
 * only to loopback and only when BITRIX24_ALLOW_INSECURE_ENDPOINTS is on (tests, the sandbox).
 */

/** The two regional authorization servers Bitrix24 operates (reference §2.1). */
export const DEFAULT_OAUTH_HOSTS = ['oauth.bitrix.info', 'oauth.bitrix24.tech'] as const;

export class UnsafeEndpointError extends Error {
  constructor(readonly url: string, reason: string) {
    super(`Refusing endpoint ${safeForLog(url)}: ${reason}`);
    this.name = 'UnsafeEndpointError';
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** IP literals that point inside a network (RFC 1918, link-local, CGNAT, unique-local, unspecified). */
function isPrivateIpLiteral(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (h.includes(':')) return h === '::' || h === '::1' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80') || h.startsWith('::ffff:');
  return false;
}

/**
 * Parses and checks a stored endpoint. https to a public host always; http only to loopback with
 * `allowInsecure`. Credentials in the URL and private IP literals are refused (SSRF, reference §13.5).
 */
export function assertSafeEndpoint(raw: string, opts: { allowInsecure: boolean }): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeEndpointError(raw, 'not a URL');
  }
  if (url.username || url.password) throw new UnsafeEndpointError(raw, 'credentials in the URL');
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol === 'https:') {
    if (isPrivateIpLiteral(url.hostname) && !(loopback && opts.allowInsecure)) {
      throw new UnsafeEndpointError(raw, 'private address');
    }
    return url;
  }
  if (url.protocol === 'http:' && loopback && opts.allowInsecure) return url;
  throw new UnsafeEndpointError(raw, url.protocol === 'http:' ? 'plain http is allowed only to loopback with BITRIX24_ALLOW_INSECURE_ENDPOINTS' : 'not https');
}

/** `https://portal/rest/` + method; the endpoint always ends with a slash. */
export function methodUrl(clientEndpoint: URL, method: string): URL {
  const base = clientEndpoint.href.endsWith('/') ? clientEndpoint.href : `${clientEndpoint.href}/`;
  return new URL(encodeURIComponent(method).replace(/%2E/gi, '.'), base);
}

/**
 * The REST endpoint of a renamed portal, from the `Location` of its 302: everything up to and
 * including `/rest/`, or the new origin + `/rest/` when the path says nothing.
 */
export function restEndpointFromLocation(location: string, requestUrl: URL): string {
  const target = new URL(location, requestUrl);
  const at = target.pathname.indexOf('/rest/');
  const path = at >= 0 ? target.pathname.slice(0, at + '/rest/'.length) : '/rest/';
  return `${target.origin}${path}`;
}

export interface OAuthTrust {
  allowInsecure: boolean;
  oauthHosts: readonly string[];
  /** NODE_ENV=production: the list is all there is. */
  production?: boolean;
}

/**
 * May this host receive the client secret and vouch for tokens? A host in BITRIX24_OAUTH_HOSTS. Outside
 * production, with BITRIX24_ALLOW_INSECURE_ENDPOINTS, also the emulator on a loopback port or a
 * reserved `.test` name (tests, the sandbox). Production trusts exactly the list: a test or bench that
 * runs production against the emulator names its host there.
 */
export function isTrustedOAuthHost(hostname: string, opts: OAuthTrust): boolean {
  const host = hostname.toLowerCase();
  if (opts.oauthHosts.some((h) => h.toLowerCase() === host)) return true;
  return !opts.production && opts.allowInsecure && (isLoopbackHost(host) || host.endsWith('.test'));
}

/**
 * The token URL for a portal: the stored `server_endpoint` (`https://oauth.bitrix.info/rest/`)
 * names the region's OAuth server, and the token endpoint sits beside its `rest/`
 * (`https://oauth.bitrix.info/oauth/token/`; a path prefix, as the standalone emulator uses, is
 * kept). The host must be a known authorization server: the client secret goes there.
 */
export function tokenUrlFor(serverEndpoint: string, opts: OAuthTrust): URL {
  const url = assertSafeEndpoint(serverEndpoint, opts);
  if (!isTrustedOAuthHost(url.hostname, opts)) throw new UnsafeEndpointError(serverEndpoint, 'not a known Bitrix24 OAuth server');
  const prefix = url.pathname.replace(/\/rest\/?$/, '/').replace(/\/+$/, '');
  return new URL(`${prefix}/oauth/token/`, url.origin);
}

/** A URL without query or credentials, for logs. */
export function safeForLog(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
