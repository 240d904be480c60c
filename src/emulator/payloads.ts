/** The shapes Bitrix24 posts to an app (reference §1.3–§1.4, §4.3, §5.3, §9.2, §11.3). */
import { hex } from './random.js';
import type { EmulatorState } from './state.js';
import type { TokenResponse } from './tokens.js';
import type { InstalledApp, Portal } from './types.js';

/** 'capture': what real portals send (expires, user_id present); 'doc': the documentation sample (without them). */
export type InstallVariant = 'capture' | 'doc';

export const ts = (st: EmulatorState) => String(Math.floor(st.now() / 1000));

/** The full `auth[...]` block of install, event and robot POSTs. */
export function authBlock(st: EmulatorState, portal: Portal, app: InstalledApp, t: TokenResponse, opts: { refresh: boolean; variant?: InstallVariant }) {
  const capture = (opts.variant ?? 'capture') === 'capture';
  return {
    access_token: t.access_token,
    ...(capture ? { expires: String(t.expires) } : {}),
    expires_in: String(t.expires_in),
    scope: app.scope.join(','),
    domain: portal.domain,
    server_endpoint: st.hosts.serverEndpoint(),
    status: app.status,
    client_endpoint: st.hosts.clientEndpoint(portal.domain),
    member_id: portal.memberId,
    ...(capture ? { user_id: String(t.user_id) } : {}),
    ...(opts.refresh ? { refresh_token: t.refresh_token } : {}),
    application_token: app.applicationToken,
  };
}

export function installPayload(st: EmulatorState, portal: Portal, app: InstalledApp, t: TokenResponse, variant: InstallVariant, activeFlag: 'Y' | '1' = 'Y') {
  return {
    event: 'ONAPPINSTALL',
    data: { VERSION: app.version, ACTIVE: activeFlag, INSTALLED: activeFlag === 'Y' ? 'Y' : '1', LANGUAGE_ID: app.languageId },
    ts: ts(st),
    auth: authBlock(st, portal, app, t, { refresh: true, variant }),
  };
}

export function uninstallPayload(st: EmulatorState, portal: Portal, app: InstalledApp, clean: boolean) {
  return {
    event: 'ONAPPUNINSTALL',
    data: { CLEAN: clean ? '1' : '0', LANGUAGE_ID: app.languageId },
    ts: ts(st),
    auth: {
      domain: portal.domain,
      client_endpoint: st.hosts.clientEndpoint(portal.domain),
      server_endpoint: st.hosts.serverEndpoint(),
      member_id: portal.memberId,
      application_token: app.applicationToken,
    },
  };
}

/** PHP json_encode escapes `/` as `\/`; PLACEMENT_OPTIONS arrives that way (reference §11.2). */
export const phpJson = (v: unknown) => JSON.stringify(v).replace(/\//g, '\\/');

/** 'current': with SERVER_ENDPOINT/APPLICATION_TOKEN/APPLICATION_SCOPE; '2024': the older frame without them. */
export type FrameFormat = 'current' | '2024';

export function framePayload(
  st: EmulatorState,
  portal: Portal,
  app: InstalledApp,
  t: TokenResponse,
  placement: string,
  options: Record<string, unknown> | string,
  format: FrameFormat,
  lang: string,
) {
  const query = {
    DOMAIN: portal.domain,
    PROTOCOL: st.hosts.base?.startsWith('http:') ? '0' : '1',
    LANG: lang,
    APP_SID: hex(16),
  };
  const body = {
    AUTH_ID: t.access_token,
    AUTH_EXPIRES: String(t.expires_in),
    REFRESH_ID: t.refresh_token,
    ...(format === 'current'
      ? { SERVER_ENDPOINT: st.hosts.serverEndpoint(), APPLICATION_TOKEN: app.applicationToken, APPLICATION_SCOPE: app.scope.join(',') }
      : {}),
    member_id: portal.memberId,
    status: app.status,
    PLACEMENT: placement,
    PLACEMENT_OPTIONS: typeof options === 'string' ? options : phpJson(options),
  };
  return { query, body };
}

export function eventPayload(st: EmulatorState, portal: Portal, app: InstalledApp, t: TokenResponse | undefined, event: string, handlerId: number, data: unknown) {
  return {
    event,
    event_handler_id: String(handlerId),
    data,
    ts: ts(st),
    auth: t
      ? authBlock(st, portal, app, t, { refresh: false })
      : {
          domain: portal.domain, client_endpoint: st.hosts.clientEndpoint(portal.domain), server_endpoint: st.hosts.serverEndpoint(),
          member_id: portal.memberId, application_token: app.applicationToken,
        },
  };
}
