import { assertSafeEndpoint, isTrustedOAuthHost, methodUrl, type OAuthTrust } from './endpoints.js';

/**
 * Where the OAuth server says the portal's REST endpoint is: `app.info` on the authorization server
 * answers `result.install.client_endpoint` for the token's portal (reference §14). A portal's 302
 * is only a claim (anyone controlling the old host or a proxy can send one), so the client follows
 * it, and stores it, only when this answer names the same address.
 */
export type EndpointAnswer =
  | { kind: 'ok'; clientEndpoint: string }
  /** The token is expired or revoked: refresh and ask again. */
  | { kind: 'token' }
  | { kind: 'fail'; reason: string };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

export async function endpointFromOAuthServer(
  fetchFn: typeof fetch,
  p: { serverEndpoint: string | null; accessToken: string; memberId: string; trust: OAuthTrust; timeoutMs: number },
): Promise<EndpointAnswer> {
  if (!p.serverEndpoint) return { kind: 'fail', reason: 'no OAuth server stored' };
  let server: URL;
  try {
    server = assertSafeEndpoint(p.serverEndpoint, p.trust);
  } catch {
    return { kind: 'fail', reason: 'the stored OAuth server is not a safe endpoint' };
  }
  if (!isTrustedOAuthHost(server.hostname, p.trust)) return { kind: 'fail', reason: 'the stored OAuth server is not trusted' };
  let res: Response;
  try {
    res = await fetchFn(methodUrl(server, 'app.info'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ auth: p.accessToken }).toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(p.timeoutMs),
    });
  } catch (e) {
    return { kind: 'fail', reason: `OAuth server unreachable: ${(e as Error).name}` };
  }
  const body = obj(await res.json().catch(() => undefined));
  if (res.status === 401) return { kind: 'token' };
  const install = obj(obj(body?.result)?.install);
  if (res.status !== 200 || !install) return { kind: 'fail', reason: `OAuth server answered ${res.status}` };
  if (install.member_id !== p.memberId) return { kind: 'fail', reason: 'the OAuth server names another portal' };
  if (typeof install.client_endpoint !== 'string' || !install.client_endpoint) return { kind: 'fail', reason: 'no client_endpoint in app.info' };
  return { kind: 'ok', clientEndpoint: install.client_endpoint };
}

/** Same endpoint, ignoring only a missing trailing slash and host case (URL normalises those). */
export function sameEndpoint(a: string, b: string): boolean {
  try {
    const x = new URL(a.endsWith('/') ? a : `${a}/`);
    const y = new URL(b.endsWith('/') ? b : `${b}/`);
    return x.href === y.href;
  } catch {
    return false;
  }
}
