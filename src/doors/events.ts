import { Hono } from 'hono';
import { appTokenMatches, oauthServerEndpoint, requireAppToken, verifyTokenWithOAuthServer } from '../http/b24-auth.js';
import { ZAppUninstallEvent, ZAppUpdateEvent } from '../http/b24-payloads.js';
import { AppError } from '../http/errors.js';
import { parseForm, readBitrixForm, type FormObject } from '../http/form.js';
import { findAppTokenPortal, replaceApplicationToken, replacePortalTokens, type AppTokenPortal } from '../portals/store.js';
import { checkUninstall } from '../portals/confirm-uninstall.js';
import { uninstallPortal } from '../portals/uninstall.js';
import type { Services } from '../services.js';
import type { AppEnv, AppContext } from '../types.js';
import { registerPortal } from './install.js';

/**
 * POST /b24/events: every event Bitrix24 delivers to us. Authentication comes first, on the raw
 * form (a forged call gets 401 whatever its shape), then the event's own schema (400), then the
 * handler. Features add handlers to `eventHandlers`; unknown events are acknowledged and ignored.
 */
export type EventHandler = (services: Services, portal: AppTokenPortal, form: FormObject, c: AppContext) => Promise<Record<string, unknown>>;

const expiry = (now: Date, expires?: number, expiresIn?: number) =>
  expires && expires > 1_000_000_000 ? new Date(expires * 1000) : expiresIn ? new Date(now.getTime() + expiresIn * 1000) : null;

export const eventHandlers: Record<string, EventHandler> = {
  /**
   * Our API access is already revoked: drop the tokens now; with CLEAN, the portal's data (retention
   * rules apply). But only once the OAuth server confirms it (src/portals/confirm-uninstall.ts): the
   * application_token alone passes through every employee's browser in placement POSTs.
   */
  async ONAPPUNINSTALL(services, portal, form, c) {
    const ev = parseForm(ZAppUninstallEvent, form);
    const check = await checkUninstall(services, portal.id);
    if (check.kind === 'forged') {
      c.var.logger.warn({ portalId: portal.id }, 'ONAPPUNINSTALL refused: the OAuth server says the app is still installed');
      throw new AppError('UNAUTHORIZED', 'The app is still installed on this portal according to the Bitrix24 authorization server; nothing was removed.');
    }
    if (check.kind === 'unknown') {
      c.var.logger.warn({ portalId: portal.id, reason: check.reason }, 'ONAPPUNINSTALL not confirmed; nothing removed');
      throw new AppError('BITRIX24_UNREACHABLE', 'The uninstall could not be confirmed with the Bitrix24 authorization server; nothing was removed.');
    }
    const result = await uninstallPortal(services.db, {
      portalId: portal.id,
      clean: ev.data.CLEAN,
      now: services.clock.now(),
      retentionYears: services.config.RETENTION_YEARS,
    });
    c.var.logger.info({ portalId: portal.id, clean: ev.data.CLEAN, cleaned: result.cleaned, confirmedBy: check.by }, 'portal uninstalled');
    return { uninstalled: result.changed, cleaned: result.cleaned.map((x) => x.name) };
  },

  /** Bindings may be dropped on update (reference §1.4): register everything again with the fresh tokens. */
  async ONAPPUPDATE(services, portal, form, c) {
    const ev = parseForm(ZAppUpdateEvent, form);
    const now = services.clock.now();
    if (!(await appTokenMatches(ev.auth.application_token, portal.applicationTokenDigest))) {
      await replaceApplicationToken(services.db, { portalId: portal.id, applicationToken: ev.auth.application_token, now });
    }
    if (ev.auth.access_token && ev.auth.refresh_token) {
      await replacePortalTokens(services.db, services.config.tokenKeyring, {
        portalId: portal.id,
        accessToken: ev.auth.access_token,
        refreshToken: ev.auth.refresh_token,
        expiresAt: expiry(now, ev.auth.expires, ev.auth.expires_in),
        scope: ev.auth.scope,
        now,
      });
    }
    const report = await registerPortal(services, portal, ev.auth.user_id ?? portal.installedByUserId ?? 1);
    c.var.logger.info({ portalId: portal.id, version: ev.data.VERSION, batches: report.batches }, 'app updated, registrations renewed');
    return { registered: report.ok };
  },
};

/**
 * ONAPPUPDATE may carry a *new* application_token, which cannot match the stored one. It is then
 * accepted only if its access token is confirmed by the portal's own OAuth server.
 */
async function authenticateUpdate(services: Services, form: FormObject): Promise<AppTokenPortal> {
  try {
    return await requireAppToken(services, form);
  } catch (e) {
    const auth = form.auth;
    if (!(e instanceof AppError) || !auth || typeof auth !== 'object' || Array.isArray(auth)) throw e;
    const memberId = typeof auth.member_id === 'string' ? auth.member_id : undefined;
    const accessToken = typeof auth.access_token === 'string' && auth.access_token ? auth.access_token : undefined;
    if (!memberId || !accessToken || typeof auth.application_token !== 'string' || !auth.application_token) throw e;
    const portal = await findAppTokenPortal(services.db, memberId);
    if (!portal || portal.status === 'uninstalled') throw e;
    const server = oauthServerEndpoint(portal.serverEndpoint, services.config);
    if (!server) throw e;
    await verifyTokenWithOAuthServer(services, { accessToken, serverEndpoint: server, expectedMemberId: portal.memberId });
    return portal;
  }
}

export const eventRoutes = new Hono<AppEnv>().post('/b24/events', async (c) => {
  const { services } = c.var;
  const { body } = await readBitrixForm(c);
  const event = typeof body.event === 'string' ? body.event.toUpperCase() : '';
  const portal = event === 'ONAPPUPDATE' ? await authenticateUpdate(services, body) : await requireAppToken(services, body);
  const handler = eventHandlers[event];
  if (!handler) {
    c.var.logger.info({ portalId: portal.id, event: event.slice(0, 64) }, 'event ignored');
    return c.json({ ok: true, ignored: true });
  }
  return c.json({ ok: true, ...(await handler(services, portal, body, c)) });
});
