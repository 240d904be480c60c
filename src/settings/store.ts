import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../db/client.js';
import { portals, type PortalSettings } from '../db/schema/portals.js';
import { portalLogos, portalSealCertificates, settingsChanges, type PortalSealCertificate } from '../db/schema/portal-settings.js';
import { loadPkcs12 } from '../documents/certificates/pkcs12.js';
import { OID, describeName, nameAttribute, parseCertificate } from '../documents/seal/der.js';
import { AppError } from '../lib/app-error.js';
import { sha256HexOf } from '../lib/digest.js';
import { fromBase64, toBase64Url, type TokenKeyring } from '../lib/token-keyring.js';
import { LANGS } from '../i18n/index.js';
import { imageSize, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from '../signing/image-size.js';
import type { Services } from '../services.js';

/**
 * A portal's settings (issue 17 item 4): the ordinary ones live in `portals.settings` (the timer
 * defaults there are what resolveTimers already reads), the seal certificate in
 * `portal_seal_certificates` (PKCS#12 and passphrase sealed with TOKEN_ENCRYPTION_KEYS), the logo in
 * `portal_logos`. Every change writes a `settings_changes` row: who, when, before → after — a
 * certificate by its public description and fingerprint, a logo by its hash, never a secret.
 */

/** The PKCS#12 file as uploaded (base64 in JSON); real ones are a few KB. */
export const MAX_P12_BYTES = 64 * 1024;
/** The logo file; its pixels are capped like signature images (image-size.ts) and further below. */
export const MAX_LOGO_BYTES = 256 * 1024;
export const MAX_LOGO_SIDE = 2048;
/** Days before expiry from which the settings page warns. */
export const EXPIRY_WARNING_DAYS = 30;

const ZDays = (max: number, min = 1) => z.number().int().min(min).max(max).nullable();

/** What PUT /api/settings may change; null clears a setting (back to the platform default). */
export const ZSettingsPatch = z
  .object({
    companySignerUserId: z.number().int().positive().max(2_147_483_647).nullable(),
    reminderFirstDays: ZDays(90),
    reminderEveryDays: ZDays(90),
    reminderMax: ZDays(20, 0),
    expiryDays: ZDays(365),
    senderName: z.string().trim().min(1).max(100).nullable(),
    languages: z.array(z.enum(LANGS)).min(1).max(LANGS.length).nullable(),
    tsaUrl: z
      .url()
      .max(500)
      .refine((u) => /^https?:\/\//i.test(u), 'an http(s) URL')
      .nullable(),
  })
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof ZSettingsPatch>;
export const SETTING_KEYS = ['companySignerUserId', 'reminderFirstDays', 'reminderEveryDays', 'reminderMax', 'expiryDays', 'senderName', 'languages', 'tsaUrl'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export interface Actor {
  userId: number;
  ip?: string | null;
}

export interface CertificateView {
  id: string;
  subject: string;
  commonName: string;
  company: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  leafSha256: string;
  /** Whole days left (negative once expired). */
  daysLeft: number;
  expiringSoon: boolean;
  expired: boolean;
  /** What the seal's /Name says. */
  sealName: string;
}

export const sealNameOf = (company: string) => `${company} via b24-sign`;

/**
 * The sender name is stored as `branding.name`, the brand the invitations already fall back to when
 * the CRM names no company of ours (src/signing/invitations.ts); every other key under its own name.
 */
function settingOf(s: PortalSettings, k: SettingKey): unknown {
  return k === 'senderName' ? s.branding?.name : s[k];
}

function putSetting(s: PortalSettings, k: SettingKey, value: unknown): void {
  if (k === 'senderName') {
    const { name: _old, ...rest } = s.branding ?? {};
    if (value === null || value === undefined) {
      if (Object.keys(rest).length) s.branding = rest;
      else delete s.branding;
    } else s.branding = { ...rest, name: value as string };
    return;
  }
  if (value === null || value === undefined) delete s[k];
  else (s as Record<string, unknown>)[k] = value;
}

export function pickSettings(s: PortalSettings): Partial<Record<SettingKey, unknown>> {
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const k of SETTING_KEYS) {
    const v = settingOf(s, k);
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

export async function readPortalSettings(db: DbOrTx, portalId: string): Promise<PortalSettings> {
  const [p] = await db.select({ settings: portals.settings }).from(portals).where(eq(portals.id, portalId)).limit(1);
  if (!p) throw new AppError('NOT_FOUND', 'No such portal.');
  return p.settings ?? {};
}

async function audit(db: DbOrTx, portalId: string, actor: Actor, at: Date, setting: string, before: unknown, after: unknown) {
  await db.insert(settingsChanges).values({ portalId, actorUserId: actor.userId, at, setting, before: before ?? null, after: after ?? null, ip: actor.ip ?? null });
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Applies a patch: one audit row per setting that really changes. Returns the settings after. */
export async function updateSettings(services: Pick<Services, 'db' | 'clock'>, portalId: string, patch: SettingsPatch, actor: Actor): Promise<PortalSettings> {
  const at = services.clock.now();
  return services.db.transaction(async (tx) => {
    const [row] = await tx.select({ settings: portals.settings }).from(portals).where(eq(portals.id, portalId)).for('update');
    if (!row) throw new AppError('NOT_FOUND', 'No such portal.');
    const next: PortalSettings = { ...(row.settings ?? {}) };
    for (const k of SETTING_KEYS) {
      if (!(k in patch)) continue;
      const value = patch[k];
      const before = settingOf(next, k);
      if (same(before, value)) continue;
      putSetting(next, k, value);
      await audit(tx, portalId, actor, at, k, before, value);
    }
    await tx.update(portals).set({ settings: next, updatedAt: at }).where(eq(portals.id, portalId));
    return next;
  });
}

function describe(row: PortalSealCertificate, now: Date): CertificateView {
  const daysLeft = Math.floor((row.notAfter.getTime() - now.getTime()) / 86_400_000);
  return {
    id: row.id,
    subject: row.subject,
    commonName: row.commonName,
    company: row.company,
    issuer: row.issuer,
    notBefore: row.notBefore.toISOString(),
    notAfter: row.notAfter.toISOString(),
    leafSha256: row.leafSha256,
    daysLeft,
    expired: row.notAfter <= now,
    expiringSoon: row.notAfter > now && daysLeft < EXPIRY_WARNING_DAYS,
    sealName: sealNameOf(row.company),
  };
}

/** Public description for the audit log: never the key, the file or the passphrase. */
const auditView = (v: CertificateView) => ({ subject: v.subject, issuer: v.issuer, notAfter: v.notAfter, sha256: v.leafSha256 });

export async function activeCertificate(db: DbOrTx, portalId: string): Promise<PortalSealCertificate | null> {
  const [row] = await db
    .select()
    .from(portalSealCertificates)
    .where(and(eq(portalSealCertificates.portalId, portalId), eq(portalSealCertificates.active, true)))
    .orderBy(desc(portalSealCertificates.createdAt))
    .limit(1);
  return row ?? null;
}

export async function certificateView(db: DbOrTx, portalId: string, now: Date): Promise<CertificateView | null> {
  const row = await activeCertificate(db, portalId);
  return row ? describe(row, now) : null;
}

/**
 * Validates an uploaded PKCS#12 with the seal loader (CERT_* errors: wrong passphrase, expired, not
 * yet valid, unfit key, legacy encryption, missing chain) and makes it the portal's seal. The file
 * and passphrase are sealed at rest; the previous certificate is retired (its secrets wiped, its
 * public chain kept for the verifier).
 */
export async function setCertificate(
  services: Pick<Services, 'db' | 'clock' | 'ids'> & { config: { tokenKeyring: TokenKeyring } },
  portalId: string,
  input: { p12Base64: string; passphrase: string },
  actor: Actor,
): Promise<CertificateView> {
  const bytes = fromBase64(input.p12Base64.replace(/\s+/g, ''));
  if (!bytes || bytes.length === 0) throw new AppError('VALIDATION_FAILED', 'p12: the certificate file must be sent as base64.');
  if (bytes.length > MAX_P12_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', `The certificate file is larger than ${MAX_P12_BYTES / 1024} KB.`, { limit: MAX_P12_BYTES });
  const now = services.clock.now();
  const identity = await loadPkcs12(bytes, input.passphrase, { now, source: 'upload' });
  const leaf = parseCertificate(identity.chain[0]!);
  const keyring = services.config.tokenKeyring;
  const company = nameAttribute(leaf.subject, OID.organization) ?? identity.subjectCommonName;
  const row = {
    id: services.ids.newId('cert'),
    portalId,
    leafSha256: await sha256HexOf(identity.chain[0]!),
    chain: identity.chain.map((c) => toBase64Url(c)),
    subject: identity.subject,
    commonName: identity.subjectCommonName,
    company: company.slice(0, 200),
    issuer: describeName(leaf.issuer),
    notBefore: identity.notBefore,
    notAfter: identity.notAfter,
    p12Sealed: await keyring.seal(toBase64Url(bytes), 'seal_p12', portalId),
    passphraseSealed: await keyring.seal(input.passphrase, 'seal_passphrase', portalId),
    active: true,
    addedByUserId: actor.userId,
    createdAt: now,
    updatedAt: now,
  };
  return services.db.transaction(async (tx) => {
    await tx.select({ id: portals.id }).from(portals).where(eq(portals.id, portalId)).for('update');
    const before = await activeCertificate(tx, portalId);
    if (before) await retire(tx, before.id, now);
    const [inserted] = await tx.insert(portalSealCertificates).values(row).returning();
    const view = describe(inserted!, now);
    await audit(tx, portalId, actor, now, 'sealCertificate', before ? auditView(describe(before, now)) : null, auditView(view));
    return view;
  });
}

async function retire(tx: DbOrTx, id: string, now: Date) {
  await tx.update(portalSealCertificates).set({ active: false, p12Sealed: null, passphraseSealed: null, retiredAt: now, updatedAt: now }).where(eq(portalSealCertificates.id, id));
}

/** Back to the platform seal. */
export async function removeCertificate(services: Pick<Services, 'db' | 'clock'>, portalId: string, actor: Actor): Promise<boolean> {
  const now = services.clock.now();
  return services.db.transaction(async (tx) => {
    await tx.select({ id: portals.id }).from(portals).where(eq(portals.id, portalId)).for('update');
    const before = await activeCertificate(tx, portalId);
    if (!before) return false;
    await retire(tx, before.id, now);
    await audit(tx, portalId, actor, now, 'sealCertificate', auditView(describe(before, now)), null);
    return true;
  });
}

export interface LogoView {
  kind: 'png' | 'jpeg';
  width: number;
  height: number;
  sha256: string;
}

export async function logoOf(db: DbOrTx, portalId: string): Promise<(LogoView & { image: Uint8Array }) | null> {
  const [row] = await db.select().from(portalLogos).where(eq(portalLogos.portalId, portalId)).limit(1);
  return row ? { kind: row.kind, width: row.width, height: row.height, sha256: row.sha256, image: row.image } : null;
}

/** PNG or JPEG, ≤ MAX_LOGO_BYTES and ≤ MAX_LOGO_SIDE px a side (checked from the header, never decoded here). */
export async function setLogo(services: Pick<Services, 'db' | 'clock'>, portalId: string, imageBase64: string, actor: Actor): Promise<LogoView> {
  const bytes = fromBase64(imageBase64.replace(/^data:image\/[a-z]+;base64,/, '').replace(/\s+/g, ''));
  if (!bytes || bytes.length === 0) throw new AppError('VALIDATION_FAILED', 'image: the logo must be sent as base64.');
  if (bytes.length > MAX_LOGO_BYTES) throw new AppError('IMAGE_TOO_LARGE', `The logo is larger than ${MAX_LOGO_BYTES / 1024} KB.`, { limit: MAX_LOGO_BYTES });
  const size = imageSize(bytes);
  if (!size) throw new AppError('VALIDATION_FAILED', 'image: the logo must be a PNG or JPEG file.');
  if (size.width > Math.min(MAX_IMAGE_SIDE, MAX_LOGO_SIDE) || size.height > Math.min(MAX_IMAGE_SIDE, MAX_LOGO_SIDE) || size.width * size.height > MAX_IMAGE_PIXELS || !size.width || !size.height) {
    throw new AppError('IMAGE_TOO_LARGE', `The logo is ${size.width}×${size.height} pixels; at most ${MAX_LOGO_SIDE}×${MAX_LOGO_SIDE} is accepted.`, { width: size.width, height: size.height });
  }
  const now = services.clock.now();
  const view: LogoView = { kind: size.kind, width: size.width, height: size.height, sha256: await sha256HexOf(bytes) };
  await services.db.transaction(async (tx) => {
    const before = await logoOf(tx, portalId);
    await tx
      .insert(portalLogos)
      .values({ portalId, image: bytes, ...view, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: portalLogos.portalId, set: { image: bytes, ...view, updatedAt: now } });
    await audit(tx, portalId, actor, now, 'logo', before ? { sha256: before.sha256, width: before.width, height: before.height } : null, { sha256: view.sha256, width: view.width, height: view.height });
  });
  return view;
}

export async function removeLogo(services: Pick<Services, 'db' | 'clock'>, portalId: string, actor: Actor): Promise<boolean> {
  const now = services.clock.now();
  return services.db.transaction(async (tx) => {
    const [gone] = await tx.delete(portalLogos).where(eq(portalLogos.portalId, portalId)).returning({ sha256: portalLogos.sha256, width: portalLogos.width, height: portalLogos.height });
    if (gone) await audit(tx, portalId, actor, now, 'logo', gone, null);
    return Boolean(gone);
  });
}

export async function listSettingsChanges(db: DbOrTx, portalId: string, limit = 100) {
  return db
    .select({ id: settingsChanges.id, actorUserId: settingsChanges.actorUserId, at: settingsChanges.at, setting: settingsChanges.setting, before: settingsChanges.before, after: settingsChanges.after, ip: settingsChanges.ip })
    .from(settingsChanges)
    .where(eq(settingsChanges.portalId, portalId))
    .orderBy(desc(settingsChanges.at), desc(settingsChanges.id))
    .limit(Math.min(Math.max(limit, 1), 500));
}

/**
 * What e-mails and the signing page show of the portal (settings page): its sender name and the
 * logo's absolute URL. One small read (no image bytes); a portal without a row gives nothing.
 */
export async function brandingOf(db: DbOrTx, portalId: string, publicUrl: string): Promise<{ senderName?: string; logoUrl?: string; languages?: string[] }> {
  const [row] = await db
    .select({ settings: portals.settings, logo: portalLogos.sha256 })
    .from(portals)
    .leftJoin(portalLogos, eq(portalLogos.portalId, portals.id))
    .where(eq(portals.id, portalId))
    .limit(1);
  if (!row) return {};
  const s = row.settings ?? {};
  return {
    ...(s.branding?.name?.trim() ? { senderName: s.branding.name.trim() } : {}),
    ...(row.logo ? { logoUrl: `${publicUrl}/logo/${encodeURIComponent(portalId)}/${row.logo}` } : {}),
    ...(Array.isArray(s.languages) && s.languages.length ? { languages: s.languages as string[] } : {}),
  };
}

/**
 * Key rotation for the portals' seal certificates, next to sealStoredTokens at start-up: every stored
 * PKCS#12 and passphrase not sealed with the first key of TOKEN_ENCRYPTION_KEYS is opened with the
 * key it names and sealed with the current one (compare-and-swap on the values read, so a concurrent
 * upload is never overwritten). After it, older keys may leave the list. Returns the rows rewritten.
 */
export async function resealPortalCertificates(db: DbOrTx, keyring: TokenKeyring): Promise<number> {
  const current = keyring.currentKeyId;
  if (!current) return 0;
  const rows = await db
    .select({ id: portalSealCertificates.id, portalId: portalSealCertificates.portalId, p12: portalSealCertificates.p12Sealed, pass: portalSealCertificates.passphraseSealed })
    .from(portalSealCertificates)
    .where(eq(portalSealCertificates.active, true));
  let rewritten = 0;
  for (const r of rows) {
    if (!r.p12 || !r.pass || (keyring.isCurrent(r.p12) && keyring.isCurrent(r.pass))) continue;
    const p12 = await keyring.seal(await keyring.open(r.p12, 'seal_p12', r.portalId), 'seal_p12', r.portalId);
    const pass = await keyring.seal(await keyring.open(r.pass, 'seal_passphrase', r.portalId), 'seal_passphrase', r.portalId);
    const done = await db
      .update(portalSealCertificates)
      .set({ p12Sealed: p12, passphraseSealed: pass })
      .where(and(eq(portalSealCertificates.id, r.id), eq(portalSealCertificates.p12Sealed, r.p12), eq(portalSealCertificates.passphraseSealed, r.pass)))
      .returning({ id: portalSealCertificates.id });
    rewritten += done.length;
  }
  return rewritten;
}
