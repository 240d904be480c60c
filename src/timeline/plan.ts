import type { AuditEvent } from '../db/schema/audit-events.js';
import type { Envelope } from '../db/schema/envelopes.js';
import type { Recipient } from '../db/schema/recipients.js';
import { SIGN_TRIGGERS } from '../bitrix24/manifest.js';
import { OUTCOME_OF, robotReply } from './robot-reply.js';
import { activityLayout, stableJson, type LayoutLinks } from './layout.js';
import { timelinePersonText, timelineTexts } from './texts.js';

/**
 * The outbox planner: given what an envelope looks like now, the audit events not yet reported and
 * the keys already written, which Bitrix24 writes are due. Pure, so every rule here is unit-tested
 * without a portal; flush.ts runs the plan and records each key that went through.
 *
 * Idempotency keys:
 *   activity         crm.activity.configurable.add (once; later changes are .update, not keyed)
 *   log:<seq>        crm.timeline.logmessage.add for audit event <seq>
 *   comment:sealed   crm.timeline.comment.add with the sealed PDF
 *   robot:log:sent   bizproc.activity.log "sent to …" (waiting robots)
 *   robot:reply      bizproc.event.send (exactly one per robot call)
 *   trigger:<code>   crm.automation.trigger.execute
 *   robot:stale      the timeline note written when the workflow no longer accepts the reply
 *   robot:reply-refused  marker: the reply was refused (ACCESS_DENIED); the note above is due
 */
export type EnvelopeView = Pick<
  Envelope,
  'id' | 'portalId' | 'title' | 'status' | 'publicId' | 'endReason' | 'lang' | 'crmEntityTypeId' | 'crmEntityId' | 'sealedSha256' | 'createdByUserId'
>;

export interface RobotBinding {
  eventToken: string;
  /** The workflow waits for the outcome ("wait" on); off means event.send right after sending. */
  wait: boolean;
  /** USE_SUBSCRIPTION=Y: only then does Bitrix24 accept bizproc.event.send / activity.log. */
  subscribed: boolean;
}

export interface PlanInput {
  env: EnvelopeView;
  recipients: Recipient[];
  /** Reported-type audit events with seq > the reported cursor, in seq order. */
  events: Pick<AuditEvent, 'seq' | 'type' | 'recipientId' | 'data'>[];
  state: { activityId: number | null; layoutHash: string | null };
  /** Keys already written (done) or refused for good (failed). */
  written: ReadonlySet<string>;
  robot?: RobotBinding;
  links: LayoutLinks & { verifyUrl: string };
  /** The sealed PDF, when the comment is due (flush loads it only then). */
  sealedPdf?: Uint8Array;
}

export interface PlannedWrite {
  /** Idempotency key; undefined for the activity update (idempotent by nature). */
  key?: string;
  method: string;
  params: Record<string, unknown>;
  /** Too big or not allowed inside `batch` (files): sent as its own call. */
  alone?: boolean;
}

export interface Plan {
  writes: PlannedWrite[];
  /** The layout hash once these writes succeed. */
  layoutHash: string;
  /** Highest seq this plan accounts for. */
  seq: number;
}

/** crm.timeline.comment.add wants a type name (reference §7.1); smart processes and the rest are dynamic_<id>. */
/**
 * `fields.ENTITY_TYPE` of crm.timeline.comment.add: the type's symbolic code in lower case — `lead`,
 * `deal`, `contact`, `company`, `order`, `dynamic_1046` (b24restdocs
 * api-reference/crm/timeline/comments/crm-timeline-comment-add.md) — whose codes are listed in
 * api-reference/crm/data-types.md#object_type: a quote (7) is QUOTE and a new invoice (31) SMART_INVOICE,
 * not dynamic types; only smart processes are DYNAMIC_<id>.
 */
export function commentEntityType(entityTypeId: number): string {
  const names: Record<number, string> = { 1: 'lead', 2: 'deal', 3: 'contact', 4: 'company', 5: 'invoice', 7: 'quote', 14: 'order', 31: 'smart_invoice' };
  return names[entityTypeId] ?? `dynamic_${entityTypeId}`;
}

const FINAL = new Set(['completed', 'declined', 'expired', 'voided']);

/** The envelope has ended and everything its end produces is available (a completed one is also sealed). */
export function isSettled(env: Pick<EnvelopeView, 'status' | 'sealedSha256'>): boolean {
  return FINAL.has(env.status) && (env.status !== 'completed' || Boolean(env.sealedSha256));
}

export function planEnvelope(input: PlanInput): Plan {
  const { env, recipients, events, state, written, robot, links } = input;
  const writes: PlannedWrite[] = [];
  const owner = { typeId: env.crmEntityTypeId!, id: env.crmEntityId! };
  const t = timelineTexts(env.lang);
  const nameOf = (id: string | null | undefined) => recipients.find((r) => r.id === id)?.name ?? '?';
  // Russian lines agree with an employee's gender (PERSONAL_GENDER); others get the neutral sentence.
  const genderOfRecipient = (id: string | null | undefined) => recipients.find((r) => r.id === id)?.gender;

  // 1. The activity: created once, then updated whenever what it shows changes.
  const layout = activityLayout(env, recipients, env.lang, links);
  const ended = FINAL.has(env.status);
  const fields = {
    completed: ended ? 'Y' : 'N',
    originatorId: 'b24-sign',
    originId: env.id,
    ...(env.createdByUserId ? { responsibleId: env.createdByUserId } : {}),
  };
  const layoutHash = stableJson({ layout, fields });
  if (!state.activityId && !written.has('activity')) {
    writes.push({ key: 'activity', method: 'crm.activity.configurable.add', params: { ownerTypeId: owner.typeId, ownerId: owner.id, fields, layout } });
  } else if (state.activityId && state.layoutHash !== layoutHash) {
    writes.push({ method: 'crm.activity.configurable.update', params: { id: state.activityId, fields, layout } });
  }

  // 2. One short line per intermediate event.
  const log = (seq: number, text: string) => {
    const key = `log:${seq}`;
    if (written.has(key)) return;
    writes.push({ key, method: 'crm.timeline.logmessage.add', params: { fields: { entityTypeId: owner.typeId, entityId: owner.id, title: t('log.title'), text, iconCode: 'info' } } });
  };
  const signerNames = recipients.filter((r) => r.role !== 'viewer').map((r) => r.name).join(', ');
  let seq = 0;
  for (const e of events) {
    seq = Math.max(seq, e.seq);
    const data = (e.data ?? {}) as Record<string, unknown>;
    switch (e.type) {
      case 'sent':
        log(e.seq, t('log.sent', { title: env.title, names: signerNames }));
        break;
      case 'opened':
        log(e.seq, timelinePersonText('log.opened', env.lang, genderOfRecipient(e.recipientId), { name: nameOf(e.recipientId), title: env.title }));
        break;
      case 'signed':
      case 'approved':
        log(e.seq, timelinePersonText(e.type === 'signed' ? 'log.signed' : 'log.approved', env.lang, genderOfRecipient(e.recipientId), { name: nameOf(e.recipientId), title: env.title }));
        break;
      case 'declined':
        log(e.seq, timelinePersonText('log.declined', env.lang, genderOfRecipient(e.recipientId), { name: nameOf(e.recipientId), title: env.title, reason: String(data.reason ?? env.endReason ?? '') }));
        break;
      case 'reminded':
        log(e.seq, t('log.reminded', { names: nameOf(typeof data.recipientId === 'string' ? data.recipientId : e.recipientId) }));
        break;
      case 'expired':
        log(e.seq, t('log.expired', { title: env.title }));
        break;
      case 'voided':
        log(e.seq, t('log.voided', { title: env.title, reason: String(data.reason ?? env.endReason ?? '') }));
        break;
      default:
        // completed: the activity turns "Signed" now and the comment with the sealed PDF follows; sealed: below.
        break;
    }
  }

  // 3. The workflow that started it: "sent to …" in its log, then exactly one reply.
  if (robot?.subscribed) {
    const sentSeen = events.some((e) => e.type === 'sent') || env.status !== 'draft';
    if (robot.wait && sentSeen && !written.has('robot:log:sent') && !written.has('robot:reply') && !ended) {
      writes.push({ key: 'robot:log:sent', method: 'bizproc.activity.log', params: { EVENT_TOKEN: robot.eventToken, LOG_MESSAGE: t('robot.sent', { names: signerNames, id: env.publicId }) } });
    }
    const outcome = !robot.wait && env.status !== 'draft' ? 'sent' : isSettled(env) ? OUTCOME_OF[env.status] : undefined;
    if (outcome && !written.has('robot:reply')) {
      const reply = robotReply(env, recipients, env.lang, { verifyUrl: links.verifyUrl, pdfUrl: links.pdfUrl }, outcome);
      writes.push({ key: 'robot:reply', method: 'bizproc.event.send', params: { EVENT_TOKEN: robot.eventToken, RETURN_VALUES: reply.returnValues, LOG_MESSAGE: reply.logMessage } });
    }
  }

  // A reply the workflow refused (it stopped waiting) and whose timeline note did not go out yet.
  if (written.has('robot:reply-refused') && !written.has('robot:stale')) writes.push(staleRobotNote(env, env.status));

  // 4. App triggers, so a portal can move the item on the outcome. Only where Bitrix24 has triggers;
  //    a contact's or a company's workflow learns the outcome from bizproc.event.send alone.
  if (isSettled(env) && hasTriggers(owner.typeId)) {
    const code = env.status === 'completed' ? SIGN_TRIGGERS[0]!.code : env.status === 'declined' ? SIGN_TRIGGERS[1]!.code : undefined;
    if (code && !written.has(`trigger:${code}`)) {
      writes.push({ key: `trigger:${code}`, method: 'crm.automation.trigger.execute', params: { CODE: code, OWNER_TYPE_ID: owner.typeId, OWNER_ID: owner.id } });
    }
  }

  // 5. The sealed PDF as a comment, once.
  if (env.status === 'completed' && env.sealedSha256 && !written.has('comment:sealed') && input.sealedPdf) {
    const names = recipients.filter((r) => r.status === 'signed' || r.status === 'approved').map((r) => r.name).join(', ');
    const base64 = Buffer.from(input.sealedPdf).toString('base64');
    writes.push({
      key: 'comment:sealed',
      method: 'crm.timeline.comment.add',
      // Never inside a batch: a batch whose parameters are too long is refused whole
      // (ERROR_BATCH_LENGTH_EXCEEDED, reference §14), and the robot's reply riding with it would never go out.
      alone: true,
      params: {
        fields: {
          ENTITY_ID: owner.id,
          ENTITY_TYPE: commentEntityType(owner.typeId),
          COMMENT: t('comment.sealed', { title: env.title, names, verify: links.verifyUrl }),
          FILES: [[`${env.publicId}.pdf`, base64]],
        },
      },
    });
  }

  return { writes, layoutHash, seq };
}

/**
 * Whether Bitrix24 runs app triggers for this CRM type: "Triggers exist in leads, deals, estimates,
 * invoices, and SPAs" (b24restdocs api-reference/crm/automation/triggers/crm-automation-trigger-execute.md;
 * anything else is refused with "Incorrect parameter OWNER_TYPE_ID."). Lead 1, deal 2, old invoice 5,
 * quote 7, smart invoice 31, smart processes ≥ 128; never contacts (3) or companies (4).
 */
export function hasTriggers(entityTypeId: number): boolean {
  return [1, 2, 5, 7, 31].includes(entityTypeId) || entityTypeId >= 128;
}

/** The note written to the timeline when the workflow no longer takes the reply (its wait timed out). */
export function staleRobotNote(env: EnvelopeView, outcome: string) {
  const t = timelineTexts(env.lang);
  return {
    key: 'robot:stale',
    method: 'crm.timeline.logmessage.add',
    params: { fields: { entityTypeId: env.crmEntityTypeId, entityId: env.crmEntityId, title: t('log.title'), text: t('robot.stale', { title: env.title, status: outcome }), iconCode: 'info' } },
  } satisfies PlannedWrite;
}
