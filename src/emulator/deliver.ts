/**
 * Outbound POSTs from the "portal" to the app (install, frame/placement, robot, event, uninstall), form-
 * encoded like PHP `http_build_query`, through `appFetch`. Every delivery is recorded.
 */
import { phpBuildQuery, phpPairs } from './php-form.js';
import type { EmulatorState } from './state.js';
import type { DeliveryRecord, Portal } from './types.js';

export interface Delivery {
  url: string;
  /** Flattened bracket-key form as sent (`auth[access_token]` → value). */
  form: Record<string, string>;
  status: number;
  headers: Headers;
  body: string;
  error?: string;
}

const SERVER_UA = 'Bitrix24 Webhook Engine';
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

export async function deliver(
  st: EmulatorState,
  portal: Portal,
  kind: DeliveryRecord['kind'],
  target: string,
  data: Record<string, unknown>,
  query?: Record<string, string>,
): Promise<Delivery> {
  const url = new URL(target);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  const body = phpBuildQuery(data);
  const form = Object.fromEntries(phpPairs(data));
  // Frames come from the user's browser inside the portal page; the rest from Bitrix24's queue server.
  const browser = kind === 'frame' || kind === 'placement';
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': browser ? BROWSER_UA : SERVER_UA,
  };
  if (browser) {
    headers.origin = new URL(st.hosts.origin(portal.domain)).origin;
    headers.referer = `${st.hosts.origin(portal.domain)}/`;
  }
  const rec: DeliveryRecord = { at: st.now(), memberId: portal.memberId, kind, url: url.toString(), form, status: 0 };
  st.deliveries.push(rec);
  try {
    const res = await st.opts.appFetch(new Request(url, { method: 'POST', headers, body }));
    rec.status = res.status;
    const text = await res.text();
    return { url: rec.url, form, status: res.status, headers: res.headers, body: text };
  } catch (e) {
    rec.error = (e as Error).message;
    return { url: rec.url, form, status: 0, headers: new Headers(), body: '', error: rec.error };
  }
}
