/**
 * The OAuth server (`https://oauth.bitrix24.test/`): `/oauth/token/` by GET (query) or POST (form),
 * grant_type=refresh_token with rotating single-use refresh tokens (reference §2.2–§2.4), and the
 * OAuth-server `app.info` used to verify a frame's AUTH_ID (§4.6).
 */
import { checkResult } from './contracts/index.js';
import { oauthAppInfoContract } from './contracts/oauth-app-info.js';
import { timeBlock } from './envelope.js';
import { faultResponse, isDelayOnly, takeFault } from './faults.js';
import { phpParseQuery } from './php-form.js';
import type { EmulatorState } from './state.js';
import { checkAccessToken, issueTokens } from './tokens.js';
import type { InstalledApp } from './types.js';

const oauthError = (status: number, error: string, description: string) =>
  Response.json({ error, error_description: description }, { status });

async function readParams(req: Request): Promise<Record<string, unknown>> {
  const url = new URL(req.url);
  const params: Record<string, unknown> = phpParseQuery(url.search);
  if (req.method === 'POST') {
    const type = req.headers.get('content-type') ?? '';
    const text = await req.text();
    if (type.includes('application/json')) {
      try {
        Object.assign(params, JSON.parse(text || '{}'));
      } catch {
        /* an unreadable body reads as no parameters */
      }
    } else Object.assign(params, phpParseQuery(text));
  }
  return params;
}

/**
 * The app behind a client_id, for checking its secret. Client credentials belong to the app, not to
 * one install, so an app uninstalled from a portal still authenticates: a refresh token of the
 * uninstalled portal then fails as the token it is, `invalid_grant` (every token is revoked on
 * uninstall: "all access permissions for the application to the API are removed", b24restdocs
 * api-reference/common/events/on-app-uninstall.md; `invalid_grant` = invalid tokens on renewal,
 * settings/oauth/error-codes.md).
 */
function findApp(st: EmulatorState, clientId: string): InstalledApp | undefined {
  for (const p of st.portals.values()) {
    const a = p.apps.get(clientId) ?? p.uninstalledApps.get(clientId);
    if (a) return a;
  }
  return undefined;
}

export async function handleToken(st: EmulatorState, req: Request): Promise<Response> {
  if (req.method !== 'GET' && req.method !== 'POST') return oauthError(405, 'invalid_request', 'Method not allowed');
  const p = await readParams(req);
  const grantType = String(p.grant_type ?? '');
  const clientId = String(p.client_id ?? '');
  st.counters.tokenRequests++;
  if (grantType === 'refresh_token') st.counters.refreshRequests++;
  const log = (outcome: string) => st.oauthLog.push({ at: st.now(), httpMethod: req.method, grantType, clientId, outcome });

  const fault = takeFault(st, 'oauth', grantType);
  if (fault && !isDelayOnly(fault)) {
    log(`fault ${fault.status ?? 500}`);
    return faultResponse(fault);
  }
  if (fault) await new Promise((r) => setTimeout(r, fault.delayMs));

  if (grantType !== 'refresh_token') {
    log('unsupported_grant_type');
    return oauthError(400, grantType ? 'unsupported_grant_type' : 'invalid_request', grantType ? 'Unsupported grant type' : 'grant_type is required');
  }
  const app = findApp(st, clientId);
  if (!app || String(p.client_secret ?? '') !== app.clientSecret) {
    log('invalid_client');
    return oauthError(401, 'invalid_client', 'Invalid client credentials or application not installed');
  }
  const rec = st.tokens.get(String(p.refresh_token ?? ''));
  if (!rec || rec.kind !== 'refresh' || rec.revoked || rec.clientId !== clientId || rec.expiresAt <= st.now()) {
    log('invalid_grant');
    return oauthError(400, 'invalid_grant', 'Invalid refresh token');
  }
  const portal = st.portals.get(rec.memberId);
  const installed = portal?.apps.get(clientId);
  if (!portal || !installed) {
    log('invalid_client');
    return oauthError(401, 'invalid_client', 'Application not installed');
  }
  rec.revoked = true;
  if (st.opts.revokeAccessOnRefresh && rec.pairedAccess) {
    const a = st.tokens.get(rec.pairedAccess);
    if (a) a.revoked = true;
  }
  log('ok');
  return Response.json(issueTokens(st, portal, installed, rec.userId));
}

/**
 * `app.info` on the OAuth server: which app and portal a token belongs to. The portal's identity is
 * nested under `result.install`; `client_id`, `scope`, `expires` (an ISO date) and `user_id` are top
 * level (b24pysdk b24pysdk/api/responses/bitrix_app_info_response.py `B24AppInfoResult` /
 * `B24AppInfoInstall`, b24pysdk/schemas/api.py; example values in b24pysdk tests/unit/examples.py
 * `INSTALL_DATA`; reference §14). Nothing about the portal is repeated at the top level.
 */
export async function handleOAuthRest(st: EmulatorState, req: Request, method: string): Promise<Response> {
  if (method.replace(/\.json$/, '').toLowerCase() !== 'app.info') {
    return Response.json({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' }, { status: 404 });
  }
  const started = st.now();
  const p = await readParams(req);
  const check = checkAccessToken(st, typeof p.auth === 'string' ? p.auth : undefined);
  if (!check.ok) return Response.json({ error: check.error, error_description: check.description }, { status: check.status });
  const t = check.token;
  const portal = st.portal(t.memberId);
  const app = portal.apps.get(t.clientId)!;
  const scope = app.scope.join(',');
  const body = {
    result: {
      client_id: app.clientId,
      scope,
      expires: new Date(t.expiresAt).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
      install: {
        installed: app.installed,
        version: Number(app.version) || app.version,
        status: app.status,
        scope,
        domain: portal.domain,
        uri: st.hosts.portalUri(portal.domain),
        client_endpoint: st.hosts.clientEndpoint(portal.domain),
        member_id: portal.memberId,
        member_type: 'user',
      },
      user_id: Number(t.userId),
    },
    time: timeBlock(st, started, { operating: 0, resetAt: started }),
  };
  // Held to the SDK's parser like every portal reply is held to its contract (contracts/oauth-app-info.ts).
  const violation = checkResult(oauthAppInfoContract, body.result);
  if (violation) return Response.json({ error: 'EMULATOR_CONTRACT_VIOLATION', error_description: violation }, { status: 500 });
  return Response.json(body);
}
