import { Hono } from 'hono';
import type { AppEnv } from '../types.js';

export const healthRoutes = new Hono<AppEnv>().get('/healthz', async (c) => {
  const { dbHandle } = c.var.services;
  const reachable = await dbHandle.ping();
  return c.json({ status: reachable ? 'ok' : 'degraded', database: { kind: dbHandle.kind, reachable } }, reachable ? 200 : 503);
});
