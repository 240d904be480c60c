import type { Bitrix24Client } from '../bitrix24/types.js';
import type { Services } from '../services.js';
import { AppError } from './errors.js';
import type { Session } from './session.js';

/**
 * The client for CRM reads made for the person at the keyboard: their own token (the frame's pair,
 * kept with the session), so Bitrix24 shows them only what their CRM role lets them see. A session
 * without a stored pair (issued before this existed, or by a test) reads with the app's token only
 * when it is an administrator's — the app's token is an administrator's, so that shows no more.
 */
export function crmClientFor(services: Pick<Services, 'bitrix24'>, session: Session): Bitrix24Client {
  if (session.sid) return services.bitrix24.asUser({ sessionId: session.sid, portalId: session.portalId, userId: session.userId });
  if (session.isAdmin) return services.bitrix24.forPortal(session.portalId);
  throw new AppError('UNAUTHORIZED', 'This page was opened before CRM rights were checked per user. Reopen it from Bitrix24.');
}
