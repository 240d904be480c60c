import type { PortalSettings } from '../db/schema/portals.js';
import { loadPkcs12 } from '../documents/certificates/pkcs12.js';
import { createSealer, type Sealer } from '../documents/seal/sealer.js';
import { isAppError } from '../lib/app-error.js';
import { fromBase64 } from '../lib/token-keyring.js';
import type { Services } from '../services.js';
import { activeCertificate, readPortalSettings, sealNameOf } from './store.js';

/**
 * The seal a portal's documents get (issue 17 item 4):
 * - the portal's own certificate when its admin uploaded one: /Name "<company> via b24-sign", the
 *   reason "Sealed by <company> via b24-sign", that identity's key and chain;
 * - otherwise the platform seal (SEAL_P12_PATH / development), as before.
 * Either way the portal's TSA URL, when set, replaces TSA_URL, and B-LT/B-LTA follow that TSA
 * (createSealer's longTerm). A portal certificate that can no longer seal (expired since the upload,
 * a TOKEN_ENCRYPTION_KEYS change) falls back to the platform seal: the document is never held back;
 * `problem` says why and the completion records it in the `sealed` audit event.
 *
 * Built sealers are kept per Services instance, keyed by certificate id and TSA URL, so a PKCS#12
 * is opened once, not per document.
 */
export interface PortalSeal {
  sealer: Sealer;
  /** The /Reason of the signature dictionary; undefined: the sealer's default. */
  reason?: string;
  identity: 'portal' | 'platform';
  /** The portal certificate's id when it sealed. */
  certificateId?: string;
  /** Why the portal's own certificate was not used although one is set (an error code). */
  problem?: string;
  tsaUrl?: string;
}

const built = new WeakMap<object, Map<string, Promise<Sealer>>>();

function cacheOf(services: Services): Map<string, Promise<Sealer>> {
  let m = built.get(services);
  if (!m) {
    m = new Map();
    built.set(services, m);
  }
  return m;
}

function remember(services: Services, key: string, make: () => Promise<Sealer>): Promise<Sealer> {
  const cache = cacheOf(services);
  let p = cache.get(key);
  if (!p) {
    p = make();
    // A failure is not remembered: the next document tries again.
    p.catch(() => cache.delete(key));
    if (cache.size > 500) cache.clear();
    cache.set(key, p);
  }
  return p;
}

export const portalTsaUrl = (settings: PortalSettings): string | undefined => (typeof settings.tsaUrl === 'string' && settings.tsaUrl ? settings.tsaUrl : undefined);

export async function portalSeal(services: Services, portalId: string): Promise<PortalSeal> {
  const settings = await readPortalSettings(services.db, portalId).catch(() => ({}) as PortalSettings);
  const ownTsa = portalTsaUrl(settings);
  const tsaUrl = ownTsa ?? services.config.TSA_URL;
  const cert = await activeCertificate(services.db, portalId);
  let problem: string | undefined;
  if (cert?.p12Sealed && cert.passphraseSealed) {
    try {
      const sealer = await remember(services, `cert:${cert.id}|${tsaUrl ?? ''}`, async () => {
        const keyring = services.config.tokenKeyring;
        const p12 = fromBase64(await keyring.open(cert.p12Sealed!, 'seal_p12', portalId));
        if (!p12) throw new Error('stored certificate is not base64');
        const identity = await loadPkcs12(p12, await keyring.open(cert.passphraseSealed!, 'seal_passphrase', portalId), { now: services.clock.now(), source: 'upload' });
        const base = await createSealer(identity, { tsaUrl, fetch: services.fetch });
        return { ...base, signerName: sealNameOf(cert.company) };
      });
      // Opened once, but a certificate that expired since still must not seal.
      if (cert.notAfter > services.clock.now()) return { sealer, reason: `Sealed by ${sealNameOf(cert.company)}`, identity: 'portal', certificateId: cert.id, ...(tsaUrl ? { tsaUrl } : {}) };
      problem = 'CERT_EXPIRED';
    } catch (e) {
      problem = isAppError(e) ? e.code : e instanceof Error && 'code' in e ? String((e as { code: unknown }).code) : 'CERTIFICATE_INVALID';
    }
    services.logger.warn({ portalId, certificateId: cert.id, problem }, "the portal's own seal certificate cannot seal: the platform seal is used");
  }
  const platform = services.sealer;
  if (ownTsa && ownTsa !== services.config.TSA_URL && platform.withTsa) {
    const sealer = await remember(services, `platform|${ownTsa}`, () => platform.withTsa!(ownTsa));
    return { sealer, identity: 'platform', tsaUrl: ownTsa, ...(problem ? { problem } : {}) };
  }
  return { sealer: platform, identity: 'platform', ...(tsaUrl ? { tsaUrl } : {}), ...(problem ? { problem } : {}) };
}
