import { and, asc, eq, inArray } from 'drizzle-orm';
import { loadBlob } from '../blobs/blobs.js';
import { envelopes, type Envelope } from '../db/schema/envelopes.js';
import { fieldValues } from '../db/schema/field-values.js';
import { recipients, type Recipient, type SignatureMethod } from '../db/schema/recipients.js';
import { AppError } from '../lib/app-error.js';
import { findPortal } from '../portals/store.js';
import type { Services } from '../services.js';
import { completeFor, declineFor, fieldsOf, markOpenedFor, requireActive, signerContext, type PortalSigner, type RequestMeta, type SignerContext } from './flow.js';
import { stampNeed } from './stamp-rule.js';

/**
 * In-portal signing (issue 17 item 1): an employee named as a recipient by their Bitrix24 user id
 * signs inside the portal. Who they are comes from the verified Bitrix24 frame (member_id → our portal,
 * `profile` → the user id), so no e-mail and no one-time code: the frame stands in for the code, and the
 * `signed` event records "signed in Bitrix24 as user N (name), portal P". The signing itself is the
 * signing page's (`completeFor` in flow.ts): values, signature, stamp and the status change land the
 * same way. The e-mail link keeps working for the same recipient, for when they are outside the portal.
 */

/** The person at the keyboard, as the frame session says (the door passes it; nothing from the request body). */
export interface PortalUser {
  portalId: string;
  userId: number;
  name?: string;
}

const MARKS = new Set(['signature', 'initials', 'stamp']);
/** One confirmation signs at most this many documents. */
export const MAX_BATCH = 25;

/** One document waiting for this user, as the page lists it. */
export interface WaitingDocument {
  envelopeId: string;
  title: string;
  role: Recipient['role'];
  /** Opened in full at least once (by any route: the e-mail link counts too). */
  opened: boolean;
  stamp: ReturnType<typeof stampNeed>;
  /** Data fields this user fills, with what is already there. */
  fields: { key: string; type: string; label: string; required: boolean; value: string }[];
  sentAt: string | null;
}

const notYours = () =>
  new AppError('FORBIDDEN', 'This document was sent to another Bitrix24 user; only the person it names can sign it here.', { reason: 'not_recipient' });

/**
 * The recipient of `envelopeId` this user is, within the session's portal only: another portal's
 * envelope is a 404, an envelope of this portal that names someone else is a 403.
 */
export async function contextFor(services: Services, u: PortalUser, envelopeId: string): Promise<SignerContext> {
  const [env] = await services.db
    .select({ id: envelopes.id })
    .from(envelopes)
    .where(and(eq(envelopes.portalId, u.portalId), eq(envelopes.id, envelopeId)));
  if (!env) throw new AppError('NOT_FOUND', 'No such document.');
  const mine = await services.db
    .select()
    .from(recipients)
    .where(and(eq(recipients.portalId, u.portalId), eq(recipients.envelopeId, envelopeId), eq(recipients.b24UserId, u.userId)))
    .orderBy(asc(recipients.signOrder));
  if (!mine.length) throw notYours();
  // The same person may appear twice (approver, then signer): the one whose turn it is comes first.
  let first: SignerContext | undefined;
  for (const r of mine) {
    const ctx = await signerContext(services, { portalId: u.portalId, envelopeId, recipientId: r.id, version: r.tokenVersion, expired: false });
    if (ctx.state === 'active') return ctx;
    first ??= ctx;
  }
  return first!;
}

function describe(ctx: SignerContext, filled: { envelopeId: string; fieldKey: string; value: string }[]): WaitingDocument {
  const { envelope: env, recipient: r, all } = ctx;
  const mine = fieldsOf(env, all, r);
  return {
    envelopeId: env.id,
    title: env.title,
    role: r.role,
    opened: r.status !== 'invited',
    stamp: stampNeed(r.role, mine),
    fields: mine
      .filter((f) => !MARKS.has(f.type))
      .map((f) => ({
        key: f.key,
        type: f.type,
        label: f.label ?? f.key,
        required: f.required,
        value: filled.find((v) => v.envelopeId === env.id && v.fieldKey === f.key)?.value ?? f.defaultValue ?? '',
      })),
    sentAt: env.sentAt?.toISOString() ?? null,
  };
}

/** Every document of this portal whose turn it is for this user, oldest first. */
export async function documentsToSign(services: Services, u: PortalUser): Promise<WaitingDocument[]> {
  const rows = await services.db
    .select({ envelopeId: recipients.envelopeId, recipientId: recipients.id, version: recipients.tokenVersion })
    .from(recipients)
    .innerJoin(envelopes, and(eq(envelopes.portalId, recipients.portalId), eq(envelopes.id, recipients.envelopeId)))
    .where(
      and(
        eq(recipients.portalId, u.portalId),
        eq(recipients.b24UserId, u.userId),
        inArray(recipients.status, ['invited', 'opened', 'verified']),
        inArray(envelopes.status, ['sent', 'in_progress']),
      ),
    )
    .orderBy(asc(envelopes.sentAt), asc(envelopes.id))
    .limit(200);
  const active: SignerContext[] = [];
  for (const row of rows) {
    const ctx = await signerContext(services, { portalId: u.portalId, envelopeId: row.envelopeId, recipientId: row.recipientId, version: row.version, expired: false });
    if (ctx.state === 'active' && !active.some((a) => a.envelope.id === ctx.envelope.id)) active.push(ctx);
  }
  if (!active.length) return [];
  const filled = await services.db
    .select({ envelopeId: fieldValues.envelopeId, fieldKey: fieldValues.fieldKey, value: fieldValues.value })
    .from(fieldValues)
    .where(and(eq(fieldValues.portalId, u.portalId), inArray(fieldValues.envelopeId, active.map((c) => c.envelope.id))));
  return active.map((c) => describe(c, filled));
}

/** The document this user may open here: its PDF as sent. */
export async function documentSource(services: Services, u: PortalUser, envelopeId: string): Promise<Uint8Array> {
  const ctx = await contextFor(services, u, envelopeId);
  if (ctx.state !== 'active' && ctx.state !== 'done') throw new AppError('GONE', 'This document can no longer be opened here.', { state: ctx.state });
  if (!ctx.envelope.sourcePdfKey) throw new AppError('NOT_FOUND', 'No document.');
  return loadBlob(services, { portalId: u.portalId, key: ctx.envelope.sourcePdfKey });
}

async function portalSigner(services: Services, u: PortalUser, review: PortalSigner['review']): Promise<PortalSigner> {
  const portal = await findPortal(services.db, u.portalId);
  if (!portal) throw new AppError('UNAUTHORIZED', 'The app is no longer installed on this portal.');
  return { userId: u.userId, name: (u.name ?? '').slice(0, 200), memberId: portal.memberId, domain: portal.domain, review };
}

/** The whole document was shown: the first time, recipient `opened` with who (user and portal) in the event. */
export async function openInPortal(services: Services, u: PortalUser, envelopeId: string, meta: RequestMeta): Promise<{ status: Recipient['status'] }> {
  const ctx = await contextFor(services, u, envelopeId);
  const { userId, memberId } = await portalSigner(services, u, 'opened');
  const out = await markOpenedFor(services, ctx, meta, { inPortal: { userId, memberId } });
  return { status: out.recipient.status };
}

/** Declines one document from the portal: the signing page's decline, the event naming the Bitrix24 user. */
export async function declineInPortal(services: Services, u: PortalUser, envelopeId: string, reason: string, meta: RequestMeta): Promise<void> {
  const ctx = await contextFor(services, u, envelopeId);
  const { userId, name, memberId, domain } = await portalSigner(services, u, 'opened');
  await declineFor(services, ctx, reason, meta, { inPortal: { userId, name, memberId, domain } });
}

export interface BatchSignInput {
  items: { envelopeId: string; values: Record<string, string>; review: PortalSigner['review']; acknowledged?: boolean }[];
  signature?: { method: SignatureMethod; text?: string; image?: Uint8Array };
  stamp?: Uint8Array;
  acceptTerms: boolean;
}

export type BatchResult = { envelopeId: string; ok: true; envelopeStatus: string } | { envelopeId: string; ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

/**
 * One confirmation for several documents: everything that can be refused is checked for every document
 * before the first is signed (each opened in full or explicitly acknowledged, its required fields, the
 * signature, a required stamp), so a refusal signs nothing. Then each is signed in its own transaction,
 * one `signed` (or `approved`) event per document; a document that changed meanwhile (voided, resent)
 * is reported on its own and the others still count.
 */
export async function signInPortal(services: Services, u: PortalUser, input: BatchSignInput, meta: RequestMeta): Promise<{ results: BatchResult[] }> {
  if (!input.items.length) throw new AppError('VALIDATION_FAILED', 'Choose at least one document to sign.', { field: 'items' });
  if (input.items.length > MAX_BATCH) throw new AppError('VALIDATION_FAILED', `Sign at most ${MAX_BATCH} documents at once.`, { field: 'items' });
  if (new Set(input.items.map((i) => i.envelopeId)).size !== input.items.length) throw new AppError('VALIDATION_FAILED', 'A document is listed twice.', { field: 'items' });
  if (!input.acceptTerms) throw new AppError('VALIDATION_FAILED', 'Accept the terms to continue.', { field: 'acceptTerms' });

  const planned: { ctx: SignerContext; item: BatchSignInput['items'][number] }[] = [];
  for (const item of input.items) {
    const ctx = await contextFor(services, u, item.envelopeId);
    requireActive(ctx);
    const at = { envelopeId: item.envelopeId };
    if (item.review === 'opened' && ctx.recipient.status === 'invited') {
      throw new AppError('VALIDATION_FAILED', `Open "${ctx.envelope.title}" before signing it, or confirm you have read it.`, { field: 'review', ...at });
    }
    if (item.review === 'acknowledged' && item.acknowledged !== true) {
      throw new AppError('VALIDATION_FAILED', `Confirm you have read "${ctx.envelope.title}".`, { field: 'review', ...at });
    }
    const mine = fieldsOf(ctx.envelope, ctx.all, ctx.recipient);
    if (ctx.recipient.role === 'signer') {
      if (!input.signature) throw new AppError('VALIDATION_FAILED', 'Add your signature.', { field: 'signature' });
      if (stampNeed(ctx.recipient.role, mine) === 'required' && !input.stamp) throw new AppError('VALIDATION_FAILED', 'Upload your company stamp.', { field: 'stamp', ...at });
    }
    planned.push({ ctx, item });
  }
  await checkRequiredFields(services, u.portalId, planned);

  const results: BatchResult[] = [];
  for (const { ctx, item } of planned) {
    const mine = fieldsOf(ctx.envelope, ctx.all, ctx.recipient);
    const signer = ctx.recipient.role === 'signer';
    try {
      const out = await completeFor(
        services,
        ctx,
        {
          values: item.values,
          signature: signer ? input.signature : undefined,
          // The stamp goes only where the document has a place for it (the same rule as the signing page).
          stamp: signer && stampNeed(ctx.recipient.role, mine) !== 'none' ? input.stamp : undefined,
          acceptTerms: true,
        },
        meta,
        await portalSigner(services, u, item.review),
      );
      results.push({ envelopeId: ctx.envelope.id, ok: true, envelopeStatus: out.envelopeStatus });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      results.push({ envelopeId: ctx.envelope.id, ok: false, error: { code: e.code, message: e.message, ...(e.details ? { details: e.details as Record<string, unknown> } : {}) } });
    }
  }
  return { results };
}

/** Required data fields: submitted, filled before, or pre-filled; checked for all documents before any is signed. */
async function checkRequiredFields(services: Services, portalId: string, planned: { ctx: SignerContext; item: BatchSignInput['items'][number] }[]) {
  const ids = planned.map((p) => p.ctx.envelope.id);
  const filled = await services.db
    .select({ envelopeId: fieldValues.envelopeId, fieldKey: fieldValues.fieldKey, value: fieldValues.value })
    .from(fieldValues)
    .where(and(eq(fieldValues.portalId, portalId), inArray(fieldValues.envelopeId, ids)));
  for (const { ctx, item } of planned) {
    for (const f of fieldsOf(ctx.envelope as Envelope, ctx.all, ctx.recipient)) {
      if (MARKS.has(f.type) || !f.required) continue;
      const v = item.values[f.key] ?? filled.find((x) => x.envelopeId === ctx.envelope.id && x.fieldKey === f.key)?.value ?? f.defaultValue ?? '';
      if (!v.trim()) throw new AppError('VALIDATION_FAILED', `Fill in "${f.label ?? f.key}" in "${ctx.envelope.title}".`, { field: f.key, envelopeId: ctx.envelope.id });
    }
  }
}
