import { eq } from 'drizzle-orm';
import type { Bitrix24ClientFactory } from '../bitrix24/types.js';
import type { EnvelopeLang } from '../db/schema/envelopes.js';
import { messages, type Message, type MessageTemplate } from '../db/schema/messages.js';
import type { Services } from '../services.js';
import { renderIm, renderMail, type MailVars } from './texts.js';

export interface DeliverParams {
  portalId: string;
  envelopeId?: string;
  recipientId?: string;
  lang: EnvelopeLang;
  template: MessageTemplate;
  vars: MailVars;
  email?: string;
  /** A portal user also gets the message in the Bitrix24 messenger. */
  b24UserId?: number | null;
}

const b24Of = (s: Services) => (s as Services & { bitrix24?: Bitrix24ClientFactory }).bitrix24;

/**
 * Sends one message over each channel the recipient has and records every attempt in `messages`
 * first, so a crash mid-send still leaves a trace. Without a mailer the row stays `recorded`:
 * that is the embedded default, and the sandbox mailbox reads those rows.
 */
export async function deliver(services: Services, p: DeliverParams): Promise<Message[]> {
  const out: Message[] = [];
  const email = p.email ? await deliverEmail(services, p, p.email) : undefined;
  const im = p.b24UserId ? await deliverIm(services, p, p.b24UserId) : undefined;
  for (const m of [email, im]) if (m) out.push(m);
  return out;
}

/** Undefined when the message was already sent once (unique key on the final-copy message). */
async function deliverEmail(services: Services, p: DeliverParams, to: string): Promise<Message | undefined> {
  const mail = renderMail(p.lang, p.template, p.vars);
  const mailer = services.mailer;
  // Codes are stored only while the recorded row is the sole delivery (sandbox); sent mail keeps a masked copy.
  const masked = p.vars.code && mailer ? renderMail(p.lang, p.template, { ...p.vars, code: '••••••' }) : mail;
  const row = await record(services, p, { channel: 'email', to, subject: masked.subject, body: masked.text, html: masked.html });
  if (!row) return undefined;
  if (!mailer) return row;
  return settle(services, row, 'e-mail delivery failed', async () => {
    const r = await mailer.send({ to, subject: mail.subject, text: mail.text, html: mail.html });
    return { providerId: r.messageId ?? null };
  });
}

async function deliverIm(services: Services, p: DeliverParams, userId: number): Promise<Message | undefined> {
  const text = renderIm(p.lang, p.template, p.vars);
  const subject = renderMail(p.lang, p.template, p.vars).subject;
  const row = await record(services, p, { channel: 'im', to: `b24user:${userId}`, subject, body: text });
  if (!row) return undefined;
  const b24 = b24Of(services);
  if (!b24) return row;
  return settle(services, row, 'messenger delivery failed', async () => {
    await b24.forPortal(p.portalId).call('im.notify.personal.add', { USER_ID: userId, MESSAGE: text, TAG: p.envelopeId ? `b24sign|${p.envelopeId}|${p.template}` : undefined });
    return {};
  });
}

/** The `recorded` row, written before any send; undefined when the unique key says it exists already. */
async function record(
  { db, ids, clock }: Services,
  p: DeliverParams,
  m: Pick<typeof messages.$inferInsert, 'channel' | 'to' | 'subject' | 'body' | 'html'>,
): Promise<Message | undefined> {
  const [row] = await db
    .insert(messages)
    .values({
      id: ids.newId('msg'),
      portalId: p.portalId,
      envelopeId: p.envelopeId,
      recipientId: p.recipientId,
      template: p.template,
      ...m,
      status: 'recorded',
      createdAt: clock.now(),
    })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** Runs the send and marks the row `sent` (plus what the provider returned) or `failed` with the reason. */
async function settle(
  { db, clock, logger }: Services,
  row: Message,
  failure: string,
  send: () => Promise<{ providerId?: string | null }>,
): Promise<Message> {
  try {
    const extra = await send();
    const [u] = await db.update(messages).set({ status: 'sent', ...extra, sentAt: clock.now() }).where(eq(messages.id, row.id)).returning();
    return u!;
  } catch (e) {
    logger.warn({ err: e, messageId: row.id }, failure);
    const [u] = await db.update(messages).set({ status: 'failed', error: String((e as Error).message ?? e).slice(0, 500) }).where(eq(messages.id, row.id)).returning();
    return u!;
  }
}
