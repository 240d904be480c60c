import { z } from 'zod';
import type { Portal } from '../db/schema/index.js';
import { robotCalls } from '../db/schema/robot-calls.js';
import { crmDocument, type RobotCall as RobotPayload } from '../http/b24-payloads.js';
import { enqueue } from '../jobs/queue.js';
import type { Services } from '../services.js';
import { entityTypeOf } from './properties.js';

export const ROBOT_SEND_KIND = 'robot.send';
export const ZRobotSendPayload = z.object({ callId: z.string().min(1) });

/**
 * The robot handler's whole synchronous work: remember the delivery under its event_token and queue
 * the job, in one transaction (two INSERTs), then answer. Bitrix24 never retries a delivery and
 * deprioritises slow handlers (reference §5.3, pitfall 8), so nothing slow happens here. A replayed
 * delivery hits the unique (portal, event_token) key and changes nothing.
 */
export async function acceptRobotCall(services: Pick<Services, 'db' | 'ids' | 'clock'>, portal: Portal, call: RobotPayload): Promise<{ created: boolean; callId?: string }> {
  const doc = crmDocument(call.document_id);
  const entityTypeId = doc ? entityTypeOf(doc.type) : undefined;
  const subscribed = call.use_subscription === false ? 'N' : 'Y';
  const userId = call.auth.user_id;
  return services.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(robotCalls)
      .values({
        id: services.ids.newId('rbt'),
        portalId: portal.id,
        code: call.code,
        eventToken: call.event_token,
        workflowId: call.workflow_id,
        documentId: [...call.document_id],
        entityTypeId: entityTypeId ?? null,
        entityId: entityTypeId && doc ? doc.id : null,
        properties: call.properties as Record<string, unknown>,
        // "wait" is decided from the properties by the job; until then the subscription decides.
        wait: subscribed,
        subscribed,
        userId: userId ?? null,
      })
      .onConflictDoNothing({ target: [robotCalls.portalId, robotCalls.eventToken] })
      .returning({ id: robotCalls.id });
    if (!row) return { created: false };
    await enqueue(tx, { kind: ROBOT_SEND_KIND, portalId: portal.id, payload: { callId: row.id }, dedupeKey: `${ROBOT_SEND_KIND}:${row.id}`, runAt: services.clock.now() });
    return { created: true, callId: row.id };
  });
}
