import { assertSafeEndpoint, isTrustedOAuthHost, type OAuthTrust } from './endpoints.js';
import { scopeList } from './scopes.js';
import type { Config } from '../config.js';
import { AppError } from '../lib/app-error.js';

// Bitrix24's OAuth server and REST endpoints as the doors and the domain check them: which endpoint a
// token may go to, and whose token it is (app.info). Runtime-neutral: WebCrypto and the injected fetch.

const enc = new TextEncoder();

/**
 * Constant-time string equality on WebCrypto: both sides are hashed first, so neither the content
 * nor the length of the secret leaks through timing, on Node and Workers alike.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(a)), crypto.subtle.digest('SHA-256', enc.encode(b))]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

export const unauthorized = () => new AppError('UNAUTHORIZED', 'The request could not be authenticated as coming from Bitrix24.');


/**
 * An endpoint we may send a token to (endpoints.ts rules: https to a public host, plain http only
 * to loopback with BITRIX24_ALLOW_INSECURE_ENDPOINTS, no credentials). Query and fragment are
 * refused too; the result ends with a slash so methods resolve under it.
 */
export function checkEndpoint(raw: string | null | undefined, config: Pick<Config, 'BITRIX24_ALLOW_INSECURE_ENDPOINTS'>): URL | undefined {
  if (!raw) return undefined;
  let u: URL;
  try {
    u = assertSafeEndpoint(raw, { allowInsecure: config.BITRIX24_ALLOW_INSECURE_ENDPOINTS });
  } catch {
    return undefined;
  }
  if (u.search || u.hash) return undefined;
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

/**
 * The OAuth server's REST base (`https://oauth.bitrix.info/rest/`) if it is one we trust: a host in
 * BITRIX24_OAUTH_HOSTS; outside production also the configured default and (tests, sandbox) a
 * loopback/.test emulator. In production the list is all there is (config refuses a default server
 * outside it), so nothing implicit can vouch for a token.
 */
export function oauthServerEndpoint(raw: string | null | undefined, config: Config): URL | undefined {
  const u = checkEndpoint(raw, config);
  if (!u) return undefined;
  const trust = oauthTrustOf(config);
  if (isTrustedOAuthHost(u.hostname, trust)) return u;
  const configured = checkEndpoint(config.BITRIX24_OAUTH_SERVER_ENDPOINT, config)?.hostname.toLowerCase();
  return !trust.production && u.hostname.toLowerCase() === configured ? u : undefined;
}

/** The OAuth-server trust rules of a configuration (src/bitrix24/endpoints.ts isTrustedOAuthHost). */
export function oauthTrustOf(config: Pick<Config, 'BITRIX24_ALLOW_INSECURE_ENDPOINTS' | 'BITRIX24_OAUTH_HOSTS'> & Partial<Pick<Config, 'NODE_ENV'>>): OAuthTrust {
  return { allowInsecure: config.BITRIX24_ALLOW_INSECURE_ENDPOINTS, oauthHosts: config.BITRIX24_OAUTH_HOSTS, production: config.NODE_ENV === 'production' };
}

type Json = Record<string, unknown>;

/** One REST call with a caller-supplied token; no redirects followed (a 302 must not carry the token elsewhere). */
export async function callWithToken(services: { fetch: typeof fetch }, base: URL, method: string, token: string): Promise<{ status: number; body: Json }> {
  let res: Response;
  try {
    res = await services.fetch(new URL(method, base), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ auth: token }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new AppError('BITRIX24_UNREACHABLE', 'Bitrix24 could not be reached. Check that the portal is online and try again.', undefined, { cause: e });
  }
  let body: Json = {};
  try {
    body = (await res.json()) as Json;
  } catch {
    body = {};
  }
  return { status: res.status, body };
}

export interface TokenInfo {
  memberId: string;
  /** The portal's host as the OAuth server names it (`result.install.domain`). */
  domain: string;
  /** The portal's REST endpoint exactly as the OAuth server gives it (`result.install.client_endpoint`). */
  clientEndpoint: string;
  clientId?: string;
  /** The scopes granted to the app on the portal (`result.install.scope`, else the token's `result.scope`). */
  scope: string[];
  userId?: number;
  installed?: boolean;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * Asks the OAuth server which portal and app a token belongs to (`app.info` on the authorization
 * server, reference §4.6 and §14). Its answer is `result: { client_id, scope, expires, user_id,
 * install: { installed, version, status, scope, domain, uri, client_endpoint, member_id, member_type } }`:
 * the portal's identity is under `result.install`, never at the top level (b24pysdk
 * b24pysdk/api/responses/bitrix_app_info_response.py `B24AppInfoResult`/`B24AppInfoInstall`, and
 * b24pysdk/credentials/auth.py, which compares `member_id` and `domain` with `app_info.install`).
 * The token must belong to `expectedMemberId` and, when we know our client_id, to our app.
 */
export async function verifyTokenWithOAuthServer(
  services: { fetch: typeof fetch; config: Config },
  p: { accessToken: string; serverEndpoint: URL; expectedMemberId: string },
): Promise<TokenInfo> {
  const { status, body } = await callWithToken(services, p.serverEndpoint, 'app.info', p.accessToken);
  const r = body.result as Json | undefined;
  if (status >= 500) throw new AppError('BITRIX24_ERROR', 'The Bitrix24 authorization server did not answer properly. Try again in a minute.');
  if (status !== 200 || !r || typeof r !== 'object') throw unauthorized();
  const install = r.install && typeof r.install === 'object' && !Array.isArray(r.install) ? (r.install as Json) : {};
  const memberId = text(install.member_id) ?? '';
  if (!memberId || !(await constantTimeEqual(memberId, p.expectedMemberId))) throw unauthorized();
  const clientId = text(r.client_id);
  const ours = services.config.BITRIX24_CLIENT_ID;
  if (ours && clientId && clientId !== ours) throw unauthorized();
  const userId = Number(r.user_id);
  return {
    memberId,
    domain: text(install.domain) ?? '',
    clientEndpoint: text(install.client_endpoint) ?? '',
    clientId,
    scope: scopeList(text(install.scope) ?? text(r.scope)),
    userId: Number.isInteger(userId) && userId > 0 ? userId : undefined,
    installed: typeof install.installed === 'boolean' ? install.installed : undefined,
  };
}
