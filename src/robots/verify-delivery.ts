import { sql } from 'drizzle-orm';
import { oauthServerEndpoint, verifyTokenWithOAuthServer } from '../bitrix24/oauth-server.js';
import { isAppError } from '../lib/app-error.js';
import { findPortal } from '../portals/store.js';
import type { Services } from '../services.js';

/**
 * Did Bitrix24 really send this robot delivery? The acknowledgement only compares the
 * application_token, which also travels in placement POSTs through employees' browsers. So before
 * the job makes or sends any document, the delivery's own `auth[access_token]` must be confirmed by
 * the portal's OAuth server (`app.info`, reference §4.6/§14): a token of this portal, and of the user
 * the delivery names. Done in the job, not in the acknowledgement, which stays one statement.
 *
 * `refused`: not a Bitrix24 delivery (or its token is no longer valid); the call fails quietly, with
 * no request to the portal on its behalf. Transient trouble (the server down) is thrown and retried.
 */
export async function verifyRobotDelivery(
  services: Services,
  p: { portalId: string; accessToken?: string; userId: number | null },
): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!p.accessToken) return { ok: false, reason: 'the delivery carried no access token' };
  const portal = await findPortal(services.db, p.portalId);
  if (!portal || portal.status === 'uninstalled') return { ok: false, reason: 'the portal is not installed' };
  const server = oauthServerEndpoint(portal.serverEndpoint, services.config);
  if (!server) return { ok: false, reason: 'the portal has no trusted OAuth server stored' };
  try {
    const info = await verifyTokenWithOAuthServer(services, { accessToken: p.accessToken, serverEndpoint: server, expectedMemberId: portal.memberId });
    if (p.userId && info.userId && info.userId !== p.userId) return { ok: false, reason: 'the access token belongs to another user' };
    return { ok: true };
  } catch (e) {
    if (isAppError(e) && e.code === 'UNAUTHORIZED') return { ok: false, reason: 'the OAuth server did not confirm the access token' };
    throw e;
  }
}

/** Once confirmed, the token leaves the job's payload; a retry of the job knows it was checked. */
export async function markDeliveryVerified(services: Pick<Services, 'db'>, jobId: number | string): Promise<void> {
  await services.db.execute(sql`update jobs set payload = (payload - 'accessToken') || '{"verified":true}'::jsonb where id = ${jobId}`);
}
