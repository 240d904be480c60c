import { and, eq, inArray, sql } from 'drizzle-orm';
import { genderOf } from '../i18n/gender.js';
import { rowsOf } from '../db/client.js';
import { BATCH_LIMIT } from '../bitrix24/client.js';
import { crmBatchCommands, mapCrmBatch, type CrmData, type CrmRecord } from '../documents/crm-data.js';
import { getTemplate } from '../documents/templates/repo.js';
import { isStarter, starterLayout } from '../documents/templates/starters/index.js';
import { Bitrix24Error, type BatchCommand, type BatchResult } from '../bitrix24/types.js';
import { envelopes } from '../db/schema/envelopes.js';
import { robotCalls, type RobotCall } from '../db/schema/robot-calls.js';
import type { Template } from '../db/schema/templates.js';
import { isAppError } from '../lib/app-error.js';
import type { Lang } from '../i18n/index.js';
import { defineJob } from '../jobs/queue.js';
import type { Services } from '../services.js';
import type { Actor } from '../signing/audit.js';
import { createEnvelope, sendEnvelope, type RecipientInput } from '../signing/envelopes.js';
import { findEnvelope } from '../signing/internal.js';
import { isTransientError } from '../timeline/flush.js';
import { timelineTexts, type TimelineKey } from '../timeline/texts.js';
import { ROBOT_SEND_KIND, ZRobotSendPayload } from './accept.js';
import { documentFor } from './document.js';
import { parseRobotSettings, type RobotSettings } from './properties.js';
import { findLogLine } from '../timeline/reconcile.js';
import { robotErrorReply } from '../timeline/robot-reply.js';
import { markDeliveryVerified, verifyRobotDelivery } from './verify-delivery.js';
import { readPortalSettings } from '../settings/store.js';

/**
 * The robot's work, off the request: one batched CRM read (the item's data plus the chosen signers),
 * the document, the envelope, sent. From there the timeline outbox (src/timeline) writes
 * "sent to …" into the workflow log and, when the envelope ends, the one bizproc.event.send.
 *
 * Bad settings or data never leave the workflow hanging: the robot is ended at once with a clear
 * LOG_MESSAGE and status "error". Transient Bitrix24 trouble is thrown, and the queue retries.
 * Safe to run twice: a call that has left `received` is done; an envelope already linked is reused.
 */
class RobotStop extends Error {
  constructor(readonly key: TimelineKey, readonly vars: Record<string, string> = {}) {
    super(key);
  }
}

const PROPERTY_NAMES: Record<string, string> = {
  template: 'Template',
  company_signer: 'Signer for our company',
  client_signer: 'Client signer',
  wait: 'Wait until signed or declined',
  deadline_days: 'Deadline, days',
};

const fullName = (r: CrmRecord | null | undefined) =>
  r ? [r.NAME, r.SECOND_NAME, r.LAST_NAME].filter((x) => typeof x === 'string' && x.trim()).join(' ') : '';

/** First e-mail of a CRM multi-field, or the plain EMAIL of a user. */
function emailOf(r: CrmRecord | null | undefined): string | undefined {
  const v = r?.EMAIL;
  if (typeof v === 'string') return v.trim() || undefined;
  if (Array.isArray(v)) {
    for (const m of v) {
      const s = m && typeof m === 'object' ? (m as CrmRecord).VALUE : undefined;
      if (typeof s === 'string' && s.trim()) return s.trim();
    }
  }
  return undefined;
}

const firstRow = (v: unknown): CrmRecord | null => (Array.isArray(v) ? ((v[0] as CrmRecord) ?? null) : v && typeof v === 'object' ? (v as CrmRecord) : null);

/** A starter id in the robot's options stands for the built-in layout in the portal's (or English) language. */
function starterTemplate(portalId: string, id: string, lang: Lang): Template | undefined {
  const layout = starterLayout(id, lang);
  if (!layout) return undefined;
  const now = new Date(0);
  return {
    id,
    portalId,
    name: layout.name,
    kind: layout.kind,
    language: lang,
    source: { type: 'builtin', layout: id },
    fields: layout.fields,
    createdByUserId: null,
    lastUsedAt: null,
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** `sales-contract` (English) or `sales-contract.ru`: a starter in one of our languages. */
function starterRef(id: string): { id: string; lang: Lang } | undefined {
  const m = /^([a-z][a-z0-9-]*)(?:\.(en|it|ru))?$/.exec(id);
  return m && isStarter(m[1]!) ? { id: m[1]!, lang: (m[2] as Lang | undefined) ?? 'en' } : undefined;
}

async function loadTemplate(services: Services, call: RobotCall, settings: RobotSettings): Promise<Template> {
  if (!settings.template) throw new RobotStop('robot.error.no_template');
  const starter = starterRef(settings.template);
  if (starter) return starterTemplate(call.portalId, starter.id, starter.lang)!;
  try {
    const t = await getTemplate(services.db, { portalId: call.portalId, id: settings.template });
    if (t.source.type === 'docgen') throw new RobotStop('robot.error.document', { error: 'document-generator templates need their PDF made first; use a built-in or uploaded template' });
    return t;
  } catch (e) {
    if (isAppError(e) && e.code === 'NOT_FOUND') throw new RobotStop('robot.error.template_missing', { template: settings.template });
    throw e;
  }
}

/** The CRM read of one robot call: everything a document prints plus the signers its settings name. */
function crmCommands(call: Pick<RobotCall, 'entityTypeId' | 'entityId'>, settings: RobotSettings): Record<string, BatchCommand> {
  const commands: Record<string, BatchCommand> = crmBatchCommands({ entityTypeId: call.entityTypeId!, entityId: call.entityId! });
  if (settings.companySigner.kind === 'user') commands.signerUser = ['user.get', { ID: settings.companySigner.id }];
  if (settings.clientSigner.kind === 'contact') commands.signerContact = ['crm.contact.get', { id: settings.clientSigner.id }];
  return commands;
}

/** `key` → `p_key`, and every `$result[key]` reference inside the parameters with it. */
function prefixed(prefix: string, commands: Record<string, BatchCommand>): Record<string, BatchCommand> {
  const rename = (v: unknown): unknown =>
    typeof v === 'string'
      ? v.replace(/\$result\[([^\]]+)\]/g, (_m, k: string) => `$result[${prefix}_${k}]`)
      : Array.isArray(v)
        ? v.map(rename)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x)]))
          : v;
  return Object.fromEntries(Object.entries(commands).map(([k, [m, params]]) => [`${prefix}_${k}`, [m, params ? (rename(params) as Record<string, unknown>) : params] as BatchCommand]));
}

function unprefixed(prefix: string, res: BatchResult): BatchResult {
  const pick = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith(`${prefix}_`)).map(([k, v]) => [k.slice(prefix.length + 1), v]));
  return { result: pick(res.result), errors: pick(res.errors), total: pick(res.total), next: pick(res.next) };
}

/** A read shared from another call's batch is used if it is this recent. */
const SHARED_READ_MAX_AGE_MS = 5 * 60_000;

/**
 * One batch per robot call, and often less: when other deliveries of the portal are waiting for their
 * job (a stage move of many deals), their reads ride in the same request while there is room (50
 * commands), and each result is handed to the waiting job through its payload. A job already
 * running misses the hand-over and simply reads for itself.
 */
async function readCrm(services: Services, call: RobotCall, settings: RobotSettings, shared?: { at: string; result: BatchResult }) {
  const ref = { entityTypeId: call.entityTypeId!, entityId: call.entityId! };
  let res: BatchResult;
  if (shared && services.clock.now().getTime() - Date.parse(shared.at) < SHARED_READ_MAX_AGE_MS) {
    res = shared.result;
  } else {
    const own = crmCommands(call, settings);
    let commands = prefixed('a', own);
    const riders: { jobId: number; prefix: string }[] = [];
    // Reserve as many waiting deliveries as reads of our size fit beside ours (SKIP LOCKED, marked in their payload), so jobs
    // running side by side never read the same rider twice. A rider whose hand-over never comes
    // (our batch failed, or it did not fit) simply reads for itself when its job runs.
    const reserved = rowsOf<{ id: number; call_id: string }>(
      await services.db.execute(sql`
        update jobs set payload = payload || jsonb_build_object('crmBy', ${call.id}::text)
        where id in (
          select j.id from jobs j
          join robot_calls c on c.portal_id = j.portal_id and c.id = j.payload->>'callId'
          where j.portal_id = ${call.portalId} and j.kind = ${ROBOT_SEND_KIND} and j.status = 'queued'
            and not (j.payload ? 'crmBy') and c.id <> ${call.id} and c.status = 'received' and c.envelope_id is null
          order by j.id
          limit ${Math.max(0, Math.floor((BATCH_LIMIT - Object.keys(own).length) / Object.keys(own).length))}
          for update of j skip locked)
        returning id, payload->>'callId' as call_id`),
    );
    const riderCalls = reserved.length
      ? await services.db.select().from(robotCalls).where(and(eq(robotCalls.portalId, call.portalId), inArray(robotCalls.id, reserved.map((r) => r.call_id))))
      : [];
    const waiting = reserved.flatMap((r) => {
      const c = riderCalls.find((x) => x.id === r.call_id);
      return c ? [{ jobId: Number(r.id), call: c }] : [];
    });
    for (const w of waiting) {
      const parsed = parseRobotSettings(w.call.properties);
      if (parsed.problems.length || !w.call.entityTypeId || !w.call.entityId) continue;
      const theirs = crmCommands(w.call, parsed.settings);
      if (Object.keys(commands).length + Object.keys(theirs).length > BATCH_LIMIT) break;
      const prefix = `r${riders.length}`;
      commands = { ...commands, ...prefixed(prefix, theirs) };
      riders.push({ jobId: w.jobId, prefix });
    }
    let raw: BatchResult;
    try {
      raw = await services.bitrix24.forPortal(call.portalId).batch(commands, { halt: false });
    } catch (e) {
      // Refused for good (rights, a removed app…): say so; rate limits and outages are retried by the queue.
      if (e instanceof Bitrix24Error && !isTransientError(e)) throw new RobotStop('robot.error.crm', { error: e.code });
      throw e;
    }
    res = unprefixed('a', raw);
    const at = services.clock.now().toISOString();
    for (const r of riders) {
      const hand = JSON.stringify({ at, result: unprefixed(r.prefix, raw) });
      await services.db.execute(sql`update jobs set payload = payload || jsonb_build_object('crm', ${hand}::jsonb) where id = ${r.jobId} and status = 'queued'`);
    }
  }
  const crm = mapCrmBatch(ref, res);
  if (!crm.item) throw new RobotStop('robot.error.crm', { error: crm.errors.item ?? 'the record was not found' });
  return { crm, signerUser: firstRow(res.result.signerUser), signerContact: firstRow(res.result.signerContact) };
}

function recipientsFor(settings: RobotSettings, data: Awaited<ReturnType<typeof readCrm>>): RecipientInput[] {
  const { crm } = data;
  const user = settings.companySigner.kind === 'user' ? data.signerUser : crm.responsible;
  if (!user || !user.ID) throw new RobotStop('robot.error.no_user');
  // The employee signs inside Bitrix24 (messenger invitation, in-portal page): an e-mail the scope hides
  // (user_brief; b24restdocs api-reference/user/user-scope.md) or one they never set is no obstacle, it
  // only leaves out the e-mail path.
  const userEmail = emailOf(user);
  const userName = fullName(user) || String(user.EMAIL ?? user.ID);

  let client: RecipientInput;
  const cs = settings.clientSigner;
  if (cs.kind === 'email') {
    const match = crm.contact && emailOf(crm.contact)?.toLowerCase() === cs.email ? crm.contact : null;
    client = { party: 'client', name: fullName(match) || cs.email, email: cs.email, ...(match?.ID ? { crmContactId: Number(match.ID) } : {}) };
  } else {
    const contact = cs.kind === 'contact' ? data.signerContact : crm.ref.entityTypeId === 3 ? crm.item : crm.contact;
    if (!contact || !contact.ID) throw new RobotStop('robot.error.no_contact');
    const email = emailOf(contact);
    const name = fullName(contact) || `#${contact.ID}`;
    if (!email) throw new RobotStop('robot.error.contact_no_email', { name });
    client = { party: 'client', name, email, crmContactId: Number(contact.ID) };
  }
  const gender = genderOf(user.PERSONAL_GENDER);
  return [{ party: 'company', name: userName, ...(userEmail ? { email: userEmail } : {}), b24UserId: Number(user.ID), ...(gender ? { gender } : {}), order: 1 }, { ...client, order: 2 }];
}

/**
 * Ends the robot with an error the user can act on; the workflow gets status "error". Write-ahead:
 * the call turns `stopping` (with the message) before anything is sent, and `failed` after, so a
 * rerun (a lost answer, a crash, a failed record) finishes the same stop: a repeated event.send is
 * refused by Bitrix24 as already taken (ACCESS_DENIED), and the timeline note is looked up
 * (crm.timeline.logmessage.list, src/timeline/reconcile.ts) before it is written again.
 */
async function stop(services: Services, call: RobotCall, message: string, lang: Lang): Promise<void> {
  const rerun = call.status === 'stopping';
  if (!rerun) {
    await services.db.update(robotCalls).set({ status: 'stopping', error: message, updatedAt: services.clock.now() }).where(and(eq(robotCalls.portalId, call.portalId), eq(robotCalls.id, call.id)));
  }
  const reply = robotErrorReply(message);
  if (call.subscribed === 'Y') {
    try {
      await services.bitrix24.forPortal(call.portalId).call('bizproc.event.send', { EVENT_TOKEN: call.eventToken, RETURN_VALUES: reply.returnValues, LOG_MESSAGE: reply.logMessage });
    } catch (e) {
      // The workflow no longer waits: nothing more to tell it. Anything else is retried by the queue.
      if (!(e instanceof Bitrix24Error && e.code === 'ACCESS_DENIED')) throw e;
      services.logger.warn({ portalId: call.portalId, callId: call.id }, 'robot error reply refused (ACCESS_DENIED)');
    }
  }
  // The same words on the CRM card's timeline: a workflow log is easy to miss (and absent when the
  // robot does not wait), and a robot that did nothing must never fail silently.
  if (call.entityTypeId && call.entityId) {
    try {
      const client = services.bitrix24.forPortal(call.portalId);
      const written = rerun ? await findLogLine(client, { entityTypeId: call.entityTypeId, entityId: call.entityId, text: message }) : undefined;
      if (!written) {
        await client.call('crm.timeline.logmessage.add', {
          fields: { entityTypeId: call.entityTypeId, entityId: call.entityId, title: timelineTexts(lang)('log.title'), text: message, iconCode: 'info' },
        });
      }
    } catch (e) {
      // Bitrix24 may take it later: the call stays `stopping` and the queue retries the whole stop.
      if (!(e instanceof Bitrix24Error) || isTransientError(e)) throw e;
      services.logger.warn({ portalId: call.portalId, callId: call.id, code: e.code }, 'robot error note refused by the timeline');
    }
  }
  await services.db.update(robotCalls).set({ status: 'failed', error: message, updatedAt: services.clock.now() }).where(and(eq(robotCalls.portalId, call.portalId), eq(robotCalls.id, call.id)));
}

export async function runRobotCall(
  services: Services,
  p: { portalId: string; callId: string; crm?: { at: string; result: BatchResult }; delivery?: { accessToken?: string; verified?: boolean; jobId: number | string } },
): Promise<{ status: RobotCall['status']; envelopeId?: string }> {
  const { db, clock } = services;
  const [call] = await db.select().from(robotCalls).where(and(eq(robotCalls.portalId, p.portalId), eq(robotCalls.id, p.callId)));
  if (!call) return { status: 'failed' };
  // A stop that was recorded but may not have been sent in full: finish it (idempotently).
  if (call.status === 'stopping') {
    await stop(services, call, call.error ?? '', 'en');
    return { status: 'failed' };
  }
  if (call.status !== 'received') return { status: call.status, envelopeId: call.envelopeId ?? undefined };
  if (p.delivery && !p.delivery.verified) {
    // Nothing is read, made or sent for a delivery the OAuth server does not vouch for.
    const check = await verifyRobotDelivery(services, { portalId: call.portalId, accessToken: p.delivery.accessToken, userId: call.userId });
    if (!check.ok) {
      services.logger.warn({ portalId: call.portalId, callId: call.id, reason: check.reason }, 'robot delivery not confirmed by the OAuth server; ignored');
      await db.update(robotCalls).set({ status: 'failed', error: `not confirmed by the Bitrix24 authorization server: ${check.reason}`, updatedAt: clock.now() }).where(and(eq(robotCalls.portalId, call.portalId), eq(robotCalls.id, call.id)));
      return { status: 'failed' };
    }
    await markDeliveryVerified(services, p.delivery.jobId);
  }
  const who: Actor = { actor: `robot:${call.workflowId}${call.userId ? ` (user:${call.userId})` : ''}` };

  let envelopeId = call.envelopeId ?? undefined;
  if (!envelopeId) {
    const { settings, problems } = parseRobotSettings(call.properties);
    let lang: Lang = 'en';
    try {
      if (problems.length) throw new RobotStop('robot.error.bad_property', { name: PROPERTY_NAMES[problems[0]!.property] ?? problems[0]!.property, value: problems[0]!.value.slice(0, 100) });
      if (!call.entityTypeId || !call.entityId) throw new RobotStop('robot.error.unsupported', { type: call.documentId[2] ?? '?' });
      const wait = settings.wait && call.subscribed === 'Y';
      if ((wait ? 'Y' : 'N') !== call.wait) {
        await db.update(robotCalls).set({ wait: wait ? 'Y' : 'N' }).where(and(eq(robotCalls.portalId, call.portalId), eq(robotCalls.id, call.id)));
      }
      const template = await loadTemplate(services, call, settings);
      lang = template.language;
      let data = await readCrm(services, call, settings, p.crm);
      let signerSettings = settings;
      if (settings.companySigner.kind === 'responsible' && !data.crm.responsible?.ID) {
        // The record has no responsible person: the portal's default company signer (settings page), when set.
        const id = (await readPortalSettings(services.db, call.portalId).catch(() => ({ companySignerUserId: undefined }))).companySignerUserId;
        if (typeof id === 'number') {
          data = { ...data, signerUser: firstRow(await services.bitrix24.forPortal(call.portalId).call<unknown>('user.get', { ID: id })) };
          signerSettings = { ...settings, companySigner: { kind: 'user', id } };
        }
      }
      const recipients = recipientsFor(signerSettings, data);
      const doc = await documentFor(services, template, data.crm, lang);
      const itemTitle = typeof data.crm.item?.TITLE === 'string' && data.crm.item.TITLE.trim() ? data.crm.item.TITLE.trim() : fullName(data.crm.item);
      const env = await createEnvelope(services, {
        portalId: call.portalId,
        ...(call.userId ? { userId: call.userId } : {}),
        title: itemTitle ? `${template.name}: ${itemTitle}`.slice(0, 300) : template.name,
        lang,
        pdf: doc.pdf,
        fields: doc.fields,
        ...(starterRef(template.id) ? {} : { templateId: template.id }),
        crm: { entityTypeId: call.entityTypeId, entityId: call.entityId },
        recipients,
        timers: settings.deadlineDays ? { expiryDays: settings.deadlineDays } : {},
        who,
      });
      envelopeId = env.id;
      await db.transaction(async (tx) => {
        await tx.update(envelopes).set({ robotEventToken: call.eventToken, robotWorkflowId: call.workflowId }).where(and(eq(envelopes.portalId, call.portalId), eq(envelopes.id, env.id)));
        await tx.update(robotCalls).set({ envelopeId: env.id, updatedAt: clock.now() }).where(and(eq(robotCalls.portalId, call.portalId), eq(robotCalls.id, call.id)));
      });
    } catch (e) {
      if (e instanceof RobotStop) {
        await stop(services, call, timelineTexts(lang)(e.key, e.vars), lang);
        return { status: 'failed' };
      }
      // A refused document (bad template data, PDF problems) will not get better by retrying.
      if (isAppError(e) && e.status < 500) {
        await stop(services, call, timelineTexts(lang)('robot.error.document', { error: e.message }), lang);
        return { status: 'failed' };
      }
      throw e;
    }
  }

  const env = await findEnvelope(db, call.portalId, envelopeId);
  if (env.status === 'draft') await sendEnvelope(services, { portalId: call.portalId, envelopeId, who });
  await db.update(robotCalls).set({ status: 'sent', updatedAt: clock.now() }).where(and(eq(robotCalls.portalId, call.portalId), eq(robotCalls.id, call.id)));
  return { status: 'sent', envelopeId };
}

export const robotSendJob = defineJob(ROBOT_SEND_KIND, ZRobotSendPayload, async (payload, job, ctx) => {
  await runRobotCall(ctx.services, {
    portalId: job.portalId!,
    callId: payload.callId,
    ...(payload.crm ? { crm: payload.crm as { at: string; result: BatchResult } } : {}),
    delivery: { accessToken: payload.accessToken ?? undefined, verified: payload.verified, jobId: job.id },
  });
});
