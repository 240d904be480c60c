import { and, eq, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { portals } from '../db/schema/index.js';
import { portalDataCleaners, type PortalDataCleaner } from './cleanup.js';

export interface UninstallResult {
  /** false when the portal was already uninstalled (a replay changes nothing). */
  changed: boolean;
  cleaned: { name: string; rows: number }[];
}

/**
 * ONAPPUNINSTALL, after its application_token was checked: Bitrix24 has already revoked our API
 * access, so every stored token goes at once (the application_token too: a replayed uninstall or
 * a late event then fails authentication). The row itself stays, keyed by member_id, so a
 * reinstall finds the same portal id and the documents kept for retention stay attached.
 * With `clean`, each registered cleaner removes its table's data for this portal.
 */
export async function uninstallPortal(
  db: Database,
  p: { portalId: string; clean: boolean; now: Date; retentionYears: number; cleaners?: PortalDataCleaner[] },
): Promise<UninstallResult> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(portals)
      .set({
        status: 'uninstalled',
        accessToken: null,
        refreshToken: null,
        expiresAt: null,
        applicationTokenDigest: null,
        tokenVersion: sql`${portals.tokenVersion} + 1`,
        // Every session issued before this moment dies with it, even after a reinstall (src/http/session.ts).
        installGeneration: sql`${portals.installGeneration} + 1`,
        uninstalledAt: p.now,
        updatedAt: p.now,
      })
      .where(and(eq(portals.id, p.portalId), ne(portals.status, 'uninstalled')))
      .returning({ id: portals.id });
    if (rows.length === 0) return { changed: false, cleaned: [] };
    const cleaned: UninstallResult['cleaned'] = [];
    if (p.clean) {
      const retentionUntil = new Date(p.now);
      retentionUntil.setUTCFullYear(retentionUntil.getUTCFullYear() + p.retentionYears);
      for (const cleaner of p.cleaners ?? portalDataCleaners) {
        cleaned.push({ name: cleaner.name, rows: await cleaner.run(tx, { portalId: p.portalId, now: p.now, retentionUntil }) });
      }
    }
    return { changed: true, cleaned };
  });
}
