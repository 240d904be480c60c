import { Hono } from 'hono';
import { runDoctor } from '../bitrix24/doctor.js';
import { registrationManifest } from '../bitrix24/manifest.js';
import { compareWithManifest, readRegistrations } from '../bitrix24/registration.js';
import { AppError } from '../http/errors.js';
import { requireSession, SESSION_TTL_SECONDS, type SessionEnv } from '../http/session.js';
import { findPortal } from '../portals/store.js';
import { registerPortal } from './install.js';
import { accessOf, requireRole } from '../http/require-role.js';
import { ROLES, atLeast } from '../roles/policy.js';

/**
 * JSON routes behind the frame session: who am I (the start page uses it to prove the session
 * works) and the portal's registrations (status page; admins may register again). Everything is
 * scoped by the session's portal; nothing takes a portal id from the request.
 */
export const sessionApiRoutes = new Hono<SessionEnv>()
  .use('/api/session', requireSession)
  .use('/api/portal/*', requireSession)
  // Any session may ask who it is, a person without a role too: the page shows them why nothing else works.
  .get('/api/session', async (c) => {
    const s = c.var.session;
    const access = await accessOf(c);
    const portal = await findPortal(c.var.services.db, s.portalId);
    if (!portal || portal.status === 'uninstalled') throw new AppError('UNAUTHORIZED', 'The app is no longer installed on this portal.');
    const now = c.var.services.clock.now().getTime();
    return c.json({
      portal: { id: portal.id, domain: portal.domain },
      user: { id: s.userId, isAdmin: s.isAdmin },
      role: { role: access.role, via: access.via, can: Object.fromEntries(ROLES.map((r) => [r, access.role !== 'none' && atLeast(access.role, r)])) },
      placement: s.placement,
      lang: s.lang,
      // An upper bound: the token may be older than this request.
      expiresAt: new Date(now + SESSION_TTL_SECONDS * 1000).toISOString(),
    });
  })
  .get('/api/portal/registrations', requireRole('viewer'), async (c) => {
    const { services, session } = c.var;
    const portal = await findPortal(services.db, session.portalId);
    if (!portal || portal.status === 'uninstalled') throw new AppError('UNAUTHORIZED', 'The app is no longer installed on this portal.');
    const current = await readRegistrations(services.bitrix24.forPortal(portal.id), registrationManifest);
    return c.json({ portal: { id: portal.id, domain: portal.domain }, ...compareWithManifest(registrationManifest, current, services.config.publicUrl) });
  })
  // The portal doctor (src/bitrix24/doctor.ts): reads only, but shows scopes and handler URLs, so admins only.
  .get('/api/portal/doctor', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const portal = await findPortal(services.db, session.portalId);
    if (!portal || portal.status === 'uninstalled') throw new AppError('UNAUTHORIZED', 'The app is no longer installed on this portal.');
    return c.json(await runDoctor(services, portal));
  })
  .post('/api/portal/registrations', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const portal = await findPortal(services.db, session.portalId);
    if (!portal || portal.status === 'uninstalled') throw new AppError('UNAUTHORIZED', 'The app is no longer installed on this portal.');
    const report = await registerPortal(services, portal, session.userId);
    return c.json({ ok: report.ok, batches: report.batches, items: report.items });
  });
