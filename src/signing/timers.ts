import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { envelopes } from '../db/schema/envelopes.js';
import { defineJob } from '../jobs/queue.js';
import type { Services } from '../services.js';
import { appendAudit, SYSTEM } from './audit.js';
import { DAY_MS, enqueueJob, listRecipients, lockEnvelope, moveEnvelope, moveRecipient, revokeAllLinks } from './internal.js';
import { notifyEnded, sendInvitations } from './invitations.js';
import { RECIPIENT_FINAL } from './states.js';

/**
 * Reminders and expiry, as scheduled jobs queued when the envelope is sent. Each run re-reads the
 * envelope and does nothing once it has ended, so a job that fires late or twice is harmless.
 */

/** Reminder `n`: e-mails everyone whose turn it is and who has not finished, then schedules `n + 1`. */
export async function runReminder(services: Services, p: { portalId: string; envelopeId: string; n: number }): Promise<{ reminded: number }> {
  const now = services.clock.now();
  const out = await services.db.transaction(async (tx) => {
    const env = await lockEnvelope(tx, p.portalId, p.envelopeId);
    if (env.status !== 'sent' && env.status !== 'in_progress') return undefined;
    // A rerun of a reminder already sent (crash after commit) must not remind twice.
    if (env.remindersSent >= p.n) return undefined;
    const rs = (await listRecipients(tx, p.portalId, p.envelopeId)).filter((r) => ['invited', 'opened', 'verified'].includes(r.status));
    await tx
      .update(envelopes)
      .set({ remindersSent: p.n, updatedAt: sql`now()` })
      .where(and(eq(envelopes.portalId, p.portalId), eq(envelopes.id, env.id)));
    for (const r of rs) await appendAudit(tx, { portalId: p.portalId, envelopeId: env.id, type: 'reminded', who: SYSTEM, at: now, data: { recipientId: r.id, n: p.n } });
    const nextAt = new Date(now.getTime() + env.timers.reminderEveryDays * DAY_MS);
    if (p.n < env.timers.reminderMax && (!env.expiresAt || nextAt < env.expiresAt)) {
      await enqueueJob(tx, { kind: 'signing.remind', portalId: p.portalId, payload: { envelopeId: env.id, n: p.n + 1 }, dedupeKey: `signing.remind:${env.id}:${p.n + 1}`, runAt: nextAt });
    }
    return { env, rs };
  });
  if (!out) return { reminded: 0 };
  await sendInvitations(services, out.env, out.rs, 'reminder');
  return { reminded: out.rs.length };
}

/** Expires the envelope once its deadline has passed; an early run (deadline moved) re-queues itself. */
export async function runExpiry(services: Services, p: { portalId: string; envelopeId: string }): Promise<{ expired: boolean }> {
  const now = services.clock.now();
  const env = await services.db.transaction(async (tx) => {
    const env = await lockEnvelope(tx, p.portalId, p.envelopeId);
    if (env.status !== 'sent' && env.status !== 'in_progress') return undefined;
    if (env.expiresAt && env.expiresAt > now) {
      await enqueueJob(tx, { kind: 'signing.expire', portalId: p.portalId, payload: { envelopeId: env.id }, dedupeKey: `signing.expire:${env.id}:${env.expiresAt.toISOString()}`, runAt: env.expiresAt });
      return undefined;
    }
    const expired = await moveEnvelope(tx, env, 'expired', { endedAt: now });
    for (const r of await listRecipients(tx, p.portalId, p.envelopeId)) {
      if (!RECIPIENT_FINAL.includes(r.status) && r.role !== 'viewer') await moveRecipient(tx, r, 'expired');
    }
    await appendAudit(tx, { portalId: p.portalId, envelopeId: env.id, type: 'expired', who: SYSTEM, at: now, data: { expiresAt: env.expiresAt?.toISOString() ?? null } });
    await revokeAllLinks(tx, p.portalId, env.id);
    return expired;
  });
  if (!env) return { expired: false };
  await notifyEnded(services, env, 'expired');
  return { expired: true };
}

const ZEnvelopeRef = z.object({ envelopeId: z.string() });

export const remindJob = defineJob('signing.remind', ZEnvelopeRef.extend({ n: z.number().int().min(1) }), async (payload, job, ctx) => {
  await runReminder(ctx.services, { portalId: job.portalId!, envelopeId: payload.envelopeId, n: payload.n });
});

export const expireJob = defineJob('signing.expire', ZEnvelopeRef, async (payload, job, ctx) => {
  await runExpiry(ctx.services, { portalId: job.portalId!, envelopeId: payload.envelopeId });
});
