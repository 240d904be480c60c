import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { errorBody, httpStatusOf, toAppError, wantsHtml } from './http/errors.js';
import { renderErrorPage } from './http/error-page.js';
import { capBodies } from './http/body-limit.js';
import { securityHeaders } from './http/security-headers.js';
import { ipRateLimit } from './http/ip-limit.js';
import { redactTokens } from './lib/redact.js';
import { healthRoutes } from './doors/health.js';
import { signRoutes } from './doors/sign.js';
import { apiEnvelopeRoutes } from './doors/api-envelopes.js';
import { installRoutes } from './doors/install.js';
import { eventRoutes } from './doors/events.js';
import { appPageRoutes } from './doors/app-page.js';
import { placementRoutes } from './doors/placements-door.js';
import { renderPlacementPage } from './doors/placement-pages.js';
import { inPortalSignRoutes, withInPortalSigning } from './doors/in-portal-sign.js';
import { assetRoutes } from './doors/assets.js';
import { apiCardRoutes } from './doors/api-card.js';
import { sessionApiRoutes } from './doors/session-api.js';
import { templateRoutes } from './doors/api-templates.js';
import { registryRoutes } from './doors/api-registry.js';
import { settingsRoutes } from './doors/api-settings.js';
import { logoRoutes } from './doors/logo.js';
import { verifyRoutes } from './doors/verify.js';
import { robotRoutes } from './doors/robots.js';
import { sandboxRoutes } from './doors/sandbox.js';
import type { Services } from './services.js';
import type { AppEnv } from './types.js';

export function createApp(services: Services) {
  const app = new Hono<AppEnv>();

  // Bitrix24's robot deliveries first: a handler that answers ends the chain, so the per-request
  // middleware below never runs for them (the door brings its own lighter set: src/doors/robots.ts).
  app.route('/', robotRoutes(services));
  // Outermost, so error pages and 404s get the headers too.
  app.use(securityHeaders(services.config));
  app.use(requestId({ generator: () => services.ids.newId('req') }));
  app.use(async (c, next) => {
    const log = services.logger.child({ requestId: c.var.requestId });
    c.set('services', services);
    c.set('logger', log);
    const started = performance.now();
    await next();
    log.info({ method: c.req.method, path: redactTokens(c.req.path), status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  });
  // Before any door reads a body: every body is capped, sized per door (src/http/body-limit.ts).
  app.use(capBodies(services.config));

  app.route('/', healthRoutes);
  app.route('/', assetRoutes);
  app.route('/', signRoutes);
  app.route('/', apiEnvelopeRoutes as never);
  // Bitrix24 doors (install, events, app page, placements) and the frame session's JSON routes. Anyone
  // can POST to the install and frame doors, and each POST costs calls to Bitrix24: limited per IP.
  const installLimit = ipRateLimit((config) => config.BITRIX24_INSTALL_RATE_PER_MINUTE);
  const frameLimit = ipRateLimit((config) => config.BITRIX24_FRAME_RATE_PER_MINUTE);
  app.post('/b24/install', installLimit);
  app.post('/b24/app', frameLimit);
  app.post('/b24/placements/*', frameLimit);
  app.route('/', installRoutes);
  app.route('/', eventRoutes);
  app.route('/', appPageRoutes);
  // A deep link with params[sign] opens in-portal signing (src/doors/in-portal-sign.tsx); the rest, the pages as before.
  app.route('/', placementRoutes(withInPortalSigning(renderPlacementPage)));
  app.route('/', inPortalSignRoutes as never);
  app.route('/', apiCardRoutes as never);
  app.route('/', sessionApiRoutes as never);
  app.route('/', templateRoutes as never);
  app.route('/', registryRoutes as never);
  app.route('/', settingsRoutes as never);
  app.route('/', logoRoutes);
  app.route('/', verifyRoutes());
  // Dev only: mounted when the entry started a sandbox portal (never in production, never with credentials).
  if (services.sandbox && services.config.sandboxEnabled) app.route('/', sandboxRoutes(services.sandbox));

  app.notFound((c) => {
    const body = { error: { code: 'NOT_FOUND' as const, message: `No route for ${c.req.method} ${c.req.path}.`, requestId: c.var.requestId } };
    if (wantsHtml(c)) return c.html(renderErrorPage(body.error), 404);
    return c.json(body, 404);
  });

  app.onError((e, c) => {
    const err = toAppError(e);
    const log = c.var.logger ?? services.logger;
    if (err.status >= 500) log.error({ err: e }, 'request failed');
    else log.debug({ code: err.code }, 'request refused');
    const body = errorBody(err, c.var.requestId);
    if (wantsHtml(c)) return c.html(renderErrorPage(body.error), httpStatusOf(err));
    return c.json(body, httpStatusOf(err));
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
