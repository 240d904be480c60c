import type { Envelope } from '../db/schema/envelopes.js';
import type { MessageTemplate } from '../db/schema/messages.js';
import type { Recipient } from '../db/schema/recipients.js';
import { deliver, type DeliverParams } from '../notify/deliver.js';
import type { Services } from '../services.js';
import { appendAudit, SYSTEM } from './audit.js';
import { linkFor, listRecipients, lockEnvelope } from './internal.js';

/**
 * Delivers `template` to each recipient, then records what the transports said about each message as
 * audit events of the envelope (one transaction, after all sends).
 */
async function deliverAndAudit(
  services: Services,
  env: Envelope,
  rs: Recipient[],
  template: MessageTemplate,
  per: (r: Recipient) => Promise<Pick<DeliverParams, 'vars' | 'b24UserId'>>,
): Promise<void> {
  const results: { recipientId: string; channel: string; status: string; messageId: string }[] = [];
  for (const r of rs) {
    const sent = await deliver(services, { portalId: env.portalId, envelopeId: env.id, recipientId: r.id, lang: env.lang, template, email: r.email, ...(await per(r)) });
    for (const m of sent) results.push({ recipientId: r.id, channel: m.channel, status: m.status, messageId: m.id });
  }
  if (!results.length) return;
  const now = services.clock.now();
  await services.db.transaction(async (tx) => {
    await lockEnvelope(tx, env.portalId, env.id);
    for (const m of results) {
      await appendAudit(tx, {
        portalId: env.portalId,
        envelopeId: env.id,
        type: m.status === 'failed' ? 'delivery_failed' : 'delivered',
        who: SYSTEM,
        at: now,
        data: { recipientId: m.recipientId, template, channel: m.channel, status: m.status, messageId: m.messageId },
      });
    }
  });
}

/**
 * Sends invitations (or reminders) after the transaction that made them due has committed. A
 * failed send is recorded, never thrown: the recipient is invited either way and can be resent.
 */
export async function sendInvitations(services: Services, env: Envelope, rs: Recipient[], template: 'invitation' | 'reminder'): Promise<void> {
  await deliverAndAudit(services, env, rs, template, async (r) => ({
    vars: { recipientName: r.name, title: env.title, link: await linkFor(services, env, r), expiresAt: env.expiresAt ?? undefined },
    b24UserId: r.party === 'company' ? r.b24UserId : null,
  }));
}

/** Tells everyone who already knew about the envelope that it ended without completion. */
export async function notifyEnded(services: Services, env: Envelope, template: 'voided' | 'declined' | 'expired', reason?: string, skipRecipientId?: string): Promise<void> {
  const rs = await listRecipients(services.db, env.portalId, env.id);
  const told = rs.filter((r) => r.id !== skipRecipientId && r.invitedAt && r.role !== 'viewer');
  await deliverAndAudit(services, env, told, template, async (r) => ({ vars: { recipientName: r.name, title: env.title, reason } }));
}
