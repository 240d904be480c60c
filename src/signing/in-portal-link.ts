import { appDeepLink, appDeepLinkPath } from '../bitrix24/app-link.js';
import type { Config } from '../config.js';

/**
 * The REST_APP_URI parameter that opens the in-portal signing page (src/doors/in-portal-sign.tsx):
 * `params[sign]=all` lists everything waiting for the user, `params[sign]=env_…` puts that document first.
 */
export const SIGN_PARAM = 'sign';

type LinkConfig = Pick<Config, 'BITRIX24_APP_CODE' | 'BITRIX24_CLIENT_ID'>;

/** The deep link to in-portal signing, absolute (messenger) and portal-relative (the SDK's openPath). */
export function inPortalSignLink(config: LinkConfig, portalDomain: string, which: string): { url: string; path: string } {
  return { url: appDeepLink(config, portalDomain, { [SIGN_PARAM]: which }), path: appDeepLinkPath(config, { [SIGN_PARAM]: which }) };
}
