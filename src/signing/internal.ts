import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { envelopePages } from '../db/schema/envelope-pages.js';
import { envelopes, type Envelope, type EnvelopeStatus, type EnvelopeTimers } from '../db/schema/envelopes.js';
import { enqueue } from '../jobs/queue.js';
import { portals } from '../db/schema/portals.js';
import { recipients, type Recipient, type RecipientStatus } from '../db/schema/recipients.js';
import { AppError } from '../lib/app-error.js';
import type { Services } from '../services.js';
import { appendAudit, type Actor } from './audit.js';
import { assertEnvelopeTransition, assertRecipientTransition, RECIPIENT_DONE } from './states.js';
import { mintShortLink } from './short-links.js';

export const DEFAULT_TIMERS: EnvelopeTimers = { reminderFirstDays: 3, reminderEveryDays: 2, reminderMax: 5, expiryDays: 30 };
export const DAY_MS = 86_400_000;

/** Portal settings override the defaults; the envelope's own values override both. */
export async function resolveTimers(db: DbOrTx, portalId: string, own: Partial<EnvelopeTimers> = {}): Promise<EnvelopeTimers> {
  const [p] = await db.select({ settings: portals.settings }).from(portals).where(eq(portals.id, portalId)).limit(1);
  const s = p?.settings ?? {};
  const pick = (k: keyof EnvelopeTimers) => own[k] ?? (typeof s[k] === 'number' ? (s[k] as number) : undefined) ?? DEFAULT_TIMERS[k];
  return { reminderFirstDays: pick('reminderFirstDays'), reminderEveryDays: pick('reminderEveryDays'), reminderMax: pick('reminderMax'), expiryDays: pick('expiryDays') };
}

/** Row lock on the envelope: every transition of it or its recipients serialises here. */
export async function lockEnvelope(tx: DbOrTx, portalId: string, envelopeId: string): Promise<Envelope> {
  const [e] = await tx
    .select()
    .from(envelopes)
    .where(and(eq(envelopes.portalId, portalId), eq(envelopes.id, envelopeId)))
    .for('update');
  if (!e) throw new AppError('NOT_FOUND', 'No such envelope.');
  return e;
}

export async function findEnvelope(db: DbOrTx, portalId: string, envelopeId: string): Promise<Envelope> {
  const [e] = await db.select().from(envelopes).where(and(eq(envelopes.portalId, portalId), eq(envelopes.id, envelopeId)));
  if (!e) throw new AppError('NOT_FOUND', 'No such envelope.');
  return e;
}

export async function listRecipients(db: DbOrTx, portalId: string, envelopeId: string): Promise<Recipient[]> {
  return db
    .select()
    .from(recipients)
    .where(and(eq(recipients.portalId, portalId), eq(recipients.envelopeId, envelopeId)))
    .orderBy(asc(recipients.signOrder), asc(recipients.createdAt), asc(recipients.id));
}

export async function moveEnvelope(tx: DbOrTx, e: Envelope, to: EnvelopeStatus, patch: Partial<Envelope> = {}): Promise<Envelope> {
  assertEnvelopeTransition(e.status, to);
  const [u] = await tx
    .update(envelopes)
    .set({ ...patch, status: to, updatedAt: sql`now()` })
    .where(and(eq(envelopes.portalId, e.portalId), eq(envelopes.id, e.id), eq(envelopes.status, e.status)))
    .returning();
  if (!u) throw new AppError('CONFLICT', 'The envelope changed meanwhile; reload and try again.');
  return u;
}

export async function moveRecipient(tx: DbOrTx, r: Recipient, to: RecipientStatus, patch: Partial<Recipient> = {}): Promise<Recipient> {
  assertRecipientTransition(r.status, to);
  const [u] = await tx
    .update(recipients)
    .set({ ...patch, status: to, updatedAt: sql`now()` })
    .where(and(eq(recipients.portalId, r.portalId), eq(recipients.id, r.id), eq(recipients.status, r.status)))
    .returning();
  if (!u) throw new AppError('CONFLICT', 'The recipient changed meanwhile; reload and try again.');
  return u;
}

/** Revokes every signer link of the envelope (void, decline, completion, expiry). */
export async function revokeAllLinks(tx: DbOrTx, portalId: string, envelopeId: string): Promise<void> {
  await tx
    .update(recipients)
    .set({ tokenVersion: sql`${recipients.tokenVersion} + 1`, otpHash: null, otpExpiresAt: null })
    .where(and(eq(recipients.portalId, portalId), eq(recipients.envelopeId, envelopeId)));
  // The page images served only those links (src/signing/page-images.ts).
  await tx.delete(envelopePages).where(and(eq(envelopePages.portalId, portalId), eq(envelopePages.envelopeId, envelopeId)));
}

export const isRequired = (r: Recipient) => r.role === 'signer' || r.role === 'approver';
export const isDone = (r: Recipient) => RECIPIENT_DONE.includes(r.status);

/** The order number whose turn it is: the lowest among required recipients not done yet. */
export function activeOrder(rs: Recipient[]): number | undefined {
  const pending = rs.filter((r) => isRequired(r) && !isDone(r));
  return pending.length ? Math.min(...pending.map((r) => r.signOrder)) : undefined;
}

export function isTheirTurn(rs: Recipient[], r: Recipient): boolean {
  return isRequired(r) && activeOrder(rs) === r.signOrder;
}

/**
 * Moves the envelope forward after a change: invites the next group (waiting → invited) or, when
 * every required recipient is done, completes the envelope and queues the sealing job. Returns
 * who must receive an invitation once the transaction commits.
 */
export async function advance(tx: DbOrTx, services: Services, env: Envelope, who: Actor): Promise<{ envelope: Envelope; invite: Recipient[] }> {
  const now = services.clock.now();
  const rs = await listRecipients(tx, env.portalId, env.id);
  const order = activeOrder(rs);
  if (order === undefined) {
    const envelope = await moveEnvelope(tx, env, 'completed', { completedAt: now });
    await appendAudit(tx, { portalId: env.portalId, envelopeId: env.id, type: 'completed', who, at: now });
    await revokeAllLinks(tx, env.portalId, env.id);
    await enqueueJob(tx, { kind: 'signing.complete', portalId: env.portalId, payload: { envelopeId: env.id }, dedupeKey: `signing.complete:${env.id}`, runAt: now });
    return { envelope, invite: [] };
  }
  const invite: Recipient[] = [];
  for (const r of rs) {
    if (r.signOrder === order && isRequired(r) && r.status === 'waiting') invite.push(await moveRecipient(tx, r, 'invited', { invitedAt: now }));
  }
  return { envelope: env, invite };
}

export function signerLink(services: Services, token: string) {
  return `${services.config.publicUrl}/s/${token}`;
}

/** The recipient's invitation link: a short id (src/signing/short-links.ts) standing for their current token version. */
export async function linkFor(services: Services, env: Envelope, r: Recipient): Promise<string> {
  const now = services.clock.now();
  const expiresAt = env.expiresAt && env.expiresAt > now ? env.expiresAt : new Date(now.getTime() + DAY_MS);
  const id = await mintShortLink(services.db, { portalId: env.portalId, envelopeId: env.id, recipientId: r.id, version: r.tokenVersion }, expiresAt, now);
  return signerLink(services, id);
}


/** Queues a job inside the caller's transaction, so the job exists iff the change does; a repeated dedupe key is a no-op. */
export async function enqueueJob(
  tx: DbOrTx,
  j: { kind: string; portalId: string; payload: Record<string, unknown>; dedupeKey?: string; orderKey?: string; runAt: Date },
): Promise<void> {
  await enqueue(tx, { kind: j.kind, portalId: j.portalId, payload: j.payload, dedupeKey: j.dedupeKey, orderKey: j.orderKey, runAt: j.runAt });
}
