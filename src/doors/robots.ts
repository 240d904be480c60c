import { Hono, type Context } from 'hono';
import { sendForSigningRobot } from '../bitrix24/manifest.js';
import { requireAppToken, unauthorized } from '../http/b24-auth.js';
import { ZRobotCall } from '../http/b24-payloads.js';
import { capBodies } from '../http/body-limit.js';
import { AppError } from '../http/errors.js';
import { serverDoorHeaders } from '../http/security-headers.js';
import { parseForm, readBitrixForm } from '../http/form.js';
import { robotAcceptor, type RobotAcceptor } from '../robots/accept.js';
import { quickRobotCall } from '../robots/quick-check.js';
import type { Services } from '../services.js';
import type { AppEnv } from '../types.js';

/**
 * POST /b24/robots/send-for-signing: Bitrix24's automation queue calling our robot. Authenticate
 * (auth[application_token] against the stored one: 401 before anything is written), validate the
 * payload (400), record the event_token and queue the work, answer 200. The document is made and
 * sent by the `robot.send` job; the workflow hears back through bizproc.event.send.
 *
 * A well-formed delivery is authenticated, recorded and queued by one statement, together with the
 * other deliveries that arrive with it (group commit, robotAcceptor), and answered only once that
 * statement has committed; anything else takes the long way, so a forged body is still refused as unauthenticated (401), not
 * as malformed, and only an authenticated caller learns which fields are wrong (400).
 *
 * The app mounts this door ahead of its per-request middleware (issue 15): a server-to-server POST
 * that Bitrix24 sends by the hundred needs no CSP nonce, request id, child logger or info-level
 * access line. It keeps what matters: the common security headers, the body cap, errors through the
 * app's one handler (5xx logged there), and a debug line per delivery.
 */
export function robotRoutes(services: Services) {
  const headers = serverDoorHeaders(services.config);
  const cap = capBodies(services.config);
  const acceptor = robotAcceptor(services);
  return new Hono<AppEnv>()
    .use(sendForSigningRobot.path, headers, async (c, next) => {
      c.set('services', services);
      c.set('logger', services.logger);
      const started = performance.now();
      await next();
      services.logger.debug({ path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'robot delivery');
    }, cap)
    .post(sendForSigningRobot.path, (c) => acknowledge(c, acceptor));
}

const acknowledge = async (c: Context<AppEnv>, acceptor: RobotAcceptor) => {
  const { services } = c.var;
  const { body } = await readBitrixForm(c);
  // The hand-written check first (a strict subset of ZRobotCall, same values); zod when it is unsure.
  const call = quickRobotCall(body) ?? ZRobotCall.safeParse(body).data;
  if (!call || call.code !== sendForSigningRobot.code) {
    await requireAppToken(services, body);
    const full = parseForm(ZRobotCall, body);
    throw new AppError('BAD_REQUEST', `Unknown robot code ${full.code}.`);
  }
  const accepted = await acceptor.accept(call);
  if (!accepted) throw unauthorized();
  if (!accepted.created) c.var.logger.info({ portalId: accepted.portalId }, 'robot delivery replayed; nothing to do');
  return c.json({ ok: true, duplicate: !accepted.created });
};
