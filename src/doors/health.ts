import { Hono, type Context } from 'hono';
import { MIGRATIONS_FOLDER, migrationState } from '../db/migrate.js';
import { AppError, errorBody } from '../http/errors.js';
import type { AppEnv } from '../types.js';

/**
 * /healthz: the process is alive (and says whether the database answers; 503 when it does not).
 * /readyz: this instance can serve: the database answers AND every migration this build ships is
 * recorded there. A load balancer or orchestrator sends traffic only on 200; the 503 carries a
 * machine code (DATABASE_UNREACHABLE, MIGRATIONS_PENDING) and a message. Answered here rather than
 * thrown, so a probe every few seconds during a migration logs a warning, not an error with a stack.
 */
function notReady(c: Context<AppEnv>, err: AppError) {
  (c.var.logger ?? c.var.services.logger).warn({ code: err.code, details: err.details }, 'not ready');
  return c.json(errorBody(err, c.var.requestId), 503);
}

export const healthRoutes = new Hono<AppEnv>()
  .get('/healthz', async (c) => {
    const { dbHandle } = c.var.services;
    const reachable = await dbHandle.ping();
    return c.json({ status: reachable ? 'ok' : 'degraded', database: { kind: dbHandle.kind, reachable } }, reachable ? 200 : 503);
  })
  .get('/readyz', async (c) => {
    const { dbHandle, db, config } = c.var.services;
    const database = { kind: dbHandle.kind };
    if (!(await dbHandle.ping())) return notReady(c, new AppError('DATABASE_UNREACHABLE', 'The database does not answer.', database));
    const state = await migrationState(db, config.MIGRATIONS_DIR ?? MIGRATIONS_FOLDER).catch(() => undefined);
    if (!state) return notReady(c, new AppError('DATABASE_UNREACHABLE', 'The database did not answer the migrations query.', database));
    if (state.pending.length) {
      const message = `The database lacks ${state.pending.length} of the ${state.shipped.length} migrations this build ships: run npm run db:migrate (or start one instance, which applies them).`;
      return notReady(c, new AppError('MIGRATIONS_PENDING', message, { pending: state.pending }));
    }
    return c.json({ status: 'ready', database: { ...database, reachable: true }, migrations: { shipped: state.shipped.length, unknown: state.unknown } });
  });
