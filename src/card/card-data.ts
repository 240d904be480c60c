import { and, desc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { cardPrefs, type RecipientSlot } from '../db/schema/card-prefs.js';
import { envelopes } from '../db/schema/envelopes.js';
import { jobs } from '../db/schema/jobs.js';
import { messages } from '../db/schema/messages.js';
import { recipients } from '../db/schema/recipients.js';
import type { Services } from '../services.js';
import type { CardDelivery, CardEnvelope, CardRecipient } from './view.js';

export interface LastUsed {
  kind: string;
  templateId: string;
  templateName: string;
  entityTypeId: number | null;
  slots: RecipientSlot[];
  /** "Ivan Petrov, Anna Smirnova": who got it last time. */
  recipientsSummary: string;
  usedAt: string;
}

export interface CardState {
  envelopes: CardEnvelope[];
  lastUsed: LastUsed | null;
}

/** The card shows the newest documents first; older ones are rare enough to leave out of the tab. */
export const CARD_LIST_LIMIT = 100;

type Target = { portalId: string; entityTypeId: number; entityId: number } | { portalId: string; envelopeId: string };

export async function loadCardState(services: Pick<Services, 'db' | 'config'>, target: Target): Promise<CardState> {
  if ('envelopeId' in target) {
    const one = await getCardEnvelope(services.db, services.config.publicUrl, target);
    return { envelopes: one ? [one] : [], lastUsed: null };
  }
  const [list, lastUsed] = await Promise.all([
    listItemEnvelopes(services.db, services.config.publicUrl, target),
    getLastUsed(services.db, { portalId: target.portalId, entityTypeId: target.entityTypeId }),
  ]);
  return { envelopes: list, lastUsed: offerHere(lastUsed, list) };
}

/** Statuses in which a document of this item still stands: sent and on its way, or signed. */
const STANDING: ReadonlySet<CardEnvelope['status']> = new Set(['sent', 'in_progress', 'completed']);

/**
 * "Same as last time" is an offer to repeat a document elsewhere: on the item where that template's
 * document was just sent (or is signed already) it would only invite a duplicate, so it is not made.
 */
export function offerHere(last: LastUsed | null, list: readonly Pick<CardEnvelope, 'templateId' | 'status'>[]): LastUsed | null {
  if (!last) return null;
  return list.some((e) => e.templateId === last.templateId && STANDING.has(e.status)) ? null : last;
}

/** This CRM item's envelopes with their recipients: one indexed query, recipients aggregated per row. */
export async function listItemEnvelopes(
  db: DbOrTx,
  publicUrl: string,
  p: { portalId: string; entityTypeId: number; entityId: number; limit?: number },
): Promise<CardEnvelope[]> {
  const rows = await db
    .select(envelopeColumns)
    .from(envelopes)
    .where(and(eq(envelopes.portalId, p.portalId), eq(envelopes.crmEntityTypeId, p.entityTypeId), eq(envelopes.crmEntityId, p.entityId)))
    .orderBy(desc(envelopes.createdAt), desc(envelopes.id))
    .limit(p.limit ?? CARD_LIST_LIMIT);
  return rows.map((r) => toCard(publicUrl, r));
}

/**
 * What the list shows, as one short fingerprint: the card's poll compares it and fetches the list only
 * when it changed (an envelope added or voided, a recipient's step, a delivery's outcome).
 */
export async function listVersion(list: readonly CardEnvelope[]): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(list)));
  return Array.from(new Uint8Array(digest).subarray(0, 12), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function getCardEnvelope(db: DbOrTx, publicUrl: string, p: { portalId: string; envelopeId: string }): Promise<CardEnvelope | null> {
  const [row] = await db
    .select(envelopeColumns)
    .from(envelopes)
    .where(and(eq(envelopes.portalId, p.portalId), eq(envelopes.id, p.envelopeId)));
  return row ? toCard(publicUrl, row) : null;
}

/** What the list shows of a recipient, built by PostgreSQL so the page costs one round trip. */
interface RecipientJson {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  role: CardRecipient['role'];
  party: CardRecipient['party'];
  order: number;
  status: CardRecipient['status'];
  invitedAt: string | null;
  openedAt: string | null;
  verifiedAt: string | null;
  doneAt: string | null;
  declineReason: string | null;
  delivery: CardDelivery[] | null;
}

const envelopeColumns = {
  id: envelopes.id,
  title: envelopes.title,
  status: envelopes.status,
  templateId: envelopes.templateId,
  createdAt: envelopes.createdAt,
  createdByUserId: envelopes.createdByUserId,
  completedAt: envelopes.completedAt,
  publicId: envelopes.publicId,
  // Only whether the sealed PDF exists: the bytes stay in the database.
  sealed: sql<boolean>`(${envelopes.sealedSha256} is not null)`,
  // Qualified by hand: drizzle leaves columns unqualified in single-table selects, which inside the
  // subquery would bind to the recipients table instead.
  recipients: sql<RecipientJson[] | string>`coalesce((
    select json_agg(json_build_object(
      'id', r.id, 'name', r.name, 'email', r.email, 'phone', r.phone, 'role', r.role, 'party', r.party,
      'order', r.sign_order, 'status', r.status, 'invitedAt', r.invited_at, 'openedAt', r.opened_at,
      'verifiedAt', r.verified_at, 'doneAt', r.done_at, 'declineReason', r.decline_reason,
      'delivery', (
        select json_agg(json_build_object('channel', d.channel, 'status', d.status, 'error', d.error) order by d.channel)
        from (
          -- A queued message whose job went dead without settling it (its runner died on the last attempt) has failed.
          select distinct on (m.channel) m.channel,
            case when m.status = 'queued' and j.status = 'dead' then 'failed' else m.status end as status,
            case when m.status = 'queued' and j.status = 'dead' then coalesce(m.error, j.last_error) else m.error end as error
          from ${messages} m
          left join ${jobs} j on j.dedupe_key = 'notify.deliver:' || m.id
          where m.portal_id = r.portal_id and m.envelope_id = r.envelope_id and m.recipient_id = r.id
          order by m.channel, m.created_at desc, m.id desc
        ) d
      )
    ) order by r.sign_order, r.created_at)
    from ${recipients} r
    where r.portal_id = "envelopes"."portal_id" and r.envelope_id = "envelopes"."id"
  ), '[]'::json)`,
};

interface EnvelopeRow {
  id: string;
  title: string;
  status: CardEnvelope['status'];
  templateId: string | null;
  createdAt: Date;
  createdByUserId: number | null;
  completedAt: Date | null;
  publicId: string;
  sealed: boolean;
  recipients: RecipientJson[] | string;
}

const iso = (v: string | null) => (v ? new Date(v).toISOString() : null);

function toCard(publicUrl: string, e: EnvelopeRow): CardEnvelope {
  // postgres.js parses json columns; PGlite may hand back the text.
  const rcps: RecipientJson[] = typeof e.recipients === 'string' ? JSON.parse(e.recipients) : e.recipients;
  return {
    id: e.id,
    title: e.title,
    status: e.status,
    kind: null,
    templateId: e.templateId,
    createdAt: e.createdAt.toISOString(),
    createdByName: null,
    completedAt: e.completedAt ? e.completedAt.toISOString() : null,
    verifyUrl: e.status === 'completed' && e.sealed ? `${publicUrl}/v/${e.publicId}` : null,
    sealedPdfPath: e.status === 'completed' && e.sealed ? `/api/envelopes/${e.id}/sealed.pdf` : null,
    evidencePath: e.status === 'completed' && e.sealed ? `/api/envelopes/${e.id}/evidence.zip` : null,
    recipients: rcps.map((r) => {
      const at =
        r.status === 'invited' ? r.invitedAt
        : r.status === 'opened' ? r.openedAt
        : r.status === 'verified' ? r.verifiedAt
        : r.status === 'signed' || r.status === 'approved' || r.status === 'declined' ? r.doneAt
        : null;
      return {
        id: r.id,
        name: r.name,
        email: r.email || null,
        phone: r.phone,
        role: r.role,
        party: r.party,
        order: r.order,
        status: r.status,
        at: iso(at),
        declineReason: r.declineReason,
        delivery: r.delivery ?? [],
      };
    }),
  };
}

// ——— "same as last time" ———

/** The most recent set-up of the portal, preferring one used on the same kind of CRM item. */
export async function getLastUsed(db: DbOrTx, p: { portalId: string; entityTypeId: number }): Promise<LastUsed | null> {
  const rows = await db
    .select()
    .from(cardPrefs)
    .where(eq(cardPrefs.portalId, p.portalId))
    .orderBy(sql`(${cardPrefs.entityTypeId} = ${p.entityTypeId}) desc nulls last`, desc(cardPrefs.usedAt))
    .limit(1);
  const r = rows[0];
  if (!r) return null;
  return {
    kind: r.kind,
    templateId: r.templateId,
    templateName: r.templateName,
    entityTypeId: r.entityTypeId,
    slots: r.slots,
    recipientsSummary: r.lastRecipientNames.join(', '),
    usedAt: r.usedAt.toISOString(),
  };
}

export async function rememberLastUsed(
  db: DbOrTx,
  p: {
    portalId: string;
    kind: string;
    templateId: string;
    templateName: string;
    entityTypeId: number | null;
    slots: RecipientSlot[];
    recipientNames: string[];
    userId: number;
    at: Date;
  },
): Promise<void> {
  const values = {
    templateId: p.templateId,
    templateName: p.templateName,
    entityTypeId: p.entityTypeId,
    slots: p.slots,
    lastRecipientNames: p.recipientNames,
    usedByUserId: p.userId,
    usedAt: p.at,
    updatedAt: p.at,
  };
  await db
    .insert(cardPrefs)
    .values({ portalId: p.portalId, kind: p.kind, ...values })
    .onConflictDoUpdate({ target: [cardPrefs.portalId, cardPrefs.kind], set: values });
}
