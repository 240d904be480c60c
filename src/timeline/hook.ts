import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import type { AuditEventType } from '../db/schema/audit-events.js';

/** The audit events the CRM timeline (and a waiting robot) hears about; the rest stay in the audit log. */
export const REPORTED_EVENTS: ReadonlySet<AuditEventType> = new Set<AuditEventType>([
  'sent',
  'opened',
  'signed',
  'approved',
  'declined',
  'reminded',
  'expired',
  'voided',
  'completed',
  'sealed',
]);

export const TIMELINE_SYNC_KIND = 'timeline.sync';

/** One flush at a time per portal: envelopes of a portal share its rate budget and are batched together. */
export const timelineOrderKey = (portalId: string) => `timeline:${portalId}`;

/**
 * The one hook the signing flow calls (from appendAudit, inside the transaction that made the
 * change): queue a timeline flush for this event, but only when the envelope is bound to a CRM item.
 * It is a single INSERT … SELECT, so envelopes without a CRM binding cost nothing but the lookup and
 * the job exists exactly when the change commits. The dedupe key makes a repeated call harmless.
 * run_at is the event's own time (the app's clock), so tests on a manual clock see it due at once.
 */
export async function queueTimelineReport(tx: DbOrTx, e: { portalId: string; envelopeId: string; seq: number; type: AuditEventType; at: Date }): Promise<void> {
  if (!REPORTED_EVENTS.has(e.type)) return;
  const payload = JSON.stringify({ envelopeId: e.envelopeId });
  // Same turn-taking as enqueue() in jobs/queue.ts (its lock space): job ids of one order key follow
  // commit order, so a flush can never start while an earlier one of the portal is still uncommitted.
  await tx.execute(sql`select pg_advisory_xact_lock(72731, hashtext(${timelineOrderKey(e.portalId)}))`);
  await tx.execute(sql`
    insert into jobs (kind, portal_id, payload, dedupe_key, order_key, run_at)
    select ${TIMELINE_SYNC_KIND}, ${e.portalId}, ${payload}::jsonb, ${`${TIMELINE_SYNC_KIND}:${e.envelopeId}:${e.seq}`}, ${timelineOrderKey(e.portalId)}, ${e.at.toISOString()}::timestamptz
    from envelopes
    where portal_id = ${e.portalId} and id = ${e.envelopeId} and crm_entity_id is not null
    on conflict (dedupe_key) do nothing`);
}
