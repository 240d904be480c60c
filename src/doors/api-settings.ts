import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AppError } from '../http/errors.js';
import { jsonBody } from '../http/json-body.js';
import { requireSession, type SessionEnv } from '../http/session.js';
import { requireRole } from '../http/require-role.js';
import { portalTsaUrl } from '../settings/portal-sealer.js';
import {
  certificateView,
  listSettingsChanges,
  logoOf,
  MAX_P12_BYTES,
  pickSettings,
  readPortalSettings,
  removeCertificate,
  removeLogo,
  setCertificate,
  setLogo,
  updateSettings,
  ZSettingsPatch,
  type Actor,
} from '../settings/store.js';
import { checkTsa } from '../settings/tsa-check.js';
import { requestMeta } from './sign.js';

/**
 * The portal's settings (issue 17 item 4), admins only: read and write the defaults, the seal
 * certificate, the TSA (with a live test), the sender name and logo, the languages; the change log.
 * Session-authenticated JSON, zod-validated, scoped to the session's portal; bodies capped by
 * src/http/body-limit.ts (/api/settings*).
 */
const actorOf = (c: Context<SessionEnv>): Actor => ({ userId: c.var.session.userId, ip: requestMeta(c).ip });

const ZCertificate = z.object({
  /** The .p12/.pfx file, base64. */
  p12: z.string().min(1).max(Math.ceil(MAX_P12_BYTES / 3) * 4 + 1024),
  passphrase: z.string().max(1024),
});
const ZLogo = z.object({ image: z.string().min(1).max(400 * 1024) });
const ZTsaTest = z.object({ url: z.url().max(500).optional() }).strict();

async function snapshot(c: Context<SessionEnv>) {
  const { services, session } = c.var;
  const [settings, certificate, logo] = await Promise.all([
    readPortalSettings(services.db, session.portalId),
    certificateView(services.db, session.portalId, services.clock.now()),
    logoOf(services.db, session.portalId),
  ]);
  return {
    settings: pickSettings(settings),
    certificate,
    logo: logo ? { kind: logo.kind, width: logo.width, height: logo.height, sha256: logo.sha256, url: `/logo/${encodeURIComponent(session.portalId)}/${logo.sha256}` } : null,
    platform: { tsaUrl: services.config.TSA_URL ?? null, signerName: services.sealer.signerName, development: services.sealer.development },
    effective: { tsaUrl: portalTsaUrl(settings) ?? services.config.TSA_URL ?? null, sealName: certificate && !certificate.expired ? certificate.sealName : services.sealer.signerName },
  };
}

export const settingsRoutes = new Hono<SessionEnv>()
  .use('/api/settings', requireSession)
  .use('/api/settings/*', requireSession)
  .get('/api/settings', requireRole('admin'), async (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(await snapshot(c));
  })
  .put('/api/settings', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const patch = await jsonBody(c, ZSettingsPatch);
    await updateSettings(services, session.portalId, patch, actorOf(c));
    return c.json(await snapshot(c));
  })
  .put('/api/settings/certificate', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const b = await jsonBody(c, ZCertificate);
    const certificate = await setCertificate(services, session.portalId, { p12Base64: b.p12, passphrase: b.passphrase }, actorOf(c));
    return c.json({ certificate });
  })
  .delete('/api/settings/certificate', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    return c.json({ removed: await removeCertificate(services, session.portalId, actorOf(c)) });
  })
  .put('/api/settings/logo', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const b = await jsonBody(c, ZLogo);
    return c.json({ logo: await setLogo(services, session.portalId, b.image, actorOf(c)) });
  })
  .delete('/api/settings/logo', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    return c.json({ removed: await removeLogo(services, session.portalId, actorOf(c)) });
  })
  /** One real RFC 3161 request to the given URL, else the portal's, else the platform's TSA_URL. */
  .post('/api/settings/tsa-test', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const b = await jsonBody(c, ZTsaTest);
    const url = b.url ?? portalTsaUrl(await readPortalSettings(services.db, session.portalId)) ?? services.config.TSA_URL;
    if (!url) throw new AppError('VALIDATION_FAILED', 'url: no timestamp authority is set; enter a URL to test.');
    if (!/^https?:\/\//i.test(url)) throw new AppError('VALIDATION_FAILED', 'url: an http(s) URL.');
    return c.json(await checkTsa(url, services.fetch));
  })
  .get('/api/settings/changes', requireRole('admin'), async (c) => {
    const { services, session } = c.var;
    const rows = await listSettingsChanges(services.db, session.portalId, Number(c.req.query('limit') ?? 100) || 100);
    return c.json({ changes: rows });
  });
