/**
 * Bitrix24 portal emulator — a Hono app holding portals in memory, faithful to shared/reference/bitrix24.md.
 *
 * ```ts
 * const emu = createEmulator({ appFetch: (req) => app.request(req) });   // options: see EmulatorOptions
 * const portal = await emu.control.createPortal({ app: { clientId: 'local.x', clientSecret: 's' } });
 * // portal.clientEndpoint = https://<name>.bitrix24.test/rest/ ; portal.app.accessToken / refreshToken
 * await emu.fetch(new Request(`${portal.clientEndpoint}profile`, { method: 'POST', body: … }));
 * ```
 *
 * ## Returned object
 * `{ app, fetch, control, state }` — `app` is the Hono app, `fetch(req)` = `app.fetch`, `control` the
 * control API (control.ts; every method also reachable over HTTP under `/_emulator/`, control-routes.ts),
 * `state` the raw memory (state.ts) for assertions.
 *
 * ## Hosts (hosts.ts)
 * - In-process (tests): portals are `https://<name>.bitrix24.test/`, REST at `https://<name>.bitrix24.test/rest/<method>`;
 *   the OAuth server is `https://oauth.bitrix24.test/` (token URL `/oauth/token/`, server_endpoint `/rest/`).
 *   test/helpers/emulator.ts routes those hosts here with msw.
 * - Standalone (`npm run emulator -- --port N`, option `baseUrl`): every virtual host is a first path segment:
 *   `http://127.0.0.1:N/<name>.bitrix24.test/rest/<method>`, server_endpoint
 *   `http://127.0.0.1:N/oauth.bitrix24.test/rest/`, token URL `http://127.0.0.1:N/oauth.bitrix24.test/oauth/token/`
 *   (also `http://127.0.0.1:N/oauth/token/`). Derive the token URL from server_endpoint by replacing its trailing
 *   `rest/` with `oauth/token/` and both modes work. Control API at `http://127.0.0.1:N/_emulator/…`.
 *
 * ## Wire behaviour
 * - OAuth (oauth.ts): GET or POST `/oauth/token/`, grant_type=refresh_token + client_id + client_secret. Rotating
 *   single-use refresh tokens; reuse → 400 `invalid_grant`; bad client → 401 `invalid_client`. Using a refresh
 *   token also kills the access token issued with it (option `revokeAccessOnRefresh`, default true).
 *   `control.stats().refreshRequests` counts refresh requests.
 * - REST (rest.ts): JSON, form (PHP brackets) or multipart bodies, `auth` in query or body. Checks in order:
 *   injected fault → leaky bucket 503 `QUERY_LIMIT_EXCEEDED` (per portal, +1 per HTTP request incl. failures,
 *   batch = 1) → 401 `NO_AUTH_FOUND` / `invalid_token` / `expired_token` → 404 `ERROR_METHOD_NOT_FOUND` →
 *   403 `insufficient_scope` / admin refusal → 429 `OPERATION_TIME_LIMIT` (body adds `time.operating_reset_at`,
 *   an emulator extra) → method. Success: `{result, next?, total?, time{…, operating, operating_reset_at}}`.
 *   Legacy crm.{deal,lead,contact,company}.get errors have `error: ""`.
 * - OAuth-server `app.info` (oauth.ts): `result{client_id, scope, expires, user_id, install{installed, version, status,
 *   scope, domain, uri, client_endpoint, member_id, member_type}}` — the portal only under `install` (b24pysdk).
 * - batch (batch.ts): ≤50 cmds and ≤ `batchMaxLength` characters of cmd strings (default 1 MB, our own number:
 *   none is documented), else 400 `ERROR_BATCH_LENGTH_EXCEEDED` for the whole batch; `$result[key][FIELD]` references,
 *   `halt`, nested batch refused; result/result_error/result_total/result_next/result_time; empty section `[]`.
 * - A renamed portal's old domain answers 302 with `Location` on the new domain (control.renamePortal).
 * - Docgen machine URLs (`pdfUrlMachine`…) need User-Agent + Referer headers (option `strictDownloadHeaders`).
 *
 * ## Contracts (contracts/*.ts)
 * One zod contract per method (and per payload the emulator sends, contracts/inbound.ts), each citing its
 * b24restdocs page or SDK file: accepted parameters, scope, reply shape, documented errors. rest.ts checks
 * every call against it: scope from the contract; a listed parameter that does not fit is refused only with
 * the error the source documents, else dropped and named in the call log (`ignoredParams`); a reply or an
 * error the contract does not allow answers 500 `EMULATOR_CONTRACT_VIOLATION`; a method without a contract
 * answers 501 `EMULATOR_NO_CONTRACT`. The OAuth server's app.info is held to b24pysdk's parser.
 *
 * ## Methods (methods/*.ts)
 * app.info, profile, user.current, user.get, user.search (FILTER.FIND alone), user.admin (user fields by scope:
 * no EMAIL under user_brief), placement.bind/unbind/get/list, event.bind/unbind/get,
 * events, bizproc.robot.add/update/list/delete, bizproc.activity.add/update/list/delete, bizproc.event.send,
 * bizproc.activity.log, crm.{deal,lead,contact,company}.get/list, crm.item.get, crm.deal.contact.items.get,
 * crm.status.list, crm.requisite.list, crm.requisite.bankdetail.list, crm.requisite.link.get,
 * crm.timeline.comment.add, crm.timeline.logmessage.add, crm.activity.configurable.add/update,
 * crm.documentgenerator.template.list, crm.documentgenerator.document.list/get/add,
 * crm.automation.trigger.add/execute/list/delete (admin only; execute refuses contacts and companies),
 * im.notify.personal.add. Admin-only: placement.*, bizproc.robot.* and bizproc.activity.* registration, triggers.
 * Seeded users: 1 (admin), 6, 9, 12, 15, 21.
 *
 * ## Control (control.ts) — the parts other engineers will use most
 * createPortal({name?, plan?, pathPrefix?, app?}) (pathPrefix: the portal answers only under `/prefix/rest/`) · installApp({memberId, clientId, clientSecret, installUrl?, flavour:
 * 'event'|'wizard'|'none', variant: 'capture'|'doc', handlerBase?, appUrl?, scope?}) · finishInstall ·
 * issueTokens({memberId, userId}) · openPlacement({memberId, placement, options, userId?, format:
 * 'current'|'2024'}) · openApp · attachRobot({memberId, code, stageId, properties}) · moveDeal({memberId,
 * dealId, stageId}) · fireRobot · fireEvent · attachTrigger · updateApp · uninstall({memberId, clean}) ·
 * renamePortal · expireAccessTokens · revokeTokens · blockMethod({memberId, method, forMs}) ·
 * fault({method?, count?|forMs?, status?, error?, delayMs?, target?: 'rest'|'oauth'}) · clearFaults ·
 * calls({memberId?, method?}) · clearCalls · registrations · timeline · eventSends · workflow · notifications ·
 * deliveries · oauthLog · stats · bucketLevel · settle · reset.
 */
import { Hono } from 'hono';
import { controlRoutes } from './control-routes.js';
import { createControl, type EmulatorControl } from './control.js';
import { CONTROL_PREFIX, OAUTH_HOST } from './hosts.js';
import { downloadDocument } from './methods/docgen.js';
import { handleOAuthRest, handleToken } from './oauth.js';
import { handleRest } from './rest.js';
import { EmulatorState } from './state.js';
import { checkAccessToken } from './tokens.js';
import type { EmulatorOptions } from './types.js';

export type { EmulatorOptions, FaultSpec, CallRecord, DeliveryRecord, Portal } from './types.js';
export type { EmulatorControl, PortalInfo, InstallAppOptions, InstallResult, OpenPlacementOptions } from './control.js';
export type { Delivery } from './deliver.js';
export type { TokenResponse } from './tokens.js';
export { phpBuildQuery, phpParseQuery } from './php-form.js';
export { OAUTH_HOST, PORTAL_SUFFIX, Hosts } from './hosts.js';

export interface Emulator {
  app: Hono;
  fetch: (req: Request) => Promise<Response>;
  control: EmulatorControl;
  state: EmulatorState;
}

const DOWNLOAD = /^crm\.documentgenerator\.document\.get(pdf|image|file)(\.json)?$/i;

export function createEmulator(opts: EmulatorOptions = {}): Emulator {
  const state = new EmulatorState(opts);
  const control = createControl(state);
  const controlApp = controlRoutes(control);
  const app = new Hono();

  app.all('*', async (c) => {
    const req = c.req.raw;
    const url = new URL(req.url);
    const { host, path } = state.hosts.resolve(url);

    if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) {
      const inner = new URL(path.slice(CONTROL_PREFIX.length) || '/', 'http://control.local');
      inner.search = url.search;
      return controlApp.fetch(new Request(inner, req));
    }

    if (host === OAUTH_HOST || (host === null && path.startsWith('/oauth/'))) {
      if (/^\/oauth\/token\/?$/.test(path)) return handleToken(state, req);
      const m = /^\/rest\/(.+)$/.exec(path);
      if (m) return handleOAuthRest(state, req, m[1]!);
      return c.json({ error: 'NOT_FOUND', error_description: 'Unknown OAuth server path' }, 404);
    }

    const portal = host ? state.portalByDomain(host) : undefined;
    if (!portal) return c.json({ error: 'PORTAL_NOT_FOUND', error_description: `No portal at ${host ?? url.host}` }, 404);
    if (portal.domain !== host) {
      // Renamed portal (reference §3.1): the old address redirects; clients must re-send the POST.
      const loc = `${state.hosts.origin(portal.domain)}${path}${url.search}`;
      return new Response(null, { status: 302, headers: { location: loc } });
    }

    // A portal behind a path prefix answers only under it: a client that rebuilt its endpoint from
    // the origin gets 404, as it would from the proxy.
    const prefix = state.hosts.prefixOf(portal.domain);
    if (prefix && !path.startsWith(`${prefix}/`)) return c.json({ error: 'NOT_FOUND', error_description: `No route ${path}` }, 404);
    const inner = prefix ? path.slice(prefix.length) : path;
    const rest = /^\/rest\/(.+)$/.exec(inner);
    if (rest) {
      const dl = DOWNLOAD.exec(rest[1]!);
      if (dl && req.method === 'GET') {
        const check = checkAccessToken(state, url.searchParams.get('auth') ?? undefined);
        const ok = check.ok && check.token.memberId === portal.memberId;
        return downloadDocument(state, req, portal, dl[1]!.toLowerCase() as 'pdf' | 'image' | 'file', ok);
      }
      return handleRest(state, req, portal, rest[1]!);
    }
    if (inner === '/bitrix/services/main/ajax.php') {
      const action = url.searchParams.get('action') ?? '';
      const kind = /getpdf/i.test(action) ? 'pdf' : /getimage/i.test(action) ? 'image' : 'file';
      return downloadDocument(state, req, portal, kind, true); // a browser URL: the user's session cookie authorises it
    }
    return c.json({ error: 'NOT_FOUND', error_description: `No route ${path}` }, 404);
  });

  return { app, fetch: async (req) => app.fetch(req), control, state };
}
