import { and, eq } from 'drizzle-orm';
import { findPortal } from '../portals/store.js';
import { inPortalSignLink } from './in-portal-link.js';
import type { Envelope, EnvelopeField } from '../db/schema/envelopes.js';
import { fieldValues } from '../db/schema/field-values.js';
import { recipients, type Recipient, type SignatureMethod } from '../db/schema/recipients.js';
import { AppError } from '../lib/app-error.js';
import { deliver } from '../notify/deliver.js';
import type { Services } from '../services.js';
import { appendAudit, type Actor } from './audit.js';
import { fieldOwner } from './envelopes.js';
import { advance, findEnvelope, isDone, isTheirTurn, listRecipients, lockEnvelope, moveEnvelope, moveRecipient, revokeAllLinks } from './internal.js';
import { notifyEnded, sendInvitations } from './invitations.js';
import { failuresSoFar, generateOtp, hashOtp, lockAfter, OTP, otpMatches } from './otp.js';
import { stampNeed } from './stamp-rule.js';
import { checkImageDimensions } from './image-size.js';
import { isEnvelopeFinal } from './states.js';
import { isShortLinkId, resolveShortLink } from './short-links.js';
import { issueActionToken, verifyActionToken, verifySignerToken, type SignerClaims } from './tokens.js';

/** What a signer link leads to; the page renders one view per state, never an error for an ended envelope. */
export type SignerState =
  | 'active' // it is this recipient's turn
  | 'not_your_turn' // earlier order numbers are still signing
  | 'done' // this recipient finished; others still signing
  | 'ended' // envelope completed, declined, expired or voided
  | 'revoked' // a newer link replaced this one
  | 'link_expired';

export interface SignerContext {
  claims: SignerClaims;
  envelope: Envelope;
  recipient: Recipient;
  all: Recipient[];
  state: SignerState;
}

export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
}

const actorOf = (r: Recipient, m: RequestMeta): Actor => ({ actor: `recipient:${r.id}`, recipientId: r.id, ip: m.ip ?? null, userAgent: m.userAgent ?? null });

/**
 * Resolves a link token to its envelope and recipient. A signature that verifies but a version
 * that does not match means the link was revoked: the page then shows the envelope's outcome (if
 * it ended) or "use the newer link", and no action is possible with it.
 */
export async function resolveSigner(services: Services, token: string): Promise<SignerContext> {
  // Invitations carry a short id (src/signing/short-links.ts); a signed token still opens links sent before.
  const claims = isShortLinkId(token)
    ? await resolveShortLink(services.db, token, services.clock.now())
    : await verifySignerToken(services.config.sessionSecret, token, services.clock.now(), { allowExpired: true });
  return signerContext(services, claims);
}

/** The same reading for claims that did not come from a link (in-portal signing: src/signing/in-portal.ts). */
export async function signerContext(services: Services, claims: SignerClaims & { expired: boolean }): Promise<SignerContext> {
  const envelope = await findEnvelope(services.db, claims.portalId, claims.envelopeId).catch(() => {
    throw new AppError('UNAUTHORIZED', 'This signing link is not valid.');
  });
  const all = await listRecipients(services.db, claims.portalId, claims.envelopeId);
  const recipient = all.find((r) => r.id === claims.recipientId);
  if (!recipient) throw new AppError('UNAUTHORIZED', 'This signing link is not valid.');
  let state: SignerState;
  if (isEnvelopeFinal(envelope.status)) state = 'ended';
  else if (claims.expired) state = 'link_expired';
  else if (claims.version !== recipient.tokenVersion) state = 'revoked';
  else if (isDone(recipient)) state = 'done';
  else if (!isTheirTurn(all, recipient) || recipient.status === 'waiting') state = 'not_your_turn';
  else state = 'active';
  return { claims, envelope, recipient, all, state };
}

/** Refuses anything but an active link, with a code the page can explain. */
export function requireActive(ctx: SignerContext): void {
  switch (ctx.state) {
    case 'active':
      return;
    case 'not_your_turn':
      throw new AppError('NOT_YOUR_TURN', 'It is not your turn to sign yet; we will e-mail you when it is.');
    case 'done':
      throw new AppError('ILLEGAL_TRANSITION', 'You have already completed your part.', { entity: 'recipient', from: ctx.recipient.status, to: ctx.recipient.status });
    case 'ended':
      throw new AppError('GONE', `This envelope is ${ctx.envelope.status}; nothing more can be done with it.`, { status: ctx.envelope.status });
    case 'revoked':
      throw new AppError('GONE', 'This link was replaced by a newer one. Use the latest invitation.');
    case 'link_expired':
      throw new AppError('GONE', 'This link has expired.');
  }
}

/**
 * Re-checks inside the transaction, under the envelope lock: a parallel void, decline or resend
 * that committed after `resolveSigner` must win.
 */
async function recheck(tx: Parameters<Parameters<Services['db']['transaction']>[0]>[0], ctx: SignerContext) {
  const env = await lockEnvelope(tx, ctx.claims.portalId, ctx.claims.envelopeId);
  const all = await listRecipients(tx, ctx.claims.portalId, ctx.claims.envelopeId);
  const r = all.find((x) => x.id === ctx.recipient.id)!;
  const fresh: SignerContext = { ...ctx, envelope: env, recipient: r, all };
  fresh.state = isEnvelopeFinal(env.status)
    ? 'ended'
    : ctx.claims.version !== r.tokenVersion
      ? 'revoked'
      : isDone(r)
        ? 'done'
        : !isTheirTurn(all, r) || r.status === 'waiting'
          ? 'not_your_turn'
          : 'active';
  requireActive(fresh);
  return fresh;
}

/** First view of the document (the page calls it from script, so mail scanners prefetching links do not count). */
export async function markOpened(services: Services, token: string, meta: RequestMeta): Promise<SignerContext> {
  return markOpenedFor(services, await resolveSigner(services, token), meta);
}

/** `markOpened` for a context already resolved; `data` joins the `opened` event (how the document was reached). */
export async function markOpenedFor(services: Services, ctx: SignerContext, meta: RequestMeta, data?: Record<string, unknown>): Promise<SignerContext> {
  requireActive(ctx);
  if (ctx.recipient.status !== 'invited') return ctx;
  const now = services.clock.now();
  return services.db.transaction(async (tx) => {
    const c = await recheck(tx, ctx);
    if (c.recipient.status !== 'invited') return c;
    const r = await moveRecipient(tx, c.recipient, 'opened', { openedAt: now });
    await appendAudit(tx, { portalId: c.envelope.portalId, envelopeId: c.envelope.id, type: 'opened', who: actorOf(r, meta), at: now, ...(data ? { data } : {}) });
    return { ...c, recipient: r };
  });
}

export async function requestCode(services: Services, token: string, meta: RequestMeta): Promise<{ sentTo: string; resendAfterSeconds: number; expiresInSeconds: number }> {
  await markOpened(services, token, meta);
  const ctx = await resolveSigner(services, token);
  if (!ctx.recipient.email) throw await signInBitrix24(services, ctx);
  const now = services.clock.now();
  const code = generateOtp();
  const { r, env } = await services.db.transaction(async (tx) => {
    const c = await recheck(tx, ctx);
    const r = c.recipient;
    // A verified recipient may ask again (a reloaded page has lost its action token); the new code
    // is checked like any other, and the lock below still holds.
    if (r.otpLockedUntil && r.otpLockedUntil > now) throw lockedError(r.otpLockedUntil, now);
    if (r.otpSentAt && now.getTime() - r.otpSentAt.getTime() < OTP.resendCooldownMs) {
      throw new AppError('RATE_LIMITED', 'A code was sent a moment ago; wait before asking for another.', {
        retryAfterSeconds: Math.ceil((OTP.resendCooldownMs - (now.getTime() - r.otpSentAt.getTime())) / 1000),
      });
    }
    const [u] = await tx
      .update(recipients)
      // The wrong-code count is left alone: a new code must not buy new guesses.
      .set({ otpHash: await hashOtp(services.config.sessionSecret, r.id, code), otpExpiresAt: new Date(now.getTime() + OTP.ttlMs), otpSentAt: now })
      .where(and(eq(recipients.portalId, r.portalId), eq(recipients.id, r.id)))
      .returning();
    await appendAudit(tx, { portalId: r.portalId, envelopeId: r.envelopeId, type: 'code_sent', who: actorOf(r, meta), at: now, data: { channel: 'email' } });
    return { r: u!, env: c.envelope };
  });
  await deliver(services, {
    portalId: env.portalId,
    envelopeId: env.id,
    recipientId: r.id,
    lang: env.lang,
    template: 'code',
    vars: { recipientName: r.name, title: env.title, code, minutes: OTP.ttlMs / 60_000 },
    email: r.email!,
  });
  return { sentTo: maskEmail(r.email!), resendAfterSeconds: OTP.resendCooldownMs / 1000, expiresInSeconds: OTP.ttlMs / 1000 };
}

/**
 * An employee without an e-mail (the robot's company signer whose profile has none) proves who they are
 * inside Bitrix24 instead (src/signing/in-portal.ts): the refusal carries the deep link that opens it there.
 */
export async function signInBitrix24(services: Services, c: SignerContext): Promise<AppError> {
  const inPortalUrl = await inPortalUrlOf(services, c.envelope);
  return new AppError('SIGN_IN_BITRIX24', 'You sign this document inside Bitrix24, where you are signed in already: no code is needed.', inPortalUrl ? { inPortalUrl } : undefined);
}

/** The deep link that opens this document in the app inside its portal (undefined when the portal is gone). */
export async function inPortalUrlOf(services: Services, env: Pick<Envelope, 'portalId' | 'id'>): Promise<string | undefined> {
  const portal = await findPortal(services.db, env.portalId);
  return portal?.domain ? inPortalSignLink(services.config, portal.domain, env.id).url : undefined;
}

export function maskEmail(e: string): string {
  const [user = '', domain = ''] = e.split('@');
  return `${user.slice(0, 2)}${'•'.repeat(Math.max(1, user.length - 2))}@${domain}`;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: AppError };

const lockedError = (until: Date, now: Date) =>
  new AppError('CODE_LOCKED', 'Too many wrong codes. Ask for a new code later.', { retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000) });

/**
 * Checks a code, whatever the recipient's status: a verified recipient gets a new action token only
 * with a right code. Every attempt lands in the audit chain: `code_verified`, or `code_failed` with
 * why (wrong, expired, none sent, locked) and, for wrong codes, `code_locked` when a lock starts.
 */
export async function verifyCode(services: Services, token: string, code: string, meta: RequestMeta): Promise<{ actionToken: string }> {
  const ctx = await resolveSigner(services, token);
  requireActive(ctx);
  const now = services.clock.now();
  const secret = services.config.sessionSecret;
  // Failures are committed, then thrown: a rolled-back attempt counter would make lock-out useless.
  const outcome: Outcome<Recipient> = await services.db.transaction(async (tx) => {
    const c = await recheck(tx, ctx);
    const r = c.recipient;
    const base = { portalId: r.portalId, envelopeId: r.envelopeId, who: actorOf(r, meta), at: now };
    const refuse = async (reason: string, error: AppError): Promise<Outcome<Recipient>> => {
      await appendAudit(tx, { ...base, type: 'code_failed', data: { reason } });
      return { ok: false, error };
    };
    if (r.otpLockedUntil && r.otpLockedUntil > now) return refuse('locked', lockedError(r.otpLockedUntil, now));
    if (!r.otpHash) return refuse('no_code', new AppError('CODE_EXPIRED', 'Ask for a code first.'));
    if (!r.otpExpiresAt || r.otpExpiresAt <= now) return refuse('expired', new AppError('CODE_EXPIRED', 'The code has expired. Ask for a new one.'));
    const where = and(eq(recipients.portalId, r.portalId), eq(recipients.id, r.id));
    if (await otpMatches(secret, r.id, code, r.otpHash)) {
      // Single use: the code is gone once it has been accepted.
      const cleared = { otpHash: null, otpExpiresAt: null, otpAttempts: 0, otpLastFailedAt: null, otpLockedUntil: null };
      const v = r.status === 'verified' ? (await tx.update(recipients).set(cleared).where(where).returning())[0]! : await moveRecipient(tx, r, 'verified', { verifiedAt: now, ...cleared });
      await appendAudit(tx, { ...base, type: 'code_verified', data: r.status === 'verified' ? { again: true } : {} });
      return { ok: true, value: v };
    }
    const attempts = failuresSoFar(r, now) + 1;
    const lockMs = lockAfter(attempts);
    if (lockMs !== undefined) {
      const until = new Date(now.getTime() + lockMs);
      await tx.update(recipients).set({ otpAttempts: attempts, otpLastFailedAt: now, otpHash: null, otpExpiresAt: null, otpLockedUntil: until }).where(where);
      await appendAudit(tx, { ...base, type: 'code_locked', data: { attempts, lockedSeconds: lockMs / 1000 } });
      return { ok: false, error: lockedError(until, now) };
    }
    await tx.update(recipients).set({ otpAttempts: attempts, otpLastFailedAt: now }).where(where);
    await appendAudit(tx, { ...base, type: 'code_failed', data: { reason: 'wrong', attempts } });
    return { ok: false, error: new AppError('CODE_INVALID', 'That code is not right.', { attemptsLeft: OTP.maxAttempts - (attempts % OTP.maxAttempts) }) };
  });
  if (!outcome.ok) throw outcome.error;
  return { actionToken: await issueActionToken(secret, ctx.claims, now) };
}

export interface SignInput {
  actionToken: string;
  values: Record<string, string>;
  signature?: { method: SignatureMethod; text?: string; image?: Uint8Array };
  stamp?: Uint8Array;
  acceptTerms: boolean;
}

const MAX_IMAGE_BYTES = 1_500_000;
export function imageKind(b: Uint8Array): 'png' | 'jpeg' | undefined {
  if (b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  return undefined;
}
function checkImage(b: Uint8Array | undefined, what: 'signature' | 'stamp'): void {
  if (!b) return;
  if (b.length > MAX_IMAGE_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', `The ${what} image is too large (max 1.5 MB).`);
  if (!imageKind(b)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `The ${what} must be a PNG or JPEG image.`);
  checkImageDimensions(b, what);
}

function validateValue(f: EnvelopeField, v: string): string {
  const s = v.trim();
  if (s.length > 5000) throw new AppError('VALIDATION_FAILED', `"${f.label ?? f.key}" is too long.`, { field: f.key });
  if (f.type === 'number' || f.type === 'money') {
    if (s && !/^-?\d[\d\s]*([.,]\d+)?$/.test(s)) throw new AppError('VALIDATION_FAILED', `"${f.label ?? f.key}" must be a number.`, { field: f.key });
  }
  if (f.type === 'date' && s && Number.isNaN(Date.parse(s))) throw new AppError('VALIDATION_FAILED', `"${f.label ?? f.key}" must be a date.`, { field: f.key });
  if (f.type === 'checkbox') return s === 'true' || s === 'on' || s === '1' ? 'true' : '';
  return s;
}

/** Fields this recipient fills, in page order (the page's "next field" guide walks them in this order). */
export function fieldsOf(env: Envelope, all: Recipient[], r: Recipient): EnvelopeField[] {
  return env.fields
    .filter((f) => fieldOwner(f, all)?.id === r.id)
    .sort((a, b) => a.page - b.page || b.box.y - a.box.y || a.box.x - b.box.x);
}

/** Signs or approves: values, signature and stamp land together with the status change. */
export async function complete(services: Services, token: string, input: SignInput, meta: RequestMeta): Promise<{ envelopeStatus: string }> {
  const ctx = await resolveSigner(services, token);
  requireActive(ctx);
  await verifyActionToken(services.config.sessionSecret, input.actionToken, services.clock.now(), ctx.claims);
  return completeFor(services, ctx, input, meta);
}

/**
 * Who signed inside Bitrix24 (src/signing/in-portal.ts): the verified frame's user stands in for the
 * one-time code. Recorded in the `signed`/`approved` event, and from there on the certificate.
 */
export interface PortalSigner {
  userId: number;
  name: string;
  memberId: string;
  domain: string;
  /** How this document was reviewed before the one confirmation: opened in full, or explicitly acknowledged. */
  review: 'opened' | 'acknowledged';
}

/**
 * The signing itself, for a context whose identity the caller has established: by the action token
 * (`complete`), or by the verified Bitrix24 frame (`inPortal`: the recipient is confirmed in the same
 * transaction, no code needed).
 */
export async function completeFor(services: Services, ctx: SignerContext, input: Omit<SignInput, 'actionToken'>, meta: RequestMeta, inPortal?: PortalSigner): Promise<{ envelopeStatus: string }> {
  requireActive(ctx);
  const now = services.clock.now();
  if (!input.acceptTerms) throw new AppError('VALIDATION_FAILED', 'Accept the terms to continue.', { field: 'acceptTerms' });
  checkImage(input.signature?.image, 'signature');
  checkImage(input.stamp, 'stamp');

  const { envelope, invite } = await services.db.transaction(async (tx) => {
    const c = await recheck(tx, ctx);
    let r = c.recipient;
    if (inPortal && r.status !== 'verified') {
      // The frame proved who this is: invited → opened (audited as any first view) → verified.
      if (r.status === 'invited') {
        r = await moveRecipient(tx, r, 'opened', { openedAt: now });
        await appendAudit(tx, { portalId: r.portalId, envelopeId: r.envelopeId, type: 'opened', who: actorOf(r, meta), at: now, data: { inPortal: { userId: inPortal.userId, memberId: inPortal.memberId }, review: inPortal.review } });
      }
      r = await moveRecipient(tx, r, 'verified', { verifiedAt: now });
    }
    if (r.status !== 'verified') throw new AppError('ILLEGAL_TRANSITION', 'Confirm your identity with the code first.', { entity: 'recipient', from: r.status, to: r.role === 'approver' ? 'approved' : 'signed' });
    const who = actorOf(r, meta);
    const mine = fieldsOf(c.envelope, c.all, r);
    const existing = await tx.select().from(fieldValues).where(and(eq(fieldValues.portalId, r.portalId), eq(fieldValues.envelopeId, r.envelopeId)));
    const unknown = Object.keys(input.values).filter((k) => !mine.some((f) => f.key === k));
    if (unknown.length) throw new AppError('FORBIDDEN', 'Some of these fields are not yours to fill.', { fields: unknown });

    const patch: Partial<Recipient> = { doneAt: now, signedIp: meta.ip ?? null, signedUserAgent: meta.userAgent ?? null };
    if (r.role === 'signer') {
      const sig = input.signature;
      if (!sig) throw new AppError('VALIDATION_FAILED', 'Add your signature.', { field: 'signature' });
      if (sig.method === 'typed') {
        const text = (sig.text ?? '').trim();
        if (text.length < 2 || text.length > 80) throw new AppError('VALIDATION_FAILED', 'Type your name to sign (2–80 characters).', { field: 'signature' });
        Object.assign(patch, { signatureMethod: 'typed', signatureText: text, signatureImage: null });
      } else {
        if (!sig.image) throw new AppError('VALIDATION_FAILED', 'Draw or upload your signature.', { field: 'signature' });
        Object.assign(patch, { signatureMethod: sig.method, signatureImage: sig.image, signatureText: null });
      }
      const stampAsked = stampNeed(r.role, mine);
      if (input.stamp) {
        if (stampAsked === 'none') throw new AppError('VALIDATION_FAILED', 'This document has no place for your stamp.', { field: 'stamp', reason: 'no_stamp_field' });
        patch.stampImage = input.stamp;
      } else if (stampAsked === 'required') throw new AppError('VALIDATION_FAILED', 'Upload your company stamp.', { field: 'stamp' });
    }

    // Data fields: submitted value, else what was filled before, else the pre-filled default.
    for (const f of mine) {
      if (['signature', 'initials', 'stamp'].includes(f.type)) continue;
      const submitted = input.values[f.key];
      const value = submitted !== undefined ? validateValue(f, submitted) : (existing.find((v) => v.fieldKey === f.key)?.value ?? f.defaultValue ?? '');
      if (f.required && !value) throw new AppError('VALIDATION_FAILED', `Fill in "${f.label ?? f.key}".`, { field: f.key });
      if (!value) continue;
      await tx
        .insert(fieldValues)
        .values({ id: services.ids.newId('fld'), portalId: r.portalId, envelopeId: r.envelopeId, fieldKey: f.key, recipientId: r.id, value, filledAt: now })
        .onConflictDoUpdate({ target: [fieldValues.envelopeId, fieldValues.fieldKey], set: { value, recipientId: r.id, filledAt: now } });
      await appendAudit(tx, { portalId: r.portalId, envelopeId: r.envelopeId, type: 'field_filled', who, at: now, data: { field: f.key, value } });
    }

    const to = r.role === 'approver' ? 'approved' : 'signed';
    const done = await moveRecipient(tx, r, to, patch);
    const sigHash = done.signatureImage ? await crypto.subtle.digest('SHA-256', done.signatureImage as BufferSource).then((b) => Buffer.from(b).toString('hex')) : undefined;
    await appendAudit(tx, { portalId: r.portalId, envelopeId: r.envelopeId, type: to, who, at: now, data: { method: done.signatureMethod ?? null, signatureSha256: sigHash ?? null, stamp: Boolean(done.stampImage), termsAccepted: true, ...(inPortal ? { inPortal } : {}) } });
    let env = c.envelope;
    if (env.status === 'sent') env = await moveEnvelope(tx, env, 'in_progress');
    return advance(tx, services, env, who);
  });
  await sendInvitations(services, envelope, invite, 'invitation');
  return { envelopeStatus: envelope.status };
}

/**
 * Declines through a signing link. Declining ends the envelope for every party, so it is confirmed
 * like signing: with the action token the one-time code gave (the in-portal page proves who it is
 * with the Bitrix24 frame instead and calls `declineFor`).
 */
export async function decline(services: Services, token: string, input: { actionToken: string; reason: string }, meta: RequestMeta): Promise<void> {
  const ctx = await resolveSigner(services, token);
  requireActive(ctx);
  await verifyActionToken(services.config.sessionSecret, input.actionToken, services.clock.now(), ctx.claims);
  return declineFor(services, ctx, input.reason, meta);
}

/** `decline` for a context already resolved; `data` joins the `declined` event (in-portal: who in Bitrix24). */
export async function declineFor(services: Services, ctx: SignerContext, reasonRaw: string, meta: RequestMeta, data?: Record<string, unknown>): Promise<void> {
  requireActive(ctx);
  const reason = (reasonRaw ?? '').trim();
  if (reason.length < 3) throw new AppError('VALIDATION_FAILED', 'Tell the sender why you decline (at least 3 characters).', { field: 'reason' });
  if (reason.length > 2000) throw new AppError('VALIDATION_FAILED', 'The reason is too long (2000 characters at most).', { field: 'reason' });
  const now = services.clock.now();
  const env = await services.db.transaction(async (tx) => {
    const c = await recheck(tx, ctx);
    const r = await moveRecipient(tx, c.recipient, 'declined', { doneAt: now, declineReason: reason });
    const who = actorOf(r, meta);
    await appendAudit(tx, { portalId: r.portalId, envelopeId: r.envelopeId, type: 'declined', who, at: now, data: { reason, ...data } });
    const env = await moveEnvelope(tx, c.envelope, 'declined', { endedAt: now, endReason: reason });
    await revokeAllLinks(tx, r.portalId, r.envelopeId);
    return env;
  });
  await notifyEnded(services, env, 'declined', reason, ctx.recipient.id);
}

