/**
 * Virtual hosts. In-process (tests, msw) the emulator answers real host names: portals at
 * `https://<name>.bitrix24.test/`, the OAuth server at `https://oauth.bitrix24.test/`. Standalone it
 * serves the same hosts under one base URL as a first path segment: `<base>/<host>/<path>`, e.g.
 * `http://127.0.0.1:8790/acme.bitrix24.test/rest/profile`. Both forms are always accepted; the
 * `baseUrl` option only decides which form the emulator hands out.
 */
export const OAUTH_HOST = 'oauth.bitrix24.test';
export const PORTAL_SUFFIX = '.bitrix24.test';
export const CONTROL_PREFIX = '/_emulator';

export interface Target {
  /** Virtual host, or null for the bare base (control API, root OAuth path). */
  host: string | null;
  /** Path inside that host, starting with `/`. */
  path: string;
}

export class Hosts {
  readonly base?: string;
  /** Portals served behind a path prefix (a proxy, a sub-path install): domain → `/prefix`. */
  private readonly prefixes = new Map<string, string>();
  constructor(baseUrl?: string) {
    this.base = baseUrl?.replace(/\/+$/, '');
  }
  origin(host: string): string {
    return this.base ? `${this.base}/${host}` : `https://${host}`;
  }
  setPrefix(domain: string, prefix: string | undefined) {
    const clean = (prefix ?? '').replace(/\/+$/, '');
    if (clean) this.prefixes.set(domain, clean.startsWith('/') ? clean : `/${clean}`);
    else this.prefixes.delete(domain);
  }
  prefixOf(domain: string): string {
    return this.prefixes.get(domain) ?? '';
  }
  /** The portal's address (`install.uri` in app.info): its origin plus any path prefix. */
  portalUri(domain: string): string {
    return `${this.origin(domain)}${this.prefixOf(domain)}`;
  }
  /** `https://<domain>[/prefix]/rest/`: what Bitrix24 hands out as client_endpoint. */
  clientEndpoint(domain: string): string {
    return `${this.portalUri(domain)}/rest/`;
  }
  serverEndpoint(): string {
    return `${this.origin(OAUTH_HOST)}/rest/`;
  }
  tokenUrl(): string {
    return `${this.origin(OAUTH_HOST)}/oauth/token/`;
  }
  /** Where the control API lives: the base in standalone mode, a reserved host in-process. */
  controlBase(): string {
    return this.base ? `${this.base}${CONTROL_PREFIX}` : `https://emulator${PORTAL_SUFFIX}${CONTROL_PREFIX}`;
  }

  static isVirtualHost(h: string): boolean {
    return h === OAUTH_HOST || h.endsWith(PORTAL_SUFFIX);
  }

  resolve(url: URL): Target {
    if (Hosts.isVirtualHost(url.hostname)) return { host: url.hostname, path: url.pathname };
    const m = /^\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (m && Hosts.isVirtualHost(m[1]!)) return { host: m[1]!, path: m[2] ?? '/' };
    return { host: null, path: url.pathname };
  }
}
