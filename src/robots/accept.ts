import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf } from '../db/client.js';
import type { Portal } from '../db/schema/index.js';
import { crmDocument, type RobotCall as RobotPayload } from '../http/b24-payloads.js';
import type { Services } from '../services.js';
import { entityTypeOf } from './properties.js';

export const ROBOT_SEND_KIND = 'robot.send';
/** `crm`: this call's CRM read, done by another robot job in a shared batch (send.ts). */
export const ZRobotSendPayload = z.object({
  callId: z.string().min(1),
  /** The delivery's auth[access_token], until the job has had it confirmed (src/robots/verify-delivery.ts); then `verified`. */
  accessToken: z.string().nullish(),
  verified: z.boolean().optional(),
  crm: z.object({ at: z.string(), result: z.object({ result: z.record(z.string(), z.unknown()), errors: z.record(z.string(), z.any()), total: z.record(z.string(), z.number()), next: z.record(z.string(), z.number()) }) }).optional(),
});

/**
 * The robot handler's whole synchronous work: remember the delivery under its event_token and queue
 * the job, atomically, then answer. Bitrix24 never retries a delivery and deprioritises slow
 * handlers (reference §5.3, pitfall 8), so nothing slow happens here: both INSERTs travel as ONE
 * statement (a data-modifying CTE), one round trip. A replayed delivery hits the unique
 * (portal, event_token) key, inserts nothing, and so queues nothing.
 */
export async function acceptRobotCall(services: Pick<Services, 'db' | 'ids' | 'clock'>, portal: Pick<Portal, 'id'>, call: RobotPayload): Promise<{ created: boolean; callId?: string }> {
  const doc = crmDocument(call.document_id);
  const entityTypeId = doc ? entityTypeOf(doc.type) : undefined;
  const subscribed = call.use_subscription === false ? 'N' : 'Y';
  const id = services.ids.newId('rbt');
  const json = (v: unknown) => JSON.stringify(v);
  const result = await services.db.execute(sql`
    with c as (
      insert into robot_calls (id, portal_id, code, event_token, workflow_id, document_id, entity_type_id, entity_id, properties, wait, subscribed, user_id)
      values (${id}, ${portal.id}, ${call.code}, ${call.event_token}, ${call.workflow_id}, ${json(call.document_id)}::jsonb,
              ${entityTypeId ?? null}, ${entityTypeId && doc ? doc.id : null}, ${json(call.properties)}::jsonb,
              ${subscribed}, ${subscribed}, ${call.auth.user_id ?? null})
      on conflict (portal_id, event_token) do nothing
      returning id
    )
    insert into jobs (kind, portal_id, payload, dedupe_key, run_at)
    select ${ROBOT_SEND_KIND}, ${portal.id}, jsonb_build_object('callId', c.id, 'accessToken', ${call.auth.access_token ?? null}::text), ${`${ROBOT_SEND_KIND}:`} || c.id, ${services.clock.now().toISOString()}::timestamptz
    from c
    returning id`);
  // "wait" starts as the subscription says; the job settles it from the properties.
  return rowsOf(result).length === 1 ? { created: true, callId: id } : { created: false };
}
