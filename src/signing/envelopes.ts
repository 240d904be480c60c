import { and, desc, eq, inArray } from 'drizzle-orm';
import { reachedInPortal } from './recipient-reach.js';
import { refuseOverlaps } from '../documents/field-overlap.js';
import { saveBlob } from '../blobs/blobs.js';
import { z } from 'zod';
import type { DbOrTx } from '../db/client.js';
import { envelopes, type Envelope, type EnvelopeField, type EnvelopeLang } from '../db/schema/envelopes.js';
import { fieldValues } from '../db/schema/field-values.js';
import { recipients, type NewRecipient, type Recipient } from '../db/schema/recipients.js';
import { AppError } from '../lib/app-error.js';

import type { Services } from '../services.js';
import { appendAudit, type Actor } from './audit.js';
import { sha256Hex } from './hashing.js';
import { advance, DAY_MS, enqueueJob, findEnvelope, listRecipients, lockEnvelope, moveEnvelope, resolveTimers, revokeAllLinks } from './internal.js';
import { sendInvitations, notifyEnded } from './invitations.js';
import { PAGE_IMAGES_KIND } from './page-images.js';
import { isEnvelopeFinal } from './states.js';

export const ZRecipientInput = z.object({
  role: z.enum(['signer', 'approver', 'viewer']).default('signer'),
  party: z.enum(['company', 'client']),
  /** Omitted: Bitrix24.Sign's order, the company first (1), then the client (2). */
  order: z.number().int().min(1).max(100).optional(),
  name: z.string().trim().min(1).max(200),
  /** Optional only for a company-side employee (b24UserId): they sign inside Bitrix24 (recipient-reach.ts). */
  email: z.email().max(320).optional(),
  phone: z.string().trim().max(40).optional(),
  b24UserId: z.number().int().positive().optional(),
  /** The employee's PERSONAL_GENDER ('M' | 'F'), when Bitrix24 knows it: Russian texts agree with it. */
  gender: z.enum(['M', 'F']).optional(),
  crmContactId: z.number().int().positive().optional(),
}).refine((r) => r.email || reachedInPortal(r), {
  path: ['email'],
  message: 'an e-mail address is needed, unless the recipient is a Bitrix24 employee on the company side (b24UserId), who signs inside Bitrix24',
});
export type RecipientInput = z.input<typeof ZRecipientInput>;

export const ZTimers = z.object({
  reminderFirstDays: z.number().int().min(1).max(90).optional(),
  reminderEveryDays: z.number().int().min(1).max(90).optional(),
  reminderMax: z.number().int().min(0).max(20).optional(),
  expiryDays: z.number().int().min(1).max(365).optional(),
});

export const ZField = z.object({
  key: z.string().min(1).max(100),
  type: z.enum(['text', 'multiline', 'number', 'money', 'date', 'checkbox', 'signature', 'initials', 'stamp']),
  label: z.string().max(200).optional(),
  page: z.number().int().min(0),
  box: z.object({ x: z.number(), y: z.number(), w: z.number().positive(), h: z.number().positive() }),
  party: z.enum(['company', 'client', 'sender']),
  required: z.boolean().default(true),
  recipientId: z.string().optional(),
  defaultValue: z.string().max(5000).optional(),
});

export interface CreateEnvelopeInput {
  portalId: string;
  userId?: number;
  title: string;
  lang: EnvelopeLang;
  /** The PDF recipients see (sender values already rendered into it). */
  pdf: Uint8Array;
  fields: EnvelopeField[];
  templateId?: string;
  crm?: { entityTypeId: number; entityId: number };
  recipients?: RecipientInput[];
  timers?: z.infer<typeof ZTimers>;
  who: Actor;
  /** The sending company's name, for invitations (the CRM's "my company"). */
  senderCompany?: string;
}

/** Short, unambiguous, printed on every page: `B24S-7KQM-2XRD-93HF`. */
export function newPublicId(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const chars = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  return `B24S-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

export async function createEnvelope(services: Services, input: CreateEnvelopeInput): Promise<Envelope> {
  const { db, clock, ids } = services;
  const now = clock.now();
  const fields = input.fields.map((f) => ZField.parse(f) as EnvelopeField);
  refuseOverlaps(fields, input.lang);
  const keys = new Set<string>();
  for (const f of fields) {
    if (keys.has(f.key)) throw new AppError('VALIDATION_FAILED', `Field key "${f.key}" appears twice.`);
    keys.add(f.key);
  }
  const timers = await resolveTimers(db, input.portalId, input.timers ?? {});
  const sourcePdfKey = await saveBlob(services, { portalId: input.portalId, kind: 'source', bytes: input.pdf, contentType: 'application/pdf' });
  const envelope = await db.transaction(async (tx) => {
    const [e] = await tx
      .insert(envelopes)
      .values({
        id: ids.newId('env'),
        portalId: input.portalId,
        crmEntityTypeId: input.crm?.entityTypeId,
        crmEntityId: input.crm?.entityId,
        templateId: input.templateId,
        title: input.title,
        lang: input.lang,
        status: 'draft',
        fields,
        sourcePdfKey,
        sourceSha256: await sha256Hex(input.pdf),
        timers,
        publicId: newPublicId(),
        createdByUserId: input.userId,
        senderCompany: input.senderCompany?.trim() || null,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await appendAudit(tx, { portalId: input.portalId, envelopeId: e!.id, type: 'created', who: input.who, at: now, data: { title: input.title, sourceSha256: e!.sourceSha256, templateId: input.templateId ?? null } });
    // CRM/sender values are part of the source PDF already; keep them as field values for the record.
    const senderValues = fields.filter((f) => f.party === 'sender' && f.defaultValue !== undefined);
    if (senderValues.length) {
      await tx.insert(fieldValues).values(senderValues.map((f) => ({ id: ids.newId('fld'), portalId: input.portalId, envelopeId: e!.id, fieldKey: f.key, value: f.defaultValue!, filledAt: now })));
    }
    if (input.recipients?.length) await replaceRecipients(tx, services, e!, input.recipients, input.who);
    return e!;
  });
  return envelope;
}

async function replaceRecipients(tx: DbOrTx, services: Services, env: Envelope, list: RecipientInput[], who: Actor): Promise<Recipient[]> {
  const parsed = list.map((r) => ZRecipientInput.parse(r));
  if (!parsed.some((r) => r.role === 'signer')) throw new AppError('VALIDATION_FAILED', 'An envelope needs at least one signer.');
  await tx.delete(recipients).where(and(eq(recipients.portalId, env.portalId), eq(recipients.envelopeId, env.id)));
  const now = services.clock.now();
  const rows: NewRecipient[] = parsed.map((r, i) => ({
    id: services.ids.newId('rcp'),
    portalId: env.portalId,
    envelopeId: env.id,
    role: r.role,
    party: r.party,
    // Viewers act after everyone: they only receive the final copy.
    signOrder: r.order ?? (r.role === 'viewer' ? 100 : r.party === 'company' ? 1 : 2),
    name: r.name,
    email: r.email?.toLowerCase() ?? null,
    phone: r.phone,
    b24UserId: r.b24UserId,
    gender: r.b24UserId ? (r.gender ?? null) : null,
    crmContactId: r.crmContactId,
    // Keeps the caller's order among equals: createdAt breaks ties in listRecipients.
    createdAt: new Date(now.getTime() + i),
  }));
  const inserted = await tx.insert(recipients).values(rows).returning();
  await appendAudit(tx, {
    portalId: env.portalId,
    envelopeId: env.id,
    type: 'recipients_set',
    who,
    at: now,
    data: { recipients: inserted.map((r) => ({ id: r.id, role: r.role, party: r.party, order: r.signOrder, name: r.name, email: r.email })) },
  });
  return inserted;
}

export async function setRecipients(services: Services, p: { portalId: string; envelopeId: string; recipients: RecipientInput[]; who: Actor }): Promise<Recipient[]> {
  return services.db.transaction(async (tx) => {
    const env = await lockEnvelope(tx, p.portalId, p.envelopeId);
    if (env.status !== 'draft') throw new AppError('ILLEGAL_TRANSITION', 'Recipients can only be changed while the envelope is a draft.', { entity: 'envelope', from: env.status, to: env.status });
    return replaceRecipients(tx, services, env, p.recipients, p.who);
  });
}

/** Which recipient fills a field: the pinned one, or the first signer of the field's party. */
export function fieldOwner(f: EnvelopeField, rs: Recipient[]): Recipient | undefined {
  if (f.party === 'sender') return undefined;
  if (f.recipientId) return rs.find((r) => r.id === f.recipientId);
  return rs.find((r) => r.role === 'signer' && r.party === f.party);
}

export async function sendEnvelope(services: Services, p: { portalId: string; envelopeId: string; who: Actor }): Promise<Envelope> {
  const now = services.clock.now();
  const { envelope, invite } = await services.db.transaction(async (tx) => {
    const env = await lockEnvelope(tx, p.portalId, p.envelopeId);
    const rs = await listRecipients(tx, p.portalId, p.envelopeId);
    if (env.status === 'draft') {
      if (!rs.some((r) => r.role === 'signer')) throw new AppError('VALIDATION_FAILED', 'Add at least one signer before sending.');
      for (const f of env.fields) {
        if (f.party === 'sender') continue;
        const owner = fieldOwner(f, rs);
        if (!owner) throw new AppError('VALIDATION_FAILED', `Field "${f.label ?? f.key}" belongs to the ${f.party} party, which has no signer.`);
        if (owner.role !== 'signer' && ['signature', 'initials', 'stamp'].includes(f.type)) throw new AppError('VALIDATION_FAILED', `Field "${f.label ?? f.key}" needs a signer.`);
      }
    }
    const expiresAt = new Date(now.getTime() + env.timers.expiryDays * DAY_MS);
    const sent = await moveEnvelope(tx, env, 'sent', { sentAt: now, expiresAt });
    await appendAudit(tx, { portalId: p.portalId, envelopeId: env.id, type: 'sent', who: p.who, at: now, data: { expiresAt: expiresAt.toISOString() } });
    await enqueueJob(tx, { kind: 'signing.expire', portalId: p.portalId, payload: { envelopeId: env.id }, dedupeKey: `signing.expire:${env.id}`, runAt: expiresAt });
    // The signing page's document images, made once (src/signing/page-images.ts); a resend of a running envelope has them.
    if (env.status === 'draft') await enqueueJob(tx, { kind: PAGE_IMAGES_KIND, portalId: p.portalId, payload: { envelopeId: env.id }, dedupeKey: `${PAGE_IMAGES_KIND}:${env.id}`, runAt: now });
    if (env.timers.reminderMax > 0) {
      await enqueueJob(tx, { kind: 'signing.remind', portalId: p.portalId, payload: { envelopeId: env.id, n: 1 }, dedupeKey: `signing.remind:${env.id}:1`, runAt: new Date(now.getTime() + env.timers.reminderFirstDays * DAY_MS) });
    }
    return advance(tx, services, sent, p.who);
  });
  await sendInvitations(services, envelope, invite, 'invitation');
  return envelope;
}

/** A fresh link for a recipient whose turn it is; earlier links stop working. */
export async function resendInvitation(services: Services, p: { portalId: string; envelopeId: string; recipientId: string; who: Actor }): Promise<void> {
  const now = services.clock.now();
  const { env, r } = await services.db.transaction(async (tx) => {
    const env = await lockEnvelope(tx, p.portalId, p.envelopeId);
    if (env.status !== 'sent' && env.status !== 'in_progress') throw new AppError('ILLEGAL_TRANSITION', 'Only an envelope out for signing can be resent.', { entity: 'envelope', from: env.status, to: env.status });
    const rs = await listRecipients(tx, p.portalId, p.envelopeId);
    const r = rs.find((x) => x.id === p.recipientId);
    if (!r) throw new AppError('NOT_FOUND', 'No such recipient.');
    if (!['invited', 'opened', 'verified'].includes(r.status)) throw new AppError('ILLEGAL_TRANSITION', `A recipient who is "${r.status}" cannot be sent the invitation again.`, { entity: 'recipient', from: r.status, to: r.status });
    const [u] = await tx.update(recipients).set({ tokenVersion: r.tokenVersion + 1 }).where(and(eq(recipients.portalId, p.portalId), eq(recipients.id, r.id))).returning();
    await appendAudit(tx, { portalId: p.portalId, envelopeId: env.id, type: 'resent', who: p.who, at: now, data: { recipientId: r.id } });
    return { env, r: u! };
  });
  await sendInvitations(services, env, [r], 'invitation');
}

/** Fixes a mistyped address: allowed until the recipient opens the document. */
export async function changeRecipientEmail(services: Services, p: { portalId: string; envelopeId: string; recipientId: string; email: string; who: Actor }): Promise<Recipient> {
  const email = z.email().parse(p.email).toLowerCase();
  const now = services.clock.now();
  const { env, r } = await services.db.transaction(async (tx) => {
    const env = await lockEnvelope(tx, p.portalId, p.envelopeId);
    if (isEnvelopeFinal(env.status)) throw new AppError('ILLEGAL_TRANSITION', 'The envelope has ended.', { entity: 'envelope', from: env.status, to: env.status });
    const [r] = await tx.select().from(recipients).where(and(eq(recipients.portalId, p.portalId), eq(recipients.envelopeId, env.id), eq(recipients.id, p.recipientId)));
    if (!r) throw new AppError('NOT_FOUND', 'No such recipient.');
    if (r.status !== 'waiting' && r.status !== 'invited') throw new AppError('ILLEGAL_TRANSITION', 'The e-mail can only be changed before the recipient opens the document.', { entity: 'recipient', from: r.status, to: r.status });
    const [u] = await tx
      .update(recipients)
      .set({ email, tokenVersion: r.tokenVersion + 1, otpHash: null, otpExpiresAt: null })
      .where(and(eq(recipients.portalId, p.portalId), eq(recipients.id, r.id)))
      .returning();
    await appendAudit(tx, { portalId: p.portalId, envelopeId: env.id, type: 'email_changed', who: p.who, at: now, data: { recipientId: r.id, from: r.email, to: email } });
    return { env, r: u! };
  });
  if (r.status === 'invited') await sendInvitations(services, env, [r], 'invitation');
  return r;
}

export async function voidEnvelope(services: Services, p: { portalId: string; envelopeId: string; reason: string; who: Actor }): Promise<Envelope> {
  const reason = p.reason.trim();
  if (reason.length < 3) throw new AppError('VALIDATION_FAILED', 'Give a reason for voiding (at least 3 characters).');
  const now = services.clock.now();
  const env = await services.db.transaction(async (tx) => {
    const env = await lockEnvelope(tx, p.portalId, p.envelopeId);
    const voided = await moveEnvelope(tx, env, 'voided', { endedAt: now, endReason: reason });
    await appendAudit(tx, { portalId: p.portalId, envelopeId: env.id, type: 'voided', who: p.who, at: now, data: { reason } });
    await revokeAllLinks(tx, p.portalId, env.id);
    return voided;
  });
  await notifyEnded(services, env, 'voided', reason);
  return env;
}

export async function getEnvelope(db: DbOrTx, p: { portalId: string; envelopeId: string }) {
  const env = await findEnvelope(db, p.portalId, p.envelopeId);
  const rs = await listRecipients(db, p.portalId, p.envelopeId);
  return { envelope: env, recipients: rs };
}

export async function listEnvelopes(db: DbOrTx, p: { portalId: string; crm?: { entityTypeId: number; entityId: number }; limit?: number }) {
  const where = p.crm
    ? and(eq(envelopes.portalId, p.portalId), eq(envelopes.crmEntityTypeId, p.crm.entityTypeId), eq(envelopes.crmEntityId, p.crm.entityId))
    : eq(envelopes.portalId, p.portalId);
  const list = await db
    .select({
      id: envelopes.id,
      title: envelopes.title,
      status: envelopes.status,
      lang: envelopes.lang,
      publicId: envelopes.publicId,
      crmEntityTypeId: envelopes.crmEntityTypeId,
      crmEntityId: envelopes.crmEntityId,
      createdAt: envelopes.createdAt,
      sentAt: envelopes.sentAt,
      completedAt: envelopes.completedAt,
      expiresAt: envelopes.expiresAt,
      sealedSha256: envelopes.sealedSha256,
    })
    .from(envelopes)
    .where(where)
    .orderBy(desc(envelopes.createdAt))
    .limit(Math.min(p.limit ?? 50, 200));
  const rs = list.length
    ? await db.select().from(recipients).where(and(eq(recipients.portalId, p.portalId), inArray(recipients.envelopeId, list.map((e) => e.id))))
    : [];
  return list.map((e) => ({ ...e, recipients: rs.filter((r) => r.envelopeId === e.id).sort((a, b) => a.signOrder - b.signOrder) }));
}

