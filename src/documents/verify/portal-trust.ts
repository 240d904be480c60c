import { eq, or } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { portalSealCertificates } from '../../db/schema/portal-settings.js';
import { sealedDocuments } from '../../db/schema/sealed-documents.js';
import { fromBase64 } from '../../lib/token-keyring.js';

/**
 * A portal that sealed with its own certificate (src/settings/): the verify door trusts that
 * certificate's chain only for a file that IS one of that portal's sealed documents (its SHA-256,
 * or its B-T hash before long-term evidence, is that portal's `sealed_documents` record). Any other
 * file — another portal's document, a file signed elsewhere with the same key — is checked against
 * the platform roots alone, so one portal's upload can never vouch for anyone else's documents.
 * Every certificate the portal has used counts (retired ones too: documents they sealed stay valid).
 */
export interface PortalTrust {
  portalId: string;
  /** The top of each chain. */
  roots: Uint8Array[];
  /** Each chain's leaf: a signature by one of these that chains to `roots` is "ours". */
  leaves: Uint8Array[];
}

export async function portalTrustForSha256(db: DbOrTx, sha256Hex: string): Promise<PortalTrust | null> {
  const key = sha256Hex.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(key)) return null;
  const [doc] = await db
    .select({ portalId: sealedDocuments.portalId })
    .from(sealedDocuments)
    .where(or(eq(sealedDocuments.sha256, key), eq(sealedDocuments.earlierSha256, key)))
    .limit(1);
  if (!doc) return null;
  const rows = await db.select({ chain: portalSealCertificates.chain }).from(portalSealCertificates).where(eq(portalSealCertificates.portalId, doc.portalId)).limit(50);
  const roots: Uint8Array[] = [];
  const leaves: Uint8Array[] = [];
  for (const r of rows) {
    const ders = r.chain.map((b) => fromBase64(b)).filter((d): d is Uint8Array<ArrayBuffer> => Boolean(d));
    if (!ders.length) continue;
    leaves.push(ders[0]!);
    roots.push(ders[ders.length - 1]!);
  }
  return leaves.length ? { portalId: doc.portalId, roots, leaves } : null;
}
