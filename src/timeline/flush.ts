import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { loadBlob } from '../blobs/blobs.js';
import { z } from 'zod';
import { BATCH_LIMIT, BATCH_TOO_LONG } from '../bitrix24/client.js';
import { Bitrix24Error, type BatchCommand } from '../bitrix24/types.js';
import { auditEvents, type AuditEvent } from '../db/schema/audit-events.js';
import { envelopes } from '../db/schema/envelopes.js';
import { jobs } from '../db/schema/jobs.js';
import { portals } from '../db/schema/portals.js';
import { recipients as recipientsTable, type Recipient } from '../db/schema/recipients.js';
import { robotCalls } from '../db/schema/robot-calls.js';
import { timelineState, timelineWrites } from '../db/schema/timeline.js';
import { defineJob, JobRetryLater } from '../jobs/queue.js';
import type { Services } from '../services.js';
import { issueFinalToken } from '../signing/tokens.js';
import { appDeepLinkPath } from '../bitrix24/app-link.js';
import { REPORTED_EVENTS, TIMELINE_SYNC_KIND } from './hook.js';
import { planEnvelope, staleRobotNote, type EnvelopeView, type PlannedWrite, type RobotBinding } from './plan.js';
import { reconcilePending } from './reconcile.js';

/**
 * The timeline outbox of one portal. A flush gathers every envelope of the portal with reports due
 * (its own job's envelope plus those of other queued flush jobs), plans each one (plan.ts), sends
 * the writes in as few `batch` calls as fit (50 commands each; files alone), and records every
 * write under its idempotency key: `pending` before the call (write-ahead), `done`/`failed` after.
 * Flushes of one portal never overlap (order key per portal), the REST client keeps them inside the
 * portal's rate budget, and a failed flush is retried by the queue with backoff: what went through
 * is never sent again, what did not is planned again, and a write left pending (its answer or its
 * record lost) is looked up in Bitrix24 before it is sent again (reconcile.ts).
 */
export interface FlushReport {
  envelopes: number;
  writes: number;
  /** HTTP requests made (a batch counts once). */
  requests: number;
  deferredUntil?: Date;
}

/** Transient: Bitrix24 may well accept the same write later. Anything else is refused for good. */
export function isTransientCode(code: string): boolean {
  return (
    ['QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'INTERNAL_SERVER_ERROR', 'NETWORK', 'TIMEOUT', 'OVERLOAD_LIMIT', 'expired_token', 'PORTAL_NEEDS_REAUTH'].includes(code) ||
    /^HTTP_5\d\d$/.test(code)
  );
}

/**
 * A Bitrix24 failure worth waiting out (the queue retries the job): a transient code, or any 5xx — an
 * outage in front of the portal answers 502/504 pages with no Bitrix24 code at all.
 */
export function isTransientError(e: unknown): boolean {
  return e instanceof Bitrix24Error && (isTransientCode(e.code) || (e.httpStatus !== undefined && e.httpStatus >= 500));
}

const ROBOT_METHODS = new Set(['bizproc.event.send', 'bizproc.activity.log']);

interface Due {
  env: EnvelopeView;
  write: PlannedWrite;
}

/** Links shown in the activity and returned to the robot. */
export async function envelopeLinks(services: Services, env: EnvelopeView & { sealedAt?: Date | null }) {
  const base = services.config.publicUrl;
  // Issued "at" the seal time, so every flush builds the same link and an unchanged layout stays unsent.
  const pdfUrl = env.status === 'completed' && env.sealedSha256
    ? `${base}/s/final/${await issueFinalToken(services.config.sessionSecret, { portalId: env.portalId, envelopeId: env.id, recipientId: 'crm' }, env.sealedAt ?? new Date(0))}`
    : undefined;
  return {
    openPath: appDeepLinkPath(services.config, { envelopeId: env.id }),
    verifyUrl: `${base}/v/${env.publicId}`,
    ...(pdfUrl ? { pdfUrl } : {}),
  };
}

export async function flushPortalTimeline(services: Services, p: { portalId: string; envelopeId: string }): Promise<FlushReport> {
  const { db, clock, logger, config } = services;
  const now = clock.now();
  const portalId = p.portalId;

  // Other envelopes of this portal whose flush jobs are waiting: report them now, in the same batches.
  const queued = await db
    .select({ id: sql<string>`${jobs.payload}->>'envelopeId'` })
    .from(jobs)
    .where(and(eq(jobs.kind, TIMELINE_SYNC_KIND), eq(jobs.portalId, portalId), eq(jobs.status, 'queued')))
    .orderBy(asc(jobs.id))
    .limit(200);
  const ids = [...new Set([p.envelopeId, ...queued.map((r) => r.id).filter((x): x is string => typeof x === 'string')])].slice(0, 100);

  const [portal] = await db.select({ status: portals.status }).from(portals).where(eq(portals.id, portalId));
  if (!portal || portal.status === 'uninstalled') {
    logger.info({ portalId }, 'timeline flush skipped: portal uninstalled');
    return { envelopes: 0, writes: 0, requests: 0 };
  }

  const envs = await db
    .select({
      id: envelopes.id,
      portalId: envelopes.portalId,
      title: envelopes.title,
      status: envelopes.status,
      publicId: envelopes.publicId,
      endReason: envelopes.endReason,
      lang: envelopes.lang,
      crmEntityTypeId: envelopes.crmEntityTypeId,
      crmEntityId: envelopes.crmEntityId,
      sealedSha256: envelopes.sealedSha256,
      sealedAt: envelopes.sealedAt,
      createdByUserId: envelopes.createdByUserId,
    })
    .from(envelopes)
    .where(and(eq(envelopes.portalId, portalId), inArray(envelopes.id, ids)));
  const bound = envs.filter((e) => e.crmEntityTypeId && e.crmEntityId);
  if (!bound.length) return { envelopes: 0, writes: 0, requests: 0 };
  const boundIds = bound.map((e) => e.id);

  const [states, written, rs, events, calls] = await Promise.all([
    db.select().from(timelineState).where(and(eq(timelineState.portalId, portalId), inArray(timelineState.envelopeId, boundIds))),
    db.select({ envelopeId: timelineWrites.envelopeId, key: timelineWrites.key, status: timelineWrites.status }).from(timelineWrites).where(and(eq(timelineWrites.portalId, portalId), inArray(timelineWrites.envelopeId, boundIds))),
    db.select().from(recipientsTable).where(and(eq(recipientsTable.portalId, portalId), inArray(recipientsTable.envelopeId, boundIds))).orderBy(asc(recipientsTable.signOrder), asc(recipientsTable.createdAt), asc(recipientsTable.id)),
    db
      .select({ envelopeId: auditEvents.envelopeId, seq: auditEvents.seq, type: auditEvents.type, recipientId: auditEvents.recipientId, data: auditEvents.data, at: auditEvents.at })
      .from(auditEvents)
      .where(and(eq(auditEvents.portalId, portalId), inArray(auditEvents.envelopeId, boundIds), inArray(auditEvents.type, [...REPORTED_EVENTS])))
      .orderBy(asc(auditEvents.envelopeId), asc(auditEvents.seq)),
    db
      .select({ envelopeId: robotCalls.envelopeId, eventToken: robotCalls.eventToken, wait: robotCalls.wait, subscribed: robotCalls.subscribed })
      .from(robotCalls)
      .where(and(eq(robotCalls.portalId, portalId), inArray(robotCalls.envelopeId, boundIds))),
  ]);

  const due: Due[] = [];
  const plans = new Map<string, { seq: number; layoutHash: string; activityId: number | null }>();
  let deferredUntil: Date | undefined;
  for (const env of bound) {
    const state = states.find((s) => s.envelopeId === env.id);
    const cursor = state?.reportedSeq ?? 0;
    const fresh = events.filter((e) => e.envelopeId === env.id && e.seq > cursor) as (Pick<AuditEvent, 'seq' | 'type' | 'recipientId' | 'data' | 'at'>)[];
    // Debounce: events close together go out in one batch. Two events announce the next one, so
    // they are held longer (never past TIMELINE_MAX_WAIT_MS from the oldest): "opened" (the signer
    // is reading; "signed" usually follows) and "completed" before the seal (the sealing job is
    // running; the comment with the PDF and the robot's reply follow).
    if (fresh.length && config.TIMELINE_DEBOUNCE_MS > 0) {
      const newest = Math.max(...fresh.map((e) => e.at.getTime()));
      const oldest = Math.min(...fresh.map((e) => e.at.getTime()));
      const last = fresh[fresh.length - 1]!.type;
      const announcing = last === 'opened' || (last === 'completed' && !env.sealedSha256);
      const until = announcing ? oldest + config.TIMELINE_MAX_WAIT_MS : Math.min(newest + config.TIMELINE_DEBOUNCE_MS, oldest + config.TIMELINE_MAX_WAIT_MS);
      if (until > now.getTime()) {
        if (!deferredUntil || until < deferredUntil.getTime()) deferredUntil = new Date(until);
        continue;
      }
    }
    const keys = new Set(written.filter((w) => w.envelopeId === env.id && w.status !== 'pending').map((w) => w.key));
    const call = calls.find((c) => c.envelopeId === env.id);
    const robot: RobotBinding | undefined = call ? { eventToken: call.eventToken, wait: call.wait === 'Y', subscribed: call.subscribed === 'Y' } : undefined;
    let sealedPdf: Uint8Array | undefined;
    if (env.status === 'completed' && env.sealedSha256 && !keys.has('comment:sealed')) {
      const [row] = await db.select({ key: envelopes.sealedPdfKey }).from(envelopes).where(and(eq(envelopes.portalId, portalId), eq(envelopes.id, env.id)));
      sealedPdf = row?.key ? await loadBlob(services, { portalId, key: row.key }) : undefined;
    }
    const plan = planEnvelope({
      env,
      recipients: rs.filter((r: Recipient) => r.envelopeId === env.id),
      events: fresh,
      state: { activityId: state?.activityId ?? null, layoutHash: state?.layoutHash ?? null },
      written: keys,
      robot,
      links: await envelopeLinks(services, env),
      sealedPdf,
    });
    plans.set(env.id, { seq: Math.max(cursor, plan.seq), layoutHash: plan.layoutHash, activityId: state?.activityId ?? null });
    for (const write of plan.writes) due.push({ env, write });
  }

  const client = services.bitrix24.forPortal(portalId);
  const transient = new Set<string>(); // envelopes with a write to repeat
  const activityUpdated = new Set<string>();
  const stale: EnvelopeView[] = [];
  let requests = 0;
  let failure: unknown;

  const record = async (d: Due, status: 'done' | 'failed', result: unknown) => {
    // Settles the pending row first (a row already settled is never overwritten): if this write
    // fails, nothing below is remembered either, and the next flush reconciles the pending row.
    if (d.write.key) {
      await db
        .insert(timelineWrites)
        .values({ portalId, envelopeId: d.env.id, key: d.write.key, method: d.write.method, status, result: result ?? null, at: clock.now() })
        .onConflictDoUpdate({ target: [timelineWrites.envelopeId, timelineWrites.key], set: { status, result: result ?? null, at: clock.now() }, setWhere: sql`${timelineWrites.status} = 'pending'` });
    }
    if (d.write.method === 'crm.activity.configurable.add' && status === 'done') {
      const id = Number((result as { activity?: { id?: unknown } } | undefined)?.activity?.id);
      if (Number.isInteger(id) && id > 0) plans.get(d.env.id)!.activityId = id;
    }
    if (d.write.method.startsWith('crm.activity.configurable.')) activityUpdated.add(d.env.id);
  };

  /** Write-ahead: the intent is in our database before Bitrix24 hears of it. */
  const markPending = async (list: Due[]) => {
    const rows = list.filter((d) => d.write.key).map((d) => ({ portalId, envelopeId: d.env.id, key: d.write.key!, method: d.write.method, status: 'pending' as const, result: null, at: clock.now() }));
    if (rows.length) await db.insert(timelineWrites).values(rows).onConflictDoNothing();
  };

  // Writes left pending by an earlier flush: look them up before sending them again.
  const pendingKeys = new Set(written.filter((w) => w.status === 'pending').map((w) => `${w.envelopeId}|${w.key}`));
  const isPending = (d: Due) => Boolean(d.write.key) && pendingKeys.has(`${d.env.id}|${d.write.key}`);
  if (pendingKeys.size) {
    const rec = await reconcilePending(db, client, portalId, due.filter(isPending));
    for (const f of rec.found) {
      await record(f, 'done', f.result);
      const i = due.findIndex((d) => d.env.id === f.env.id && d.write.key === f.write.key);
      const add = f.write.method === 'crm.activity.configurable.add' ? (f.write.params as { fields: unknown; layout: unknown }) : undefined;
      const id = plans.get(f.env.id)?.activityId;
      // The activity exists (maybe with an older layout): bring it up to date instead of adding it.
      if (add && id) due[i] = { env: f.env, write: { method: 'crm.activity.configurable.update', params: { id, fields: add.fields, layout: add.layout } } };
      else due.splice(i, 1);
    }
    logger.info({ portalId, found: rec.found.length, resend: rec.resend.length }, 'timeline: pending writes reconciled');
  }

  const retryAlone: Due[] = [];
  const settle = async (d: Due, outcome: { ok: true; result: unknown } | { ok: false; error: string; description: string }) => {
    if (!outcome.ok && outcome.error === 'ERROR_BATCH_METHOD_NOT_ALLOWED' && !d.write.alone) {
      retryAlone.push({ env: d.env, write: { ...d.write, alone: true } });
      return;
    }
    if (outcome.ok) return record(d, 'done', typeof outcome.result === 'object' || typeof outcome.result === 'number' || typeof outcome.result === 'boolean' ? outcome.result : String(outcome.result));
    // A reply sent again after its answer was lost: Bitrix24 refuses a token it already took
    // (ACCESS_DENIED, "invalid or expired EVENT_TOKEN", b24restdocs
    // api-reference/bizproc/bizproc-robot/bizproc-event-send.md), so the refusal means delivered.
    if (d.write.method === 'bizproc.event.send' && outcome.error === 'ACCESS_DENIED' && isPending(d)) {
      logger.info({ portalId, envelopeId: d.env.id }, 'robot reply already delivered (token refused on repeat)');
      return record(d, 'done', { deliveredEarlier: true });
    }
    if (isTransientCode(outcome.error)) {
      transient.add(d.env.id);
      return;
    }
    if (ROBOT_METHODS.has(d.write.method) && outcome.error === 'ACCESS_DENIED') {
      // The workflow stopped waiting (timeout, cancelled, deleted): it will never take the reply.
      logger.warn({ portalId, envelopeId: d.env.id, key: d.write.key }, 'robot token refused (ACCESS_DENIED); reporting to the timeline instead');
      if (d.write.key === 'robot:reply') {
        stale.push(d.env);
        // Remembered apart, so a retried flush still writes the timeline note if this one cannot.
        await db.insert(timelineWrites).values({ portalId, envelopeId: d.env.id, key: 'robot:reply-refused', method: d.write.method, status: 'failed', result: null, at: clock.now() }).onConflictDoNothing();
      }
      await db.update(robotCalls).set({ error: `${d.write.method}: ACCESS_DENIED (workflow no longer waiting)`, updatedAt: clock.now() }).where(and(eq(robotCalls.portalId, portalId), eq(robotCalls.envelopeId, d.env.id)));
    } else {
      logger.warn({ portalId, envelopeId: d.env.id, method: d.write.method, code: outcome.error, description: outcome.description }, 'timeline write refused; not retried');
    }
    return record(d, 'failed', { error: outcome.error, description: outcome.description });
  };

  const run = async (list: Due[]) => {
    const batchable = list.filter((d) => !d.write.alone);
    let i = 0;
    for (; i < batchable.length && !failure; i += BATCH_LIMIT) {
      const chunk = batchable.slice(i, i + BATCH_LIMIT);
      const cmd: Record<string, BatchCommand> = {};
      chunk.forEach((d, j) => (cmd[`w${j}`] = [d.write.method, d.write.params]));
      try {
        await markPending(chunk);
        requests++;
        const res = await client.batch(cmd, { halt: false });
        for (const [j, d] of chunk.entries()) {
          const e = res.errors[`w${j}`];
          await settle(d, e ? { ok: false, error: e.error, description: e.error_description } : `w${j}` in res.result ? { ok: true, result: res.result[`w${j}`] } : { ok: false, error: 'INTERNAL_SERVER_ERROR', description: 'no result' });
        }
      } catch (e) {
        // Refused as too long even after the client halved it: what is left is one write, which goes
        // on its own rather than in the same batch again (which would be refused forever).
        if (e instanceof Bitrix24Error && e.code === BATCH_TOO_LONG) {
          for (const d of chunk) retryAlone.push({ env: d.env, write: { ...d.write, alone: true } });
          continue;
        }
        failure = e;
        for (const d of chunk) transient.add(d.env.id);
      }
    }
    // Stopped at a failure: the batches after it were never sent. Their envelopes keep their cursor,
    // or the retry would not plan their log lines again (the events would be behind it) and they
    // would be lost (the activity and the robot reply are planned from the envelope's state, so
    // only the event lines went missing).
    for (const d of batchable.slice(i)) transient.add(d.env.id);
    for (const d of list.filter((x) => x.write.alone)) {
      if (failure) {
        transient.add(d.env.id);
        continue;
      }
      try {
        await markPending([d]);
        requests++;
        await settle(d, { ok: true, result: await client.call(d.write.method, d.write.params) });
      } catch (e) {
        if (e instanceof Bitrix24Error && !isTransientCode(e.code) && e.code !== 'NETWORK') await settle(d, { ok: false, error: e.code, description: e.description });
        else {
          failure = e;
          transient.add(d.env.id);
        }
      }
    }
  };

  await run(due);
  // What a failure kept from being sent keeps its envelope's cursor where it is, like the rest above.
  if (retryAlone.length) {
    if (!failure) await run(retryAlone);
    else for (const d of retryAlone) transient.add(d.env.id);
  }
  if (stale.length) {
    if (!failure) await run(stale.filter((env) => !written.some((w) => w.envelopeId === env.id && w.key === 'robot:stale' && w.status !== 'pending')).map((env) => ({ env, write: staleRobotNote(env, env.status) })));
    else for (const env of stale) transient.add(env.id);
  }

  // Move each envelope's cursor only when everything planned for it went through (or was refused for good).
  for (const [envelopeId, plan] of plans) {
    const complete = !transient.has(envelopeId);
    // The layout hash moves only with a successful (or permanently refused) activity write.
    const hash = activityUpdated.has(envelopeId) ? { layoutHash: plan.layoutHash } : {};
    await db
      .insert(timelineState)
      .values({ envelopeId, portalId, activityId: plan.activityId, reportedSeq: complete ? plan.seq : 0, ...hash })
      .onConflictDoUpdate({ target: timelineState.envelopeId, set: { activityId: plan.activityId, ...(complete ? { reportedSeq: plan.seq } : {}), ...hash, updatedAt: clock.now() } });
  }

  const report: FlushReport = { envelopes: plans.size, writes: due.length, requests, ...(deferredUntil ? { deferredUntil } : {}) };
  logger.debug({ portalId, ...report }, 'timeline flushed');
  if (failure) {
    if (failure instanceof Bitrix24Error && failure.details.retryAt) throw new JobRetryLater(failure.details.retryAt, failure.message);
    throw failure;
  }
  if (transient.size) throw new Error(`timeline: ${transient.size} envelope(s) have writes Bitrix24 did not take yet; retrying`);
  if (deferredUntil) throw new JobRetryLater(deferredUntil, 'waiting for more events of the same envelope');
  return report;
}

export const timelineSyncJob = defineJob(TIMELINE_SYNC_KIND, z.object({ envelopeId: z.string().min(1) }), async (payload, job, ctx) => {
  await flushPortalTimeline(ctx.services, { portalId: job.portalId!, envelopeId: payload.envelopeId });
});
