import type { MessageTemplate } from '../db/schema/messages.js';
import { reachedInPortal } from './recipient-reach.js';
import type { Recipient } from '../db/schema/recipients.js';
import { deliver, type DeliverParams } from '../notify/deliver.js';
import type { Services } from '../services.js';
import { findPortal } from '../portals/store.js';
import { inPortalSignLink } from './in-portal-link.js';
import { linkFor, listRecipients } from './internal.js';
import type { Envelope } from '../db/schema/envelopes.js';

/**
 * Queues `template` for each recipient: one message row per channel and a `notify.deliver` job each
 * (src/notify/jobs.ts), which sends it, retries transient failures and records the outcome in the
 * audit chain (`delivered` / `delivery_failed`).
 */
async function deliverAll(
  services: Services,
  env: Envelope,
  rs: Recipient[],
  template: MessageTemplate,
  per: (r: Recipient) => Promise<Pick<DeliverParams, 'vars'>>,
): Promise<void> {
  for (const r of rs) {
    // Every message reaches a company-side employee in the messenger too (recipient-reach.ts), so one without an e-mail hears of it.
    const b24UserId = reachedInPortal(r) ? r.b24UserId : null;
    await deliver(services, { portalId: env.portalId, envelopeId: env.id, recipientId: r.id, lang: env.lang, template, email: r.email ?? undefined, b24UserId, ...(await per(r)) });
  }
}

/**
 * Queues invitations (or reminders) after the transaction that made them due has committed. A send
 * that fails is retried by the queue, and one refused for good is shown in the card: the recipient is
 * invited either way and can be resent.
 */
export async function sendInvitations(services: Services, env: Envelope, rs: Recipient[], template: 'invitation' | 'reminder'): Promise<void> {
  // An employee's messenger message opens in-portal signing (no code); their e-mail keeps the public link.
  const portal = await findPortal(services.db, env.portalId);
  const domain = rs.some(reachedInPortal) ? portal?.domain : undefined;
  // The invitation names who sends: the CRM's "my company" the document was made for, else the portal's brand name.
  const brand = portal?.settings.branding?.name?.trim();
  const senderName = env.senderCompany ?? (brand || undefined);
  await deliverAll(services, env, rs, template, async (r) => {
    const portalLink = reachedInPortal(r) && domain ? inPortalSignLink(services.config, domain, env.id).url : undefined;
    return {
      vars: { recipientName: r.name, title: env.title, ...(senderName ? { senderName } : {}), link: await linkFor(services, env, r), ...(portalLink ? { portalLink } : {}), expiresAt: env.expiresAt ?? undefined },
    };
  });
}

/** Tells everyone who already knew about the envelope that it ended without completion. */
export async function notifyEnded(services: Services, env: Envelope, template: 'voided' | 'declined' | 'expired', reason?: string, skipRecipientId?: string): Promise<void> {
  const rs = await listRecipients(services.db, env.portalId, env.id);
  const told = rs.filter((r) => r.id !== skipRecipientId && r.invitedAt && r.role !== 'viewer');
  await deliverAll(services, env, told, template, async (r) => ({ vars: { recipientName: r.name, title: env.title, reason } }));
}
