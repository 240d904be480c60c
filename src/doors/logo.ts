import { Hono } from 'hono';
import type { AppEnv } from '../types.js';
import { logoOf } from '../settings/store.js';

/**
 * GET /logo/:portalId/:sha256 — a portal's logo for its e-mails and the signing page (set on the
 * settings page). Public like any letterhead; addressed by its hash, so a cached copy is never stale.
 */
export const logoRoutes = new Hono<AppEnv>().get('/logo/:portalId/:sha256{[0-9a-f]{64}}', async (c) => {
  const logo = await logoOf(c.var.services.db, c.req.param('portalId'));
  if (!logo || logo.sha256 !== c.req.param('sha256')) return c.json({ error: { code: 'NOT_FOUND', message: 'No such logo.' } }, 404);
  return c.body(logo.image as Uint8Array<ArrayBuffer>, 200, {
    'Content-Type': logo.kind === 'png' ? 'image/png' : 'image/jpeg',
    'Cache-Control': 'public, max-age=31536000, immutable',
    'Content-Security-Policy': "default-src 'none'",
  });
});
