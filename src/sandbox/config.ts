import type { Config } from '../config.js';

/**
 * The sandbox portal's fixed identity. It is recreated in the in-memory emulator on every start with
 * the same member_id and domain, so the portal row in our database (and every envelope on it) stays
 * the same portal across restarts; only the tokens are fresh.
 */
export const SANDBOX = {
  /** The sandbox's own OAuth app in the emulator; not a secret: it never leaves this process. */
  clientId: 'local.b24sign.sandbox',
  clientSecret: 'sandbox-only-client-secret-0123456789',
  memberId: 'b245196e5a4db0c0de5a4db0c0de0001',
  portalName: 'sandbox',
  /** The emulator's virtual hosts are served (in-process only) under this path of PUBLIC_URL. */
  portalPath: '/sandbox/portal',
  /** The deal the guided tour walks through: stage NEW, a company and a contact with e-mail. */
  tourDealId: '15',
  /** The robot "Send document for signing" sits on this deal stage. */
  robotStageId: 'PREPARATION',
  robotTemplate: 'sales-contract',
  /** The document generator converts a new document to PDF after this long (Bitrix24: 30–40 s). */
  pdfDelayMs: 4000,
} as const;

/** Where the sandbox lives: the origin of PUBLIC_URL, which is also the sandbox portal's origin. */
export function sandboxUrls(config: Pick<Config, 'publicUrl'>) {
  const origin = new URL(config.publicUrl).origin;
  return { origin, emulatorBase: `${origin}${SANDBOX.portalPath}`, home: `${config.publicUrl}/sandbox` };
}

/**
 * The configuration the app runs with while the sandbox is on: the sandbox's app credentials (the
 * REST client refreshes tokens with them; BITRIX24_CLIENT_ID itself stays unset, since setting it
 * turns the sandbox off), plain http to the loopback portal, the emulator's OAuth server on our own
 * host. (The placement pages bundle Bitrix24's SDK; the sandbox's pages answer it as the portal.)
 */
export function sandboxConfig(config: Config): Config {
  const { origin } = sandboxUrls(config);
  const host = new URL(origin).hostname.toLowerCase();
  // One person plays every part within seconds, so the timeline's batching window (2 s, at most 30 s,
  // which saves a real portal's request budget) would leave the deal's timeline empty for half a
  // minute of the tour. Unless set otherwise, the sandbox reports almost at once.
  const atDefault = config.TIMELINE_DEBOUNCE_MS === 2000 && config.TIMELINE_MAX_WAIT_MS === 30_000;
  return {
    ...config,
    ...(atDefault ? { TIMELINE_DEBOUNCE_MS: 300, TIMELINE_MAX_WAIT_MS: 3000 } : {}),
    BITRIX24_CLIENT_ID: SANDBOX.clientId,
    BITRIX24_CLIENT_SECRET: SANDBOX.clientSecret,
    BITRIX24_ALLOW_INSECURE_ENDPOINTS: true,
    BITRIX24_OAUTH_HOSTS: [...new Set([...config.BITRIX24_OAUTH_HOSTS, host])],
  };
}
