import { and, eq } from 'drizzle-orm';
import { canReadItem, crmBatchCommands } from '../documents/crm-data.js';
import { envelopes } from '../db/schema/envelopes.js';
import type { BatchCommand } from '../bitrix24/types.js';
import { AppError } from '../lib/app-error.js';
import type { Services } from '../services.js';
import type { Person } from './person.js';
import { canManage, demand, forbidden, seesWithoutCrm, type Access, type EnvelopeFacts } from './policy.js';

/** A CRM item: its type and id. */
export type CrmRef = { entityTypeId: number; entityId: number };
export const refKey = (r: CrmRef) => `${r.entityTypeId}:${r.entityId}`;

/**
 * The CRM items of `refs` this person can open in Bitrix24, asked with their own token in
 * one batch (one read per item, ≤ 50 a chunk). Portal administrators read everything; a session
 * without its own token (issued before per-user reads) reads nothing for a non-admin.
 */
export async function readableItems(services: Pick<Services, 'bitrix24'>, session: Pick<Person, 'portalId' | 'userId' | 'isAdmin' | 'sid'>, refs: readonly CrmRef[]): Promise<Set<string>> {
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).values()];
  if (!unique.length) return new Set();
  if (session.isAdmin && !session.sid) return new Set(unique.map(refKey));
  if (!session.sid) return new Set();
  const client = services.bitrix24.asUser({ sessionId: session.sid, portalId: session.portalId, userId: session.userId });
  if (unique.length === 1) return (await canReadItem(client, unique[0]!)) ? new Set([refKey(unique[0]!)]) : new Set();
  const cmds: Record<string, BatchCommand> = {};
  unique.forEach((r, i) => (cmds[`r${i}`] = crmBatchCommands(r).item!));
  const res = await client.batch(cmds, { halt: false });
  const out = new Set<string>();
  unique.forEach((r, i) => {
    const key = `r${i}`;
    if (res.result[key] !== undefined && res.result[key] !== null && !res.errors[key]) out.add(refKey(r));
    else {
      const code = res.errors[key]?.error ?? '';
      // Refused or gone: not readable. Anything else (limits, outages) must not hide documents silently.
      if (code && code !== 'ACCESS_DENIED' && code !== 'NOT_FOUND' && code !== 'ERROR_NOT_FOUND') {
        throw new AppError('BITRIX24_UNREACHABLE', 'Bitrix24 is not answering right now. Please try again in a minute.', { bitrix24: code });
      }
    }
  });
  return out;
}

const refOf = (e: EnvelopeFacts): CrmRef | null => (e.crmEntityTypeId && e.crmEntityId ? { entityTypeId: e.crmEntityTypeId, entityId: e.crmEntityId } : null);

/** Whether the person sees the envelope: without Bitrix24 when the rules say so, else by the item's rights. */
export async function sees(services: Pick<Services, 'bitrix24'>, session: Pick<Person, 'portalId' | 'userId' | 'isAdmin' | 'sid'>, a: Access, e: EnvelopeFacts): Promise<boolean> {
  if (a.role === 'none') return false;
  if (seesWithoutCrm(a, e)) return true;
  const ref = refOf(e);
  return ref ? (await readableItems(services, session, [ref])).has(refKey(ref)) : false;
}

async function factsOf(db: Services['db'], p: { portalId: string; envelopeId: string }): Promise<EnvelopeFacts> {
  const [row] = await db
    .select({ createdByUserId: envelopes.createdByUserId, crmEntityTypeId: envelopes.crmEntityTypeId, crmEntityId: envelopes.crmEntityId })
    .from(envelopes)
    .where(and(eq(envelopes.portalId, p.portalId), eq(envelopes.id, p.envelopeId)));
  if (!row) throw new AppError('NOT_FOUND', 'No such envelope.');
  return row;
}

/** 404 when the envelope is not on the person's portal; 403 NOT_VISIBLE when the person may not see it. */
export async function demandSees(services: Pick<Services, 'db' | 'bitrix24'>, person: Person, a: Access, envelopeId: string): Promise<void> {
  demand(a, person, 'viewer');
  const e = await factsOf(services.db, { portalId: person.portalId, envelopeId });
  if (!(await sees(services, person, a, e))) throw forbidden(person.lang, 'NOT_VISIBLE');
}

/** 403 unless the person may resend, void, send or change this envelope (own; a manager's people; admin). */
export async function demandManages(services: Pick<Services, 'db' | 'bitrix24'>, person: Person, a: Access, envelopeId: string): Promise<void> {
  demand(a, person, 'sender');
  const e = await factsOf(services.db, { portalId: person.portalId, envelopeId });
  if (!canManage(a, e)) {
    if (!(await sees(services, person, a, e))) throw forbidden(person.lang, 'NOT_VISIBLE');
    throw forbidden(person.lang, 'NOT_YOURS', { role: a.role });
  }
}

/** A sender may create documents only on CRM items they can open. */
export async function demandItemReadable(services: Pick<Services, 'bitrix24'>, person: Person, ref: CrmRef, rule: 'ITEM_NOT_READABLE' | 'NOT_VISIBLE' = 'ITEM_NOT_READABLE'): Promise<void> {
  if (!(await readableItems(services, person, [ref])).has(refKey(ref))) throw forbidden(person.lang, rule);
}
