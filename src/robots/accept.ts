import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { executePrepared, rowsOf } from '../db/client.js';
import { crmDocument } from '../http/b24-payloads.js';
import type { RobotAck } from './quick-check.js';
import type { Services } from '../services.js';
import { APP_TOKEN_DIGEST_PREFIX } from '../lib/app-token.js';
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
 * The robot handler's whole synchronous work, in ONE statement (a data-modifying CTE, one round trip):
 * authenticate the delivery, remember it under its event_token and queue the job, atomically; then
 * answer. Bitrix24 never retries a delivery and deprioritises slow handlers (reference §5.3, pitfall
 * 8), so nothing slow happens here.
 *
 * Authentication is requireAppToken's rule in SQL: the portal named by auth[member_id], installed,
 * whose stored application_token digest equals the digest of auth[application_token], computed by the
 * database in the form src/lib/app-token.ts stores (`sha256:<hex>`; a row from before digests is compared
 * by hashing both sides). Only digests meet, so the comparison's timing says nothing about how much of
 * the secret matched (the same reason b24-auth.ts hashes before comparing). No such portal: no row at
 * all, nothing written (`undefined`, the door answers 401). A replayed delivery hits the unique
 * (portal, event_token) key, inserts nothing, and so queues nothing (`created: false`).
 * Run as a prepared statement: its text is the same for every delivery (executePrepared).
 */
export async function acceptRobotCall(
  services: Pick<Services, 'db' | 'ids' | 'clock'>,
  call: RobotAck,
): Promise<{ portalId: string; created: boolean; callId?: string } | undefined> {
  const doc = crmDocument(call.document_id);
  const entityTypeId = doc ? entityTypeOf(doc.type) : undefined;
  const subscribed = call.use_subscription === false ? 'N' : 'Y';
  const id = services.ids.newId('rbt');
  const json = (v: unknown) => JSON.stringify(v);
  const result = await executePrepared(services.db, sql`
    with p as (
      select id from portals
      where member_id = ${call.auth.member_id} and status <> 'uninstalled' and application_token is not null
        and (application_token = ${APP_TOKEN_DIGEST_PREFIX} || encode(sha256(convert_to(${call.auth.application_token}, 'UTF8')), 'hex')
          or (application_token not like ${`${APP_TOKEN_DIGEST_PREFIX}%`}
            and sha256(convert_to(application_token, 'UTF8')) = sha256(convert_to(${call.auth.application_token}, 'UTF8'))))
    ), c as (
      insert into robot_calls (id, portal_id, code, event_token, workflow_id, document_id, entity_type_id, entity_id, properties, wait, subscribed, user_id)
      select ${id}, p.id, ${call.code}, ${call.event_token}, ${call.workflow_id}, ${json(call.document_id)}::jsonb,
             ${entityTypeId ?? null}, ${entityTypeId && doc ? doc.id : null}, ${json(call.properties)}::jsonb,
             ${subscribed}, ${subscribed}, ${call.auth.user_id ?? null}
      from p
      on conflict (portal_id, event_token) do nothing
      returning id, portal_id
    ), j as (
      insert into jobs (kind, portal_id, payload, dedupe_key, run_at)
      select ${ROBOT_SEND_KIND}, c.portal_id, jsonb_build_object('callId', c.id, 'accessToken', ${call.auth.access_token ?? null}::text), ${`${ROBOT_SEND_KIND}:`} || c.id, ${services.clock.now().toISOString()}::timestamptz
      from c
      returning id
    )
    select p.id as portal_id, (select count(*) from j)::int as queued from p`);
  const [row] = rowsOf<{ portal_id: string; queued: number }>(result);
  if (!row) return undefined;
  // "wait" starts as the subscription says; the job settles it from the properties.
  return Number(row.queued) === 1 ? { portalId: row.portal_id, created: true, callId: id } : { portalId: row.portal_id, created: false };
}
