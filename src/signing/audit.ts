import { and, asc, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { auditEvents, type AuditEvent, type AuditEventType } from '../db/schema/audit-events.js';
import { envelopes } from '../db/schema/envelopes.js';
import { queueTimelineReport } from '../timeline/hook.js';
import { canonicalJson, sha256Hex } from './hashing.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Who did it and from where; requests pass the caller's IP and user agent, jobs pass `system`. */
export interface Actor {
  actor: string;
  recipientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}
export const SYSTEM: Actor = { actor: 'system' };

type HashInput = Pick<AuditEvent, 'envelopeId' | 'seq' | 'type' | 'actor' | 'recipientId' | 'ip' | 'userAgent' | 'at' | 'data' | 'prevHash'>;

/** The hash covers every column a reader relies on, and the previous row's hash. */
export function auditHash(e: HashInput): Promise<string> {
  return sha256Hex(
    canonicalJson({
      envelopeId: e.envelopeId,
      seq: e.seq,
      type: e.type,
      actor: e.actor,
      recipientId: e.recipientId ?? null,
      ip: e.ip ?? null,
      userAgent: e.userAgent ?? null,
      at: e.at.toISOString(),
      data: e.data ?? {},
      prevHash: e.prevHash,
    }),
  );
}

/**
 * Appends one event. Callers run it inside the transaction that made the change, after locking
 * the envelope row (`lockEnvelope`), so two writers never pick the same `seq`; the unique index
 * on (envelope_id, seq) backs that up.
 */
export async function appendAudit(
  tx: DbOrTx,
  p: { portalId: string; envelopeId: string; type: AuditEventType; who: Actor; at: Date; data?: Record<string, unknown> },
): Promise<AuditEvent> {
  const [last] = await tx
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .where(and(eq(auditEvents.portalId, p.portalId), eq(auditEvents.envelopeId, p.envelopeId)))
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  // Millisecond precision: PostgreSQL keeps microseconds, JS Dates keep milliseconds, and the
  // hash must be recomputable from what we read back.
  const at = new Date(Math.floor(p.at.getTime()));
  const row: HashInput = {
    envelopeId: p.envelopeId,
    seq: (last?.seq ?? 0) + 1,
    type: p.type,
    actor: p.who.actor,
    recipientId: p.who.recipientId ?? null,
    ip: p.who.ip ?? null,
    userAgent: p.who.userAgent ?? null,
    at,
    data: p.data ?? {},
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const hash = await auditHash(row);
  const [inserted] = await tx.insert(auditEvents).values({ ...row, portalId: p.portalId, hash }).returning();
  await tx
    .update(envelopes)
    .set({ auditHead: hash, auditCount: row.seq })
    .where(and(eq(envelopes.portalId, p.portalId), eq(envelopes.id, p.envelopeId)));
  // Hook for the CRM timeline and robot replies (issue 7): queued in this transaction, so a status
  // change and its report commit together.
  await queueTimelineReport(tx, { portalId: p.portalId, envelopeId: p.envelopeId, seq: row.seq, type: p.type, at });
  return inserted!;
}

export async function listAudit(db: DbOrTx, p: { portalId: string; envelopeId: string }): Promise<AuditEvent[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.portalId, p.portalId), eq(auditEvents.envelopeId, p.envelopeId)))
    .orderBy(asc(auditEvents.seq));
}

export type ChainVerdict =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; firstBadSeq: number; reason: 'hash_mismatch' | 'broken_link' | 'gap' | 'truncated' };

/**
 * Pure check of a chain already read: the first row whose hash, link or sequence is off. With the
 * head the envelope recorded, rows missing from the end are caught too.
 */
export async function verifyChainRows(rows: AuditEvent[], expected?: { head: string | null; count: number }): Promise<ChainVerdict> {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const r of rows) {
    if (r.seq !== expectedSeq) return { ok: false, count: rows.length, firstBadSeq: expectedSeq, reason: 'gap' };
    if (r.prevHash !== prev) return { ok: false, count: rows.length, firstBadSeq: r.seq, reason: 'broken_link' };
    if ((await auditHash(r)) !== r.hash) return { ok: false, count: rows.length, firstBadSeq: r.seq, reason: 'hash_mismatch' };
    prev = r.hash;
    expectedSeq++;
  }
  if (expected && (expected.count > rows.length || (expected.count === rows.length && expected.head !== null && expected.head !== prev))) {
    return { ok: false, count: rows.length, firstBadSeq: rows.length + 1, reason: 'truncated' };
  }
  return { ok: true, count: rows.length, head: prev };
}

/** Reads an envelope's events and verifies the chain; finds the first tampered (or missing) row. */
export async function verifyAuditChain(db: DbOrTx, p: { portalId: string; envelopeId: string }): Promise<ChainVerdict> {
  const [env] = await db
    .select({ head: envelopes.auditHead, count: envelopes.auditCount })
    .from(envelopes)
    .where(and(eq(envelopes.portalId, p.portalId), eq(envelopes.id, p.envelopeId)));
  return verifyChainRows(await listAudit(db, p), env);
}
