import { Hono } from 'hono';
import { sendForSigningRobot } from '../bitrix24/manifest.js';
import { requireAppToken, unauthorized } from '../http/b24-auth.js';
import { ZRobotCall } from '../http/b24-payloads.js';
import { AppError } from '../http/errors.js';
import { parseForm, readBitrixForm } from '../http/form.js';
import { acceptRobotCall } from '../robots/accept.js';
import type { AppEnv } from '../types.js';

/**
 * POST /b24/robots/send-for-signing: Bitrix24's automation queue calling our robot. Authenticate
 * (auth[application_token] against the stored one: 401 before anything is written), validate the
 * payload (400), record the event_token and queue the work, answer 200. The document is made and
 * sent by the `robot.send` job; the workflow hears back through bizproc.event.send.
 *
 * A well-formed delivery is authenticated, recorded and queued by one statement (acceptRobotCall);
 * anything else takes the long way, so a forged body is still refused as unauthenticated (401), not
 * as malformed, and only an authenticated caller learns which fields are wrong (400).
 */
export const robotRoutes = new Hono<AppEnv>().post(sendForSigningRobot.path, async (c) => {
  const { services } = c.var;
  const { body } = await readBitrixForm(c);
  const parsed = ZRobotCall.safeParse(body);
  if (!parsed.success || parsed.data.code !== sendForSigningRobot.code) {
    await requireAppToken(services, body);
    const call = parseForm(ZRobotCall, body);
    throw new AppError('BAD_REQUEST', `Unknown robot code ${call.code}.`);
  }
  const accepted = await acceptRobotCall(services, parsed.data);
  if (!accepted) throw unauthorized();
  if (!accepted.created) c.var.logger.info({ portalId: accepted.portalId }, 'robot delivery replayed; nothing to do');
  return c.json({ ok: true, duplicate: !accepted.created });
});
