/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { REQUIRED_SCOPES } from '../bitrix24/manifest.js';
import { missingScopes } from '../bitrix24/scopes.js';
import { manifestForPortal } from '../robots/template-sync.js';
import { registerAll, RegistrationError, type RegistrationReport } from '../bitrix24/registration.js';
import { catalogFor, pickLang } from '../i18n/index.js';
import { appTokenMatches, checkEndpoint, fetchProfile, oauthServerEndpoint, verifyTokenWithOAuthServer, type FrameUser, type TokenInfo } from '../http/b24-auth.js';
import { ZAppInstallEvent, ZFramePost, type AppInstallEvent, type FramePost } from '../http/b24-payloads.js';
import { AppError } from '../http/errors.js';
import { parseForm, readBitrixForm } from '../http/form.js';
import { portalOrigin, setFrameHeaders } from '../http/frame-headers.js';
import { findPortalByMemberId, setPortalLastError, upsertInstalledPortal, type PortalRow } from '../portals/store.js';
import type { Services } from '../services.js';
import type { AppEnv } from '../types.js';
import { FramePage } from './frame-page.js';
import { FrameProblem, frameProblemHandler } from './frame-problem.js';
import { INSTALL_MESSAGES } from './install-texts.js';

/**
 * POST /b24/install, both install flavours (reference §1.2–§1.4):
 * - the UI wizard: a frame POST with PLACEMENT=DEFAULT; we verify, store, register and answer a
 *   page whose script calls installFinish (nothing shows in the portal until it does);
 * - the server callback: event=ONAPPINSTALL with auth[...] tokens.
 * Either way the tokens are first confirmed by the OAuth server for that member_id; nothing in the
 * request (DOMAIN, client_endpoint) decides where tokens go before that.
 */
export const installRoutes = new Hono<AppEnv>();
installRoutes.onError(frameProblemHandler);

installRoutes.post('/b24/install', async (c) => {
  const { services } = c.var;
  const { body, query } = await readBitrixForm(c);
  if (typeof body.event === 'string') {
    const ev = parseForm(ZAppInstallEvent, body);
    const { portal, report } = await installFromEvent(services, ev);
    c.var.logger.info({ portalId: portal.id, batches: report?.batches, ok: report?.ok }, 'installed via ONAPPINSTALL');
    return c.json({ installed: true, registered: report?.ok ?? false });
  }
  const frame = parseForm(ZFramePost, { ...query, ...body });
  const { portal } = await installFromWizard(services, frame);
  const lang = pickLang(frame.LANG);
  const t = catalogFor(INSTALL_MESSAGES, lang);
  setFrameHeaders(c, portalOrigin(portal.clientEndpoint));
  const page = (
    // The frame script calls installFinish through Bitrix24's SDK once the portal's init data says the
    // app is being installed (reference §1.2, §13.1; placements/app/page.ts).
    <FramePage lang={lang} title={t.installedTitle} script={services.assets.url('placements/app.js')} installFinish>
      <h1>{t.installedTitle}</h1>
      <div class="panel">
        <p>{t.installedBody}</p>
      </div>
    </FramePage>
  );
  return c.html(`<!doctype html>${page}`);
});

function expiryOf(now: Date, expires?: number, expiresIn?: number): Date | null {
  if (expires && expires > 1_000_000_000) return new Date(expires * 1000);
  if (expiresIn && expiresIn > 0) return new Date(now.getTime() + expiresIn * 1000);
  return null;
}

/**
 * The portal's REST endpoint exactly as the OAuth server reports it (`result.install.client_endpoint`):
 * a portal behind a path prefix or a proxy keeps its path, so it is never rebuilt from an origin
 * (reference §14). It is only checked to be one we may send tokens to.
 */
function trustedClientEndpoint(services: Services, info: TokenInfo): string {
  if (!checkEndpoint(info.clientEndpoint, services.config) || !info.domain) {
    throw new AppError('BITRIX24_ERROR', 'The authorization server did not name a usable portal address.');
  }
  return info.clientEndpoint;
}

function missingRequired(granted: string[]): string[] {
  // An empty list means the server did not say; registration itself then reports what fails.
  return granted.length === 0 ? [] : missingScopes(granted, REQUIRED_SCOPES);
}

/**
 * Registers everything as the installing admin (whose tokens are now the portal's) and records
 * the outcome as the portal's last error, which the status page shows.
 */
export async function registerPortal(services: Services, portal: Pick<PortalRow, 'id'>, authUserId: number): Promise<RegistrationReport> {
  const now = () => services.clock.now();
  try {
    // The robot's template list is this portal's own (src/robots/template-sync.ts).
    const report = await registerAll(services.bitrix24.forPortal(portal.id), await manifestForPortal(services.db, portal.id), { publicUrl: services.config.publicUrl, authUserId });
    await setPortalLastError(services.db, { portalId: portal.id, error: null, now: now() });
    return report;
  } catch (e) {
    const message = e instanceof RegistrationError ? e.message : e instanceof Error ? e.message : String(e);
    await setPortalLastError(services.db, { portalId: portal.id, error: `registration: ${message}`, now: now() });
    throw e;
  }
}

/** ONAPPINSTALL: the callback flavour. */
export async function installFromEvent(services: Services, ev: AppInstallEvent): Promise<{ portal: PortalRow; report?: RegistrationReport }> {
  const server = oauthServerEndpoint(ev.auth.server_endpoint ?? services.config.BITRIX24_OAUTH_SERVER_ENDPOINT, services.config);
  if (!server) throw new AppError('UNAUTHORIZED', 'The install event names an unknown authorization server.');
  const info = await verifyTokenWithOAuthServer(services, { accessToken: ev.auth.access_token, serverEndpoint: server, expectedMemberId: ev.auth.member_id });
  const scopes = info.scope.length ? info.scope : ev.auth.scope ?? [];
  const now = services.clock.now();
  const portal = await upsertInstalledPortal(services.db, services.config.tokenKeyring, services.ids, {
    memberId: info.memberId,
    domain: info.domain,
    clientEndpoint: trustedClientEndpoint(services, info),
    serverEndpoint: server.href,
    applicationToken: ev.auth.application_token,
    tokens: { accessToken: ev.auth.access_token, refreshToken: ev.auth.refresh_token, expiresAt: expiryOf(now, ev.auth.expires, ev.auth.expires_in) },
    scope: scopes,
    // The token's owner as the OAuth server names it (app.info result.user_id); the event's own claim only if it is silent.
    installedByUserId: info.userId ?? ev.auth.user_id ?? null,
    now,
  });
  const missing = missingRequired(scopes);
  if (missing.length) {
    await setPortalLastError(services.db, { portalId: portal.id, error: `missing scopes: ${missing.join(', ')}`, now });
    throw new FrameProblem('missing_scope', 409, { scopes: missing.join(', ') }, 'CONFLICT');
  }
  const report = await registerPortal(services, portal, info.userId ?? ev.auth.user_id ?? portal.installedByUserId ?? 1);
  return { portal, report };
}

/**
 * The wizard flavour. Proof that the POST is genuine: APPLICATION_TOKEN equal to the stored one
 * (a portal we already know), or AUTH_ID confirmed by the OAuth server for this member_id. Then
 * `profile` must say the user is an admin: only admins install, and their tokens become the
 * portal's tokens for registration and background work.
 */
export async function installFromWizard(services: Services, frame: FramePost): Promise<{ portal: PortalRow; report: RegistrationReport; user: FrameUser }> {
  const known = await findPortalByMemberId(services.db, frame.member_id);
  const stored = known && known.status !== 'uninstalled' ? known : undefined;
  let clientEndpoint = stored?.clientEndpoint;
  let domain = stored?.domain;
  let serverEndpoint = stored?.serverEndpoint ?? undefined;
  let scopes = frame.APPLICATION_SCOPE ?? [];

  const tokenMatches = Boolean(stored?.applicationTokenDigest && frame.APPLICATION_TOKEN && (await appTokenMatches(frame.APPLICATION_TOKEN, stored.applicationTokenDigest)));
  if (!tokenMatches) {
    // First install (or reinstall): only a known OAuth server may confirm the token. A forged
    // SERVER_ENDPOINT pointing elsewhere is skipped; older payloads name no server at all, so the
    // configured default and then the other regional servers are asked in turn.
    const candidates = [
      known?.serverEndpoint,
      frame.SERVER_ENDPOINT,
      services.config.BITRIX24_OAUTH_SERVER_ENDPOINT,
      ...services.config.BITRIX24_OAUTH_HOSTS.map((h) => `https://${h}/rest/`),
    ]
      .map((raw) => oauthServerEndpoint(raw, services.config))
      .filter((u): u is URL => Boolean(u))
      .filter((u, i, all) => all.findIndex((x) => x.href === u.href) === i)
      .slice(0, 3);
    if (!candidates.length) throw new AppError('UNAUTHORIZED', 'No trusted authorization server to verify this install.');
    let info: TokenInfo | undefined;
    let server: URL = candidates[0]!;
    for (const candidate of candidates) {
      try {
        info = await verifyTokenWithOAuthServer(services, { accessToken: frame.AUTH_ID, serverEndpoint: candidate, expectedMemberId: frame.member_id });
        server = candidate;
        break;
      } catch (e) {
        // Another region's server does not know the token: try the next; anything else stops here.
        if (!(e instanceof AppError && e.code === 'UNAUTHORIZED') || candidate === candidates[candidates.length - 1]) throw e;
      }
    }
    if (!info) throw new AppError('UNAUTHORIZED', 'The install could not be verified.');
    clientEndpoint = trustedClientEndpoint(services, info);
    domain = info.domain;
    serverEndpoint = server.href;
    if (info.scope.length) scopes = info.scope;
  }
  const user = await fetchProfile(services, clientEndpoint!, frame.AUTH_ID);
  if (!user.isAdmin) throw new FrameProblem('not_admin', 403);
  const missing = missingRequired(scopes);
  if (missing.length) throw new FrameProblem('missing_scope', 409, { scopes: missing.join(', ') }, 'CONFLICT');

  const now = services.clock.now();
  const portal = await upsertInstalledPortal(services.db, services.config.tokenKeyring, services.ids, {
    memberId: frame.member_id,
    domain: domain!,
    clientEndpoint: clientEndpoint!,
    serverEndpoint,
    applicationToken: frame.APPLICATION_TOKEN ?? null,
    tokens: frame.REFRESH_ID ? { accessToken: frame.AUTH_ID, refreshToken: frame.REFRESH_ID, expiresAt: expiryOf(now, undefined, frame.AUTH_EXPIRES) } : undefined,
    scope: scopes,
    installedByUserId: user.id,
    now,
  });
  const report = await registerPortal(services, portal, user.id);
  return { portal, report, user };
}
