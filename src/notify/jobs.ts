import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { Bitrix24Error } from '../bitrix24/types.js';
import { messages, type Message } from '../db/schema/messages.js';
import { defineJob, type Job } from '../jobs/queue.js';
import type { Services } from '../services.js';
import { appendAudit, SYSTEM } from '../signing/audit.js';
import { lockEnvelope } from '../signing/internal.js';
import { scrubMessageText } from '../lib/redact.js';
import { isTransientError } from '../timeline/flush.js';
import { imOutText } from './texts.js';
import { openText } from './sealed.js';

/**
 * `notify.deliver`: sends one `messages` row (e-mail over SMTP, or a Bitrix24 messenger
 * notification). A transient failure (SMTP 4xx, a refused or dropped connection; Bitrix24 5xx,
 * 503 QUERY_LIMIT_EXCEEDED, network) keeps the row `queued` with the reason and lets the queue retry
 * with its backoff; a permanent one (SMTP 5xx, e.g. a refused recipient; a Bitrix24 4xx such as an
 * unknown user or a missing scope), or the last attempt, marks it `failed`: the card shows it with
 * its reason next to "Resend". Each outcome lands in the envelope's audit chain.
 *
 * Repeats: SMTP has no way to ask whether a message was taken, so a send whose answer was lost is
 * sent again, with the same Message-ID (RFC 5322 §3.6.4) so mail software can fold the copies.
 * A messenger notification carries TAG `b24sign|<message id>`: "when adding a notification with an
 * existing tag, other notifications will be removed" (b24restdocs
 * api-reference/chats/notifications/im-notify-personal-add.md), so a repeat replaces, never doubles.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** nodemailer puts the server's reply code on `responseCode`; without one the connection itself failed. */
export function classifySmtpError(e: unknown): DeliveryError {
  const err = e as { responseCode?: unknown; code?: unknown; message?: unknown };
  const code = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const text = String(err.message ?? e).slice(0, 400);
  return new DeliveryError(code ? `SMTP ${code}: ${text}` : `SMTP ${String(err.code ?? 'connection')}: ${text}`, code !== undefined && code >= 500);
}

export function classifyBitrix24Error(e: unknown): DeliveryError {
  if (!(e instanceof Bitrix24Error)) return new DeliveryError(String((e as Error)?.message ?? e).slice(0, 400), false);
  return new DeliveryError(`Bitrix24 ${e.code}${e.httpStatus ? ` (HTTP ${e.httpStatus})` : ''}: ${e.description}`.slice(0, 400), !isTransientError(e));
}

const messengerTag = (m: Message) => `b24sign|${m.id}`;

/**
 * Once a message is sent or has failed for good, its row is a record, not a mail to send: the link
 * token and the code go (a resend renders a fresh message from the recipient's current link), so a
 * database dump or backup holds no live way into a document.
 */
export function scrubbedText(m: Pick<Message, 'template' | 'subject' | 'body' | 'html'>): Pick<Message, 'subject' | 'body' | 'html'> {
  return { subject: scrubMessageText(m.template, m.subject), body: scrubMessageText(m.template, m.body), html: m.html === null ? null : scrubMessageText(m.template, m.html) };
}

async function send(services: Services, m: Message, sealed?: string): Promise<{ providerId: string | null }> {
  if (m.channel === 'email') {
    if (!services.mailer) throw new DeliveryError('no SMTP transport is configured', true);
    const mail = sealed ? (JSON.parse(await openText(services.config.sessionSecret, sealed)) as { subject: string; text: string; html?: string }) : { subject: m.subject, text: m.body, html: m.html ?? undefined };
    const host = new URL(services.config.publicUrl).hostname;
    try {
      const r = await services.mailer.send({ to: m.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: `<${m.id}@${host}>` });
      return { providerId: r.messageId ?? null };
    } catch (e) {
      throw classifySmtpError(e);
    }
  }
  const userId = Number(m.to.replace(/^b24user:/, ''));
  try {
    const id = await services.bitrix24.forPortal(m.portalId).call('im.notify.personal.add', { USER_ID: userId, MESSAGE: m.body, MESSAGE_OUT: imOutText(m.body), TAG: messengerTag(m) });
    return { providerId: id === undefined || id === null ? null : String(id) };
  } catch (e) {
    throw classifyBitrix24Error(e);
  }
}

async function audit(services: Services, m: Message, type: 'delivered' | 'delivery_failed', error?: string) {
  if (!m.envelopeId) return;
  await services.db.transaction(async (tx) => {
    await lockEnvelope(tx, m.portalId, m.envelopeId!);
    await appendAudit(tx, {
      portalId: m.portalId,
      envelopeId: m.envelopeId!,
      type,
      who: SYSTEM,
      at: services.clock.now(),
      data: { recipientId: m.recipientId, template: m.template, channel: m.channel, status: type === 'delivered' ? 'sent' : 'failed', messageId: m.id, ...(error ? { error } : {}) },
    });
  });
}

export async function runDelivery(services: Services, job: Pick<Job, 'attempts' | 'maxAttempts'>, p: { portalId: string; messageId: string; sealed?: string }): Promise<void> {
  const { db, clock, logger } = services;
  const [m] = await db.select().from(messages).where(and(eq(messages.portalId, p.portalId), eq(messages.id, p.messageId)));
  // Sent, failed for good, or only recorded: nothing to do (a rerun after the outcome was written).
  if (!m || m.status !== 'queued') return;
  // The outcome and the scrubbed text are written by one statement: no settled row keeps a live link.
  const settle = (set: Partial<typeof messages.$inferInsert>) => db.update(messages).set(set).where(and(eq(messages.portalId, m.portalId), eq(messages.id, m.id), eq(messages.status, 'queued')));
  try {
    const r = await send(services, m, p.sealed);
    await settle({ status: 'sent', providerId: r.providerId, error: null, sentAt: clock.now(), ...scrubbedText(m) });
    await audit(services, m, 'delivered');
  } catch (e) {
    const err = e instanceof DeliveryError ? e : new DeliveryError(String((e as Error)?.message ?? e).slice(0, 400), false);
    const last = job.attempts >= job.maxAttempts;
    if (err.permanent || last) {
      const reason = last && !err.permanent ? `gave up after ${job.attempts} attempts: ${err.message}` : err.message;
      logger.warn({ messageId: m.id, channel: m.channel, reason }, 'message not delivered');
      await settle({ status: 'failed', error: reason, ...scrubbedText(m) });
      await audit(services, m, 'delivery_failed', reason);
      return;
    }
    // Still queued; the card shows the reason while the queue waits out its backoff.
    await settle({ error: err.message });
    throw err;
  }
}

export const NOTIFY_DELIVER_KIND = 'notify.deliver';

export const notifyDeliverJob = defineJob(NOTIFY_DELIVER_KIND, z.object({ messageId: z.string().min(1), sealed: z.string().optional() }), async (payload, job, ctx) => {
  await runDelivery(ctx.services, job, { portalId: job.portalId!, messageId: payload.messageId, ...(payload.sealed ? { sealed: payload.sealed } : {}) });
});
