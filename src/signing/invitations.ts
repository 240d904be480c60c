import type { Envelope } from '../db/schema/envelopes.js';
import type { MessageTemplate } from '../db/schema/messages.js';
import type { Recipient } from '../db/schema/recipients.js';
import { deliver } from '../notify/deliver.js';
import type { Services } from '../services.js';
import { appendAudit, SYSTEM } from './audit.js';
import { linkFor, listRecipients, lockEnvelope } from './internal.js';

/** Records what the transports said about each message, as audit events of the envelope. */
async function auditDeliveries(services: Services, env: Envelope, results: { recipientId: string; template: MessageTemplate; channel: string; status: string; messageId: string }[]) {
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
        data: { recipientId: m.recipientId, template: m.template, channel: m.channel, status: m.status, messageId: m.messageId },
      });
    }
  });
}

/**
 * Sends invitations (or reminders) after the transaction that made them due has committed. A
 * failed send is recorded, never thrown: the recipient is invited either way and can be resent.
 */
export async function sendInvitations(services: Services, env: Envelope, rs: Recipient[], template: 'invitation' | 'reminder'): Promise<void> {
  const results = [];
  for (const r of rs) {
    const link = await linkFor(services, env, r);
    const sent = await deliver(services, {
      portalId: env.portalId,
      envelopeId: env.id,
      recipientId: r.id,
      lang: env.lang,
      template,
      vars: { recipientName: r.name, title: env.title, link, expiresAt: env.expiresAt ?? undefined },
      email: r.email,
      b24UserId: r.party === 'company' ? r.b24UserId : null,
    });
    for (const m of sent) results.push({ recipientId: r.id, template, channel: m.channel, status: m.status, messageId: m.id });
  }
  await auditDeliveries(services, env, results);
}

/** Tells everyone who already knew about the envelope that it ended without completion. */
export async function notifyEnded(services: Services, env: Envelope, template: 'voided' | 'declined' | 'expired', reason?: string, skipRecipientId?: string): Promise<void> {
  const rs = await listRecipients(services.db, env.portalId, env.id);
  const results = [];
  for (const r of rs) {
    if (r.id === skipRecipientId || !r.invitedAt || r.role === 'viewer') continue;
    const sent = await deliver(services, {
      portalId: env.portalId,
      envelopeId: env.id,
      recipientId: r.id,
      lang: env.lang,
      template,
      vars: { recipientName: r.name, title: env.title, reason },
      email: r.email,
    });
    for (const m of sent) results.push({ recipientId: r.id, template, channel: m.channel, status: m.status, messageId: m.id });
  }
  await auditDeliveries(services, env, results);
}
