import { eq } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { portals } from '../db/schema/index.js';

/**
 * What "delete app data" (ONAPPUNINSTALL with CLEAN=1) removes, one entry per table. Each feature
 * that stores portal data adds its own cleaner here (templates, draft envelopes, …), so uninstall
 * never needs to know every table. Rule for every cleaner: delete what only the portal itself
 * needs; KEEP sealed documents and their verification records (third parties rely on them) and
 * mark them with `ctx.retentionUntil` (= now + RETENTION_YEARS) instead.
 */
export interface PortalCleanupContext {
  portalId: string;
  now: Date;
  /** Sealed documents of this portal are kept until then, then a retention job may delete them. */
  retentionUntil: Date;
}

export interface PortalDataCleaner {
  /** Table or data set, for logs and the uninstall report. */
  name: string;
  /** Runs inside the uninstall transaction; returns how many rows it removed or marked. */
  run(tx: Tx, ctx: PortalCleanupContext): Promise<number>;
}

/** Portal settings (company signer defaults, branding, reminders) go back to empty. */
export const portalSettingsCleaner: PortalDataCleaner = {
  name: 'portal settings',
  async run(tx, ctx) {
    const rows = await tx.update(portals).set({ settings: {}, updatedAt: ctx.now }).where(eq(portals.id, ctx.portalId)).returning({ id: portals.id });
    return rows.length;
  },
};

/** The registry uninstall runs, in order. Append cleaners for new tables here. */
export const portalDataCleaners: PortalDataCleaner[] = [portalSettingsCleaner];
