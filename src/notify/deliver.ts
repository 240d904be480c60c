import type { EnvelopeLang } from '../db/schema/envelopes.js';
import { messages, type Message, type MessageTemplate } from '../db/schema/messages.js';
import { enqueueJob } from '../jobs/queue.js';
import type { Services } from '../services.js';
import { appendAudit, SYSTEM } from '../signing/audit.js';
import { lockEnvelope } from '../signing/internal.js';
import { notifyDeliverJob, scrubbedText } from './jobs.js';
import { sealText } from './sealed.js';
import { renderIm, renderMail, type MailVars } from './texts.js';
import { brandingOf } from '../settings/store.js';

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

/** The job that sends one message row; the message id is its dedupe key, so a row is sent by one job. */
export const deliverDedupeKey = (messageId: string) => `notify.deliver:${messageId}`;

/**
 * Records one message per channel the recipient has and queues a `notify.deliver` job for each, in
 * one transaction: the message is durable before anyone tries to send it, and the queue retries a
 * transient failure with backoff (src/notify/jobs.ts). Without a transport for a channel (no
 * SMTP_URL: the embedded default, the sandbox mailbox) the row stays `recorded` and no job is queued.
 * The runner in this process is woken at once, so a one-time code goes out within milliseconds
 * without the request waiting for SMTP.
 *
 * Returns the rows created; none for a message whose unique key says it exists already (the final copy).
 */
export async function deliver(services: Services, params: DeliverParams): Promise<Message[]> {
  // The portal's sender name and logo (settings page), unless the caller named a sender itself.
  const brand = await brandingOf(services.db, params.portalId, services.config.publicUrl);
  const p: DeliverParams = { ...params, vars: { ...(brand.senderName ? { senderName: brand.senderName } : {}), ...(brand.logoUrl ? { logoUrl: brand.logoUrl } : {}), ...params.vars } };
  const rows: Message[] = [];
  let queued = 0;
  await services.db.transaction(async (tx) => {
    const add = async (m: Pick<typeof messages.$inferInsert, 'channel' | 'to' | 'subject' | 'body' | 'html'>, transport: boolean, sealed?: string) => {
      // Recorded is final too. Outside production the sandbox mailbox and tests read it; in production
      // nobody does, so it is stored like a delivered row: without a live link or code.
      const text = !transport && services.config.NODE_ENV === 'production' ? scrubbedText({ template: p.template, subject: m.subject, body: m.body, html: m.html ?? null }) : {};
      const [row] = await tx
        .insert(messages)
        .values({ id: services.ids.newId('msg'), portalId: p.portalId, envelopeId: p.envelopeId, recipientId: p.recipientId, template: p.template, ...m, ...text, status: transport ? 'queued' : 'recorded', createdAt: services.clock.now() })
        .onConflictDoNothing()
        .returning();
      if (!row) return;
      rows.push(row);
      if (!transport) {
        // Only recorded: that is its delivery (the sandbox mailbox shows it), audited as before.
        if (p.envelopeId) {
          await lockEnvelope(tx, p.portalId, p.envelopeId);
          await appendAudit(tx, { portalId: p.portalId, envelopeId: p.envelopeId, type: 'delivered', who: SYSTEM, at: services.clock.now(), data: { recipientId: p.recipientId, template: p.template, channel: row.channel, status: row.status, messageId: row.id } });
        }
        return;
      }
      await enqueueJob(tx, notifyDeliverJob, { messageId: row.id, ...(sealed ? { sealed } : {}) }, { portalId: p.portalId, dedupeKey: deliverDedupeKey(row.id), runAt: services.clock.now() });
      queued++;
    };
    if (p.email) {
      const mail = renderMail(p.lang, p.template, p.vars);
      const mailer = services.mailer;
      // A code is stored only while the recorded row is the sole delivery (sandbox); sent mail keeps a
      // masked copy and the real text travels sealed in the job.
      const masked = p.vars.code && mailer ? renderMail(p.lang, p.template, { ...p.vars, code: '••••••' }) : mail;
      const sealed = masked !== mail ? await sealText(services.config.sessionSecret, JSON.stringify(mail)) : undefined;
      await add({ channel: 'email', to: p.email, subject: masked.subject, body: masked.text, html: masked.html }, Boolean(mailer), sealed);
    }
    if (p.b24UserId) {
      await add({ channel: 'im', to: `b24user:${p.b24UserId}`, subject: renderMail(p.lang, p.template, p.vars).subject, body: renderIm(p.lang, p.template, p.vars) }, Boolean(services.bitrix24));
    }
  });
  if (queued) services.wakeJobs?.();
  return rows;
}
