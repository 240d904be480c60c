import { eq } from 'drizzle-orm';
import { readPortalTokens } from '../helpers/portal-tokens.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, cardPrefs, envelopes, pdfFiles, portals, recipients, sealedDocuments, templates } from '../../src/db/schema/index.js';
import { upsertInstalledPortal } from '../../src/portals/store.js';
import { uninstallPortal } from '../../src/portals/uninstall.js';
import { createTestServices } from '../helpers/services.js';

const TIMERS = { reminderFirstDays: 3, reminderEveryDays: 3, reminderMax: 3, expiryDays: 30 };

describe('uninstall with CLEAN=1: what goes, what stays', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  beforeAll(async () => {
    services = await createTestServices();
  });
  afterAll(() => services.testDb.close());

  async function seedPortal(tag: string) {
    const p = await upsertInstalledPortal(services.db, services.config.tokenKeyring, services.ids, {
      memberId: `member-${tag}`,
      domain: `${tag}.bitrix24.test`,
      clientEndpoint: `https://${tag}.bitrix24.test/rest/`,
      applicationToken: `app-${tag}`,
      tokens: { accessToken: `a-${tag}`, refreshToken: `r-${tag}`, expiresAt: null },
      now: new Date('2026-01-01T00:00:00Z'),
    });
    await services.db.update(portals).set({ settings: { companySignerUserId: 3 } }).where(eq(portals.id, p.id));
    await services.db.insert(templates).values({ id: `tpl_${tag}`, portalId: p.id, name: 'NDA', kind: 'contract' as never, language: 'en', source: { type: 'builtin' } as never });
    await services.db.insert(pdfFiles).values({ id: `upl_${tag}`, portalId: p.id, origin: 'upload' });
    await services.db.insert(cardPrefs).values({ portalId: p.id, kind: 'contract', templateId: `tpl_${tag}`, templateName: 'NDA' });
    for (const status of ['draft', 'sent'] as const) {
      const id = `env_${tag}_${status}`;
      await services.db.insert(envelopes).values({ id, portalId: p.id, title: `${status} doc`, status, timers: TIMERS, publicId: `pub-${tag}-${status}` });
      await services.db.insert(recipients).values({ id: `rcp_${tag}_${status}`, portalId: p.id, envelopeId: id, role: 'signer', party: 'client', signOrder: 1, name: 'Ann', email: 'ann@example.com' } as never);
      await services.db.insert(auditEvents).values({ portalId: p.id, envelopeId: id, seq: 1, type: 'created', actor: 'system', at: new Date(), prevHash: '0', hash: `h-${id}` });
    }
    await services.db.insert(sealedDocuments).values({
      id: `doc_${tag}`, portalId: p.id, envelopeId: `env_${tag}_sent`, publicId: `seal-${tag}`, sha256: `${tag}`.padEnd(64, '0'), title: 'Signed',
      sealedAt: new Date('2025-06-01T00:00:00Z'), retentionUntil: new Date('2030-06-01T00:00:00Z'), sizeBytes: 10,
    });
    return p;
  }

  const count = async (portalId: string) => ({
    templates: (await services.db.select().from(templates).where(eq(templates.portalId, portalId))).length,
    pdfFiles: (await services.db.select().from(pdfFiles).where(eq(pdfFiles.portalId, portalId))).length,
    cardPrefs: (await services.db.select().from(cardPrefs).where(eq(cardPrefs.portalId, portalId))).length,
    envelopes: (await services.db.select({ s: envelopes.status }).from(envelopes).where(eq(envelopes.portalId, portalId))).map((e) => e.s).sort(),
    audit: (await services.db.select().from(auditEvents).where(eq(auditEvents.portalId, portalId))).length,
    sealed: (await services.db.select().from(sealedDocuments).where(eq(sealedDocuments.portalId, portalId))).map((d) => d.retentionUntil.toISOString()),
  });

  it('deletes templates, uploads, preferences, settings and drafts; keeps sent envelopes and sealed documents for RETENTION_YEARS; other portals untouched', async () => {
    const a = await seedPortal('a');
    const b = await seedPortal('b');
    const bBefore = await count(b.id);
    const now = new Date('2026-11-27T12:00:00Z');
    const res = await uninstallPortal(services.db, { portalId: a.id, clean: true, now, retentionYears: 5 });
    expect(res.changed).toBe(true);
    expect(res.cleaned.map((c) => [c.name, c.rows])).toEqual([
      ['portal settings', 1],
      ['templates', 2],
      ['card preferences', 1],
      ['draft envelopes', 1],
      ['sealed documents (kept until retention ends)', 1],
    ]);
    expect(await count(a.id)).toEqual({ templates: 0, pdfFiles: 0, cardPrefs: 0, envelopes: ['sent'], audit: 1, sealed: ['2031-11-27T12:00:00.000Z'] });
    expect((await services.db.select().from(recipients).where(eq(recipients.envelopeId, 'env_a_draft')))).toHaveLength(0);
    const [row] = await services.db.select().from(portals).where(eq(portals.id, a.id));
    expect(row).toMatchObject({ settings: {}, status: 'uninstalled', accessToken: null, refreshToken: null, applicationTokenDigest: null });
    expect(await count(b.id)).toEqual(bBefore);

    // A second (replayed) uninstall is a no-op.
    expect(await uninstallPortal(services.db, { portalId: a.id, clean: true, now, retentionYears: 5 })).toEqual({ changed: false, cleaned: [] });
  });

  it('without CLEAN nothing but the tokens goes', async () => {
    const c = await seedPortal('c');
    const before = await count(c.id);
    const res = await uninstallPortal(services.db, { portalId: c.id, clean: false, now: new Date(), retentionYears: 5 });
    expect(res).toEqual({ changed: true, cleaned: [] });
    expect(await count(c.id)).toEqual(before);
  });

  it('a failing cleaner rolls the whole uninstall back (tokens included)', async () => {
    const d = await seedPortal('d');
    await expect(
      uninstallPortal(services.db, {
        portalId: d.id, clean: true, now: new Date(), retentionYears: 5,
        cleaners: [{ name: 'boom', run: async () => { throw new Error('boom'); } }],
      }),
    ).rejects.toThrow('boom');
    const [row] = await services.db.select().from(portals).where(eq(portals.id, d.id));
    expect(row).toMatchObject({ status: 'installed' });
    const tokens = await readPortalTokens(services.db, { portalId: d.id });
    expect(tokens.accessToken).toBe('a-d');
    expect(await tokens.appTokenIs('app-d')).toBe(true);
  });
});
