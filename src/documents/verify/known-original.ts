import { desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { sealedDocuments } from '../../db/schema/sealed-documents.js';

/**
 * "Is this file the original of something we sealed?" An upload or document-generator PDF is
 * sealed by appending to it (seal/incremental.ts), so its SHA-256 is recorded with the sealed
 * document: whoever holds the original can show that the sealed file begins with exactly its bytes.
 * Like the other verify lookups, a deliberate cross-portal read keyed by a file hash, returning only
 * public fields. Kept apart from sealed-documents.ts so the verifier itself is unchanged.
 */
export interface KnownOriginal {
  publicId: string;
  title: string;
  status: string;
  sealedAt: Date;
  /** SHA-256 of the sealed file that starts with these bytes. */
  sealedSha256: string;
}

export async function findSealedByOriginal(db: DbOrTx, sha256Hex: string): Promise<KnownOriginal[]> {
  const key = sha256Hex.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(key)) return [];
  return db
    .select({ publicId: sealedDocuments.publicId, title: sealedDocuments.title, status: sealedDocuments.status, sealedAt: sealedDocuments.sealedAt, sealedSha256: sealedDocuments.sha256 })
    .from(sealedDocuments)
    .where(eq(sealedDocuments.originalSha256, key))
    .orderBy(desc(sealedDocuments.sealedAt))
    .limit(5);
}
