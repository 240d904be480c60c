import { and, eq, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { sealedDocuments, type SealedParty } from '../../db/schema/sealed-documents.js';

/**
 * Sealed-document records: written by the signing flow at completion, read by the public verify
 * door. The two lookups are the one deliberate cross-portal read in the product: the keys are a
 * file's SHA-256 or an unguessable public id, and they return only the public projection below.
 */
export interface SealedDocumentSummary {
  publicId: string;
  title: string;
  status: string;
  lang: string;
  sha256: string;
  sealedAt: Date;
  signerName: string | null;
  development: boolean;
  timestamped: boolean;
  parties: SealedParty[];
}

export interface SealedDocumentLookup {
  bySha256(sha256Hex: string): Promise<SealedDocumentSummary | null>;
  byPublicId(publicId: string): Promise<SealedDocumentSummary | null>;
}

const publicColumns = {
  publicId: sealedDocuments.publicId,
  title: sealedDocuments.title,
  status: sealedDocuments.status,
  lang: sealedDocuments.lang,
  sha256: sealedDocuments.sha256,
  sealedAt: sealedDocuments.sealedAt,
  signerName: sealedDocuments.signerName,
  development: sealedDocuments.development,
  timestamped: sealedDocuments.timestamped,
  parties: sealedDocuments.parties,
};

export function createSealedDocumentLookup(db: DbOrTx): SealedDocumentLookup {
  return {
    async bySha256(sha256Hex) {
      const key = sha256Hex.toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(key)) return null;
      const [row] = await db.select(publicColumns).from(sealedDocuments).where(eq(sealedDocuments.sha256, key)).limit(1);
      if (row) return row;
      // The B-T file of a document whose long-term evidence was appended later (signing/long-term.ts).
      const [earlier] = await db.select(publicColumns).from(sealedDocuments).where(eq(sealedDocuments.earlierSha256, key)).limit(1);
      return earlier ?? null;
    },
    async byPublicId(publicId) {
      const [row] = await db.select(publicColumns).from(sealedDocuments).where(eq(sealedDocuments.publicId, publicId)).limit(1);
      return row ?? null;
    },
  };
}

export interface RecordSealedInput {
  id: string;
  portalId: string;
  envelopeId: string;
  publicId: string;
  sha256: string;
  /** SHA-256 of the original when the seal was appended to it (known-original.ts). */
  originalSha256?: string;
  title: string;
  lang?: string;
  /** Only names, roles, party kind and signing time: the door shows these to anyone. */
  parties: SealedParty[];
  signerName?: string;
  development: boolean;
  timestamped: boolean;
  sealedAt: Date;
  /** sealedAt + RETENTION_YEARS, computed by the caller from config. */
  retentionUntil: Date;
  pdf?: Uint8Array;
  storageKey?: string;
  sizeBytes: number;
}

/** Called by the signing flow in the same transaction that completes the envelope. */
export async function recordSealedDocument(db: DbOrTx, input: RecordSealedInput): Promise<void> {
  await db.insert(sealedDocuments).values({
    ...input,
    sha256: input.sha256.toLowerCase(),
    parties: input.parties.map((p) => ({ name: p.name, role: p.role, party: p.party, signedAt: p.signedAt })),
  });
}

/** Rows of a portal (e.g. its documents list); always filtered by portal. */
export async function listSealedDocuments(db: DbOrTx, params: { portalId: string }) {
  return db.select({ ...publicColumns, envelopeId: sealedDocuments.envelopeId }).from(sealedDocuments).where(eq(sealedDocuments.portalId, params.portalId));
}

/** Deletes records (and their PDFs) whose retention has passed; returns how many. */
export async function purgeExpiredSealedDocuments(db: DbOrTx, params: { now: Date; portalId?: string }): Promise<number> {
  const cond = params.portalId
    ? and(eq(sealedDocuments.portalId, params.portalId), lt(sealedDocuments.retentionUntil, params.now))
    : lt(sealedDocuments.retentionUntil, params.now);
  const rows = await db.delete(sealedDocuments).where(cond).returning({ id: sealedDocuments.id });
  return rows.length;
}

export function retentionUntil(sealedAt: Date, years: number): Date {
  const d = new Date(sealedAt);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/**
 * On uninstall a portal's sealed documents stay verifiable for `years` more: retention becomes
 * the later of what it was and now + years. Called by the uninstall cleanup.
 */
export async function extendRetentionOnUninstall(db: DbOrTx, params: { portalId: string; now: Date; years: number }): Promise<number> {
  const until = retentionUntil(params.now, params.years);
  const rows = await db
    .update(sealedDocuments)
    .set({ retentionUntil: sql`greatest(${sealedDocuments.retentionUntil}, ${until.toISOString()}::timestamptz)`, updatedAt: params.now })
    .where(eq(sealedDocuments.portalId, params.portalId))
    .returning({ id: sealedDocuments.id });
  return rows.length;
}
