import { Hono } from 'hono';
import type { AppEnv } from '../types.js';

/**
 * GET /assets/* from services.assets: hashed files are cached for a year and sent brotli- or
 * gzip-compressed as the client accepts; development files are revalidated by ETag.
 */
export const assetRoutes = new Hono<AppEnv>().get('/assets/:path{.+}', async (c) => {
  const hit = await c.var.services.assets.get(c.req.param('path'), c.req.header('accept-encoding'));
  if (!hit) return c.notFound();
  c.header('Content-Type', hit.type);
  c.header('ETag', hit.etag);
  c.header('Cache-Control', hit.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (hit.negotiated) c.header('Vary', 'Accept-Encoding');
  if (hit.encoding) c.header('Content-Encoding', hit.encoding);
  if (c.req.header('if-none-match') === hit.etag) return c.body(null, 304);
  return c.body(hit.body as Uint8Array<ArrayBuffer>);
});
