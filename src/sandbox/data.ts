import { and, desc, eq, inArray, ne } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { envelopes } from '../db/schema/envelopes.js';
import { messages, type Message } from '../db/schema/messages.js';
import { recipients } from '../db/schema/recipients.js';
import type { Portal, Row, TimelineEntry } from '../emulator/types.js';
import type { SandboxHandle } from './handle.js';
import type { Lang } from '../i18n/index.js';

/**
 * What the sandbox pages read. CRM data comes straight from the emulator's memory (the sandbox
 * plays the portal, which owns it); what the app did comes from our database, always filtered by
 * the sandbox portal's id.
 */
export function sandboxPortal(h: SandboxHandle): Portal {
  return h.emulator.control.portal(h.memberId);
}

export interface StageView {
  id: string;
  name: string;
  color: string;
  semantics: string;
  robot?: string;
}

/** `lang`: the robot's name in the page's language (bizproc.robot.add took it per language). */
export function dealStages(p: Portal, categoryId: string, lang: Lang = 'en'): StageView[] {
  return p.statuses
    .filter((s) => s.ENTITY_ID === 'DEAL_STAGE' && String(s.CATEGORY_ID ?? '0') === categoryId)
    .sort((a, b) => Number(a.SORT) - Number(b.SORT))
    .map((s) => {
      const robot = p.robotAttachments.find((r) => r.stageId === s.STATUS_ID);
      const def = robot ? p.robots.find((r) => r.code === robot.code) : undefined;
      const name = def ? (def.name as Record<string, string> | string) : undefined;
      return {
        id: String(s.STATUS_ID),
        name: String(s.NAME),
        color: String((s.EXTRA as Row | undefined)?.COLOR ?? s.COLOR ?? '#2fc6f6'),
        semantics: String(s.SEMANTICS ?? ''),
        ...(robot ? { robot: typeof name === 'string' ? name : (name?.[lang] ?? name?.en ?? robot.code) } : {}),
      };
    });
}

export function stageOf(p: Portal, stageId: string, lang: Lang = 'en'): StageView | undefined {
  const s = p.statuses.find((x) => x.ENTITY_ID === 'DEAL_STAGE' && x.STATUS_ID === stageId);
  return s ? dealStages(p, String(s.CATEGORY_ID ?? '0'), lang).find((x) => x.id === stageId) : undefined;
}

export function leadStatusName(p: Portal, statusId: string): string {
  return String(p.statuses.find((x) => x.ENTITY_ID === 'STATUS' && x.STATUS_ID === statusId)?.NAME ?? statusId);
}

export const personName = (r: Row | undefined) => (r ? [r.NAME, r.LAST_NAME].filter(Boolean).join(' ') : '');
export const firstValue = (v: unknown) => (Array.isArray(v) && v[0] ? String((v[0] as Row).VALUE ?? '') : '');
export const userName = (p: Portal, id: unknown) => personName(p.users.find((u) => String(u.ID) === String(id)));

export function money(amount: unknown, currency: unknown, lang: string): string {
  const n = Number(amount);
  if (!Number.isFinite(n)) return '';
  try {
    return new Intl.NumberFormat(lang === 'en' ? 'en-GB' : lang, { style: 'currency', currency: String(currency || 'RUB'), maximumFractionDigits: 0 }).format(n);
  } catch {
    return `${n} ${currency}`;
  }
}

/** The deal's timeline as the app wrote it: activities pinned on top (as Bitrix24 does), then newest first. */
export function dealTimeline(p: Portal, dealId: number): TimelineEntry[] {
  const pinned = (e: TimelineEntry) => (e.kind === 'activity' ? 1 : 0);
  return p.timeline.filter((e) => e.entityTypeId === 2 && e.entityId === dealId).sort((a, b) => pinned(b) - pinned(a) || b.created - a.created || b.id - a.id);
}

/** The mailbox lists what arrived: a queued message has not, yet. */
export async function sandboxMessages(db: Database, portalId: string): Promise<Message[]> {
  return db.select().from(messages).where(and(eq(messages.portalId, portalId), ne(messages.status, 'queued'))).orderBy(desc(messages.createdAt), desc(messages.id)).limit(200);
}

export async function findSandboxMessage(db: Database, portalId: string, id: string): Promise<Message | undefined> {
  const [m] = await db.select().from(messages).where(and(eq(messages.portalId, portalId), eq(messages.id, id)));
  return m;
}

/**
 * A delivered row is scrubbed of links and codes (src/notify/jobs.ts), so the mailbox shows the text
 * where it arrived: the sandbox mailer's copy of an e-mail, the portal's copy of a messenger
 * notification (found by its TAG). A row only recorded still holds its own text.
 */
export function asReceived(h: SandboxHandle, m: Message): Message {
  if (m.channel === 'email') {
    const mail = h.mailbox.get(m.id);
    return mail ? { ...m, subject: mail.subject, body: mail.text, html: mail.html ?? null } : m;
  }
  const tag = `b24sign|${m.id}`;
  const n = sandboxPortal(h).notifications.findLast((x) => String(x.params.TAG ?? '') === tag);
  return n ? { ...m, body: String(n.params.MESSAGE ?? m.body) } : m;
}

export interface TourState {
  sent: boolean;
  mail: boolean;
  signed: boolean;
  completed: boolean;
  /** The newest invitation whose recipient has not signed yet: step 4 opens it. */
  pendingInvitationId?: string;
}

export async function tourState(db: Database, portalId: string): Promise<TourState> {
  const envs = await db.select({ id: envelopes.id, status: envelopes.status }).from(envelopes).where(eq(envelopes.portalId, portalId));
  const sent = envs.some((e) => e.status !== 'draft');
  const completed = envs.some((e) => e.status === 'completed');
  const rs = envs.length
    ? await db.select({ id: recipients.id, status: recipients.status }).from(recipients).where(inArray(recipients.envelopeId, envs.map((e) => e.id)))
    : [];
  const signed = rs.some((r) => r.status === 'signed' || r.status === 'approved');
  const open = new Set(rs.filter((r) => r.status !== 'signed' && r.status !== 'approved' && r.status !== 'declined').map((r) => r.id));
  const mail = await db
    .select({ id: messages.id, template: messages.template, recipientId: messages.recipientId, channel: messages.channel })
    .from(messages)
    .where(eq(messages.portalId, portalId))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(200);
  const pending = mail.find((m) => m.channel === 'email' && m.template === 'invitation' && m.recipientId && open.has(m.recipientId));
  return { sent, mail: mail.length > 0, signed, completed, ...(pending ? { pendingInvitationId: pending.id } : {}) };
}
