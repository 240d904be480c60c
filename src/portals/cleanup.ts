import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { auditEvents, cardPrefs, envelopes, pdfFiles, portals, sealedDocuments, templates } from '../db/schema/index.js';

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

/** Templates and the PDFs uploaded for them (or fetched from the document generator). */
export const templatesCleaner: PortalDataCleaner = {
  name: 'templates',
  async run(tx, ctx) {
    const t = await tx.delete(templates).where(eq(templates.portalId, ctx.portalId)).returning({ id: templates.id });
    const f = await tx.delete(pdfFiles).where(eq(pdfFiles.portalId, ctx.portalId)).returning({ id: pdfFiles.id });
    return t.length + f.length;
  },
};

/** "Same as last time" preferences. */
export const cardPrefsCleaner: PortalDataCleaner = {
  name: 'card preferences',
  async run(tx, ctx) {
    return (await tx.delete(cardPrefs).where(eq(cardPrefs.portalId, ctx.portalId)).returning({ kind: cardPrefs.kind })).length;
  },
};

/**
 * Drafts were never sent: nobody outside the portal relies on them. Sent, running and finished
 * envelopes stay (signers hold links; sealing may still complete them).
 */
export const draftEnvelopesCleaner: PortalDataCleaner = {
  name: 'draft envelopes',
  async run(tx, ctx) {
    const drafts = await tx
      .delete(envelopes)
      .where(and(eq(envelopes.portalId, ctx.portalId), eq(envelopes.status, 'draft')))
      .returning({ id: envelopes.id });
    if (drafts.length) {
      // recipients and field_values go by cascade; the audit chain of a draft has no other owner.
      await tx.delete(auditEvents).where(and(eq(auditEvents.portalId, ctx.portalId), inArray(auditEvents.envelopeId, drafts.map((d) => d.id))));
    }
    return drafts.length;
  },
};

/** Sealed documents are KEPT: their retention clock restarts at the uninstall. */
export const sealedDocumentsRetention: PortalDataCleaner = {
  name: 'sealed documents (kept until retention ends)',
  async run(tx, ctx) {
    const rows = await tx
      .update(sealedDocuments)
      .set({ retentionUntil: ctx.retentionUntil, updatedAt: ctx.now })
      .where(eq(sealedDocuments.portalId, ctx.portalId))
      .returning({ id: sealedDocuments.id });
    return rows.length;
  },
};

/** The registry uninstall runs, in order. Append cleaners for new tables here. */
export const portalDataCleaners: PortalDataCleaner[] = [portalSettingsCleaner, templatesCleaner, cardPrefsCleaner, draftEnvelopesCleaner, sealedDocumentsRetention];
