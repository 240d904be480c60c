import type { Config } from '../config.js';

/**
 * REST_APP_URI deep link: `https://<portal>/marketplace/view/<APP_CODE>/?params[key]=value` opens the app
 * in a Bitrix24 slider with PLACEMENT=REST_APP_URI and the params as PLACEMENT_OPTIONS (b24restdocs
 * `api-reference/widgets/universal/app-url.md`: "Link to the application", the `params` array becomes
 * PLACEMENT_OPTIONS). Timeline buttons, chat messages and the in-portal signing invitation use it.
 */
export function appDeepLink(config: Pick<Config, 'BITRIX24_APP_CODE' | 'BITRIX24_CLIENT_ID'>, portalDomain: string, params: Record<string, string>): string {
  const code = config.BITRIX24_APP_CODE ?? config.BITRIX24_CLIENT_ID ?? 'b24-sign';
  const query = Object.entries(params)
    .map(([k, v]) => `params%5B${encodeURIComponent(k)}%5D=${encodeURIComponent(v)}`)
    .join('&');
  return `https://${portalDomain}/marketplace/view/${encodeURIComponent(code)}/${query ? `?${query}` : ''}`;
}

/** The portal-relative path of the same link, for the SDK's slider.openPath inside the portal. */
export function appDeepLinkPath(config: Pick<Config, 'BITRIX24_APP_CODE' | 'BITRIX24_CLIENT_ID'>, params: Record<string, string>): string {
  return appDeepLink(config, 'x', params).replace(/^https:\/\/x/, '');
}
