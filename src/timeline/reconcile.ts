import { and, eq } from 'drizzle-orm';
import type { Bitrix24Client } from '../bitrix24/types.js';
import type { DbOrTx } from '../db/client.js';
import { envelopes } from '../db/schema/envelopes.js';
import { timelineWrites } from '../db/schema/timeline.js';
import type { EnvelopeView, PlannedWrite } from './plan.js';

/**
 * Write-ahead for the timeline outbox: a keyed write is recorded `pending` before it is sent and
 * settled (`done`/`failed`) after. A write still pending on the next flush may have been carried
 * out with its answer lost (a timeout, a crash, a failed record), so before it is sent again we
 * look for it in Bitrix24 through a documented look-up:
 *
 *   crm.activity.configurable.add  → crm.activity.list filtered by OWNER_TYPE_ID, OWNER_ID,
 *       PROVIDER_ID = CONFIGURABLE_REST_APP, ORIGINATOR_ID and ORIGIN_ID (our originatorId/originId)
 *       (b24restdocs api-reference/crm/timeline/activities/activity-base/crm-activity-list.md,
 *        …/activities/configurable/index.md "find configurable activities … PROVIDER_ID = CONFIGURABLE_REST_APP")
 *   crm.timeline.logmessage.add    → crm.timeline.logmessage.list of the item (newest first, pages
 *       of 10), an entry with the same title and text that no other write of ours claims
 *       (b24restdocs api-reference/crm/timeline/logmessage/crm-timeline-logmessage-list.md)
 *   crm.timeline.comment.add       → crm.timeline.comment.list filtered by ENTITY_ID + ENTITY_TYPE,
 *       the same COMMENT text (it carries the envelope's verify link)
 *       (b24restdocs api-reference/crm/timeline/comments/crm-timeline-comment-list.md)
 *
 * Writes without a look-up are sent again: `bizproc.event.send` is refused for a token it already
 * took (ACCESS_DENIED, which flush.ts then counts as delivered); `bizproc.activity.log` and
 * `crm.automation.trigger.execute` have none and are repeated (at least once) rather than dropped.
 */

export interface PendingWrite {
  env: EnvelopeView;
  write: PlannedWrite;
}

/** How far back the log look-up reads (newest first): the lost write is among the item's latest entries. */
const LOG_PAGES = 5;

type Found = { result: unknown };

/** Ids of log messages our settled writes already account for, on the same CRM item (any envelope). */
async function claimedLogIds(db: DbOrTx, portalId: string, env: EnvelopeView): Promise<Set<number>> {
  const rows = await db
    .select({ result: timelineWrites.result })
    .from(timelineWrites)
    .innerJoin(envelopes, and(eq(envelopes.portalId, timelineWrites.portalId), eq(envelopes.id, timelineWrites.envelopeId)))
    .where(
      and(
        eq(timelineWrites.portalId, portalId),
        eq(timelineWrites.method, 'crm.timeline.logmessage.add'),
        eq(timelineWrites.status, 'done'),
        eq(envelopes.crmEntityTypeId, env.crmEntityTypeId!),
        eq(envelopes.crmEntityId, env.crmEntityId!),
      ),
    );
  const ids = new Set<number>();
  for (const r of rows) {
    const id = Number((r.result as { logMessage?: { id?: unknown } } | null)?.logMessage?.id);
    if (Number.isInteger(id)) ids.add(id);
  }
  return ids;
}

async function findActivity(client: Bitrix24Client, p: PendingWrite): Promise<Found | undefined> {
  const params = p.write.params as { ownerTypeId: number; ownerId: number; fields: { originatorId: string; originId: string } };
  const rows = await client.call<Array<{ ID: string }>>('crm.activity.list', {
    filter: {
      OWNER_TYPE_ID: params.ownerTypeId,
      OWNER_ID: params.ownerId,
      PROVIDER_ID: 'CONFIGURABLE_REST_APP',
      ORIGINATOR_ID: params.fields.originatorId,
      ORIGIN_ID: params.fields.originId,
    },
    select: ['ID'],
    order: { ID: 'ASC' },
  });
  const id = Number(rows?.[0]?.ID);
  return Number.isInteger(id) && id > 0 ? { result: { activity: { id } } } : undefined;
}

async function findLogMessage(client: Bitrix24Client, p: PendingWrite, claimed: Set<number>): Promise<Found | undefined> {
  return findLogLine(client, (p.write.params as { fields: LogFields }).fields, claimed);
}

type LogFields = { entityTypeId: number; entityId: number; title?: string; text: string };

/** A log line of ours on the item with this text (and title, when given) that no settled write claims. */
export async function findLogLine(client: Bitrix24Client, f: LogFields, claimed: Set<number> = new Set()): Promise<Found | undefined> {
  for (let page = 0; page < LOG_PAGES; page++) {
    const rows = await client.call<Array<{ id: number; title: string; text: string }>>('crm.timeline.logmessage.list', {
      entityTypeId: f.entityTypeId,
      entityId: f.entityId,
      order: { id: 'desc' },
      start: page * 10,
    });
    const hit = rows.find((r) => (f.title === undefined || r.title === f.title) && r.text === f.text && !claimed.has(Number(r.id)));
    if (hit) {
      claimed.add(Number(hit.id));
      return { result: { logMessage: hit } };
    }
    if (rows.length < 10) return undefined;
  }
  return undefined;
}

async function findComment(client: Bitrix24Client, p: PendingWrite): Promise<Found | undefined> {
  const f = (p.write.params as { fields: { ENTITY_ID: number; ENTITY_TYPE: string; COMMENT: string } }).fields;
  const rows = await client.call<Array<{ ID: string; COMMENT: string }>>('crm.timeline.comment.list', {
    filter: { ENTITY_ID: f.ENTITY_ID, ENTITY_TYPE: f.ENTITY_TYPE },
    order: { ID: 'DESC' },
  });
  const hit = rows.find((r) => r.COMMENT === f.COMMENT);
  return hit ? { result: Number(hit.ID) } : undefined;
}

/**
 * For each pending write: found in Bitrix24 (settle it as done with what the look-up returned), or
 * to be sent (again). Look-ups are reads, so the client may repeat them; a failed look-up throws
 * and the flush is retried with the write still pending.
 */
export async function reconcilePending(
  db: DbOrTx,
  client: Bitrix24Client,
  portalId: string,
  pending: PendingWrite[],
): Promise<{ found: Array<PendingWrite & Found>; resend: PendingWrite[] }> {
  const found: Array<PendingWrite & Found> = [];
  const resend: PendingWrite[] = [];
  const claimedByItem = new Map<string, Set<number>>();
  for (const p of pending) {
    let hit: Found | undefined;
    switch (p.write.method) {
      case 'crm.activity.configurable.add':
        hit = await findActivity(client, p);
        break;
      case 'crm.timeline.logmessage.add': {
        const item = `${p.env.crmEntityTypeId}:${p.env.crmEntityId}`;
        if (!claimedByItem.has(item)) claimedByItem.set(item, await claimedLogIds(db, portalId, p.env));
        hit = await findLogMessage(client, p, claimedByItem.get(item)!);
        break;
      }
      case 'crm.timeline.comment.add':
        hit = await findComment(client, p);
        break;
      default:
        hit = undefined;
    }
    if (hit) found.push({ ...p, ...hit });
    else resend.push(p);
  }
  return { found, resend };
}
