/**
 * A scriptable stand-in for one Bitrix24 portal and its OAuth server, as a `fetch` function. Small on
 * purpose: the client's tests script exactly the answer they need (a 503, a 302, a 429…) and count
 * what reached the "server". The full emulator (src/emulator) is used by the end-to-end tests.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { portals } from '../../src/db/schema/index.js';
import { Bitrix24Error } from '../../src/bitrix24/types.js';
import { readPortalTokens, storedTokenColumns } from './portal-tokens.js';

export interface FakeRequest {
  url: URL;
  host: string;
  /** REST method (lower-case) or 'oauth'. */
  method: string;
  httpMethod: string;
  body: Record<string, unknown>;
  at: number;
}

export type RestHandler = (req: FakeRequest, fake: FakeBitrix24) => Response | Record<string, unknown> | Promise<Response | Record<string, unknown>>;

export interface FakeOptions {
  domain?: string;
  oauthHost?: string;
  /** Leaky bucket enforced by the fake portal (503 above burst); off by default. */
  bucket?: { perSecond: number; burst: number };
  /** Delay of the token endpoint, to widen refresh races. */
  refreshDelayMs?: number;
}

export class FakeBitrix24 {
  readonly domain: string;
  readonly oauthHost: string;
  readonly memberId = `member-${Math.random().toString(36).slice(2, 12)}`;
  access = 'acc-0';
  refresh = 'ref-0';
  generation = 0;
  /** While true, the current access token answers 401 expired_token. */
  expired = false;
  refreshRequests = 0;
  readonly requests: FakeRequest[] = [];
  readonly handlers = new Map<string, RestHandler>();
  /** What the OAuth server's app.info gives as install.client_endpoint; the portal's own endpoint by default. */
  oauthClientEndpoint?: string;
  /** Hosts that answer 302 to another host (portal rename). */
  readonly redirects = new Map<string, string>();
  /** Each entry answers the next request to a matching method (or any method) instead of the handler. */
  readonly queued: { method?: string; respond: () => Response | Promise<Response> }[] = [];
  bucketLevel = 0;
  bucketAt = Date.now();
  limit503s = 0;

  constructor(readonly opts: FakeOptions = {}) {
    this.domain = opts.domain ?? 'acme.bitrix24.test';
    this.oauthHost = opts.oauthHost ?? 'oauth.bitrix24.test';
  }

  get clientEndpoint() {
    return `https://${this.domain}/rest/`;
  }
  get serverEndpoint() {
    return `https://${this.oauthHost}/rest/`;
  }

  on(method: string, handler: RestHandler): this {
    this.handlers.set(method.toLowerCase(), handler);
    return this;
  }

  /** The next request (to `method`, if given) gets this answer. */
  queue(respond: () => Response | Promise<Response>, method?: string): this {
    this.queued.push({ method: method?.toLowerCase(), respond });
    return this;
  }

  restRequests(method?: string) {
    return this.requests.filter((r) => !r.method.startsWith('oauth') && (!method || r.method === method.toLowerCase()));
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    const text = await req.text();
    const type = req.headers.get('content-type') ?? '';
    const body: Record<string, unknown> = type.includes('application/json')
      ? (JSON.parse(text || '{}') as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(text));

    if (url.hostname === this.oauthHost && url.pathname === '/oauth/token/') {
      this.requests.push({ url, host: url.hostname, method: 'oauth', httpMethod: req.method, body, at: Date.now() });
      this.refreshRequests++;
      if (this.opts.refreshDelayMs) await new Promise((r) => setTimeout(r, this.opts.refreshDelayMs));
      if (body.grant_type !== 'refresh_token' || body.refresh_token !== this.refresh) {
        return Response.json({ error: 'invalid_grant', error_description: 'Invalid refresh token' }, { status: 400 });
      }
      this.generation++;
      this.access = `acc-${this.generation}`;
      this.refresh = `ref-${this.generation}`;
      this.expired = false;
      return Response.json({
        access_token: this.access,
        refresh_token: this.refresh,
        expires_in: 3600,
        expires: Math.floor(Date.now() / 1000) + 3600,
        client_endpoint: this.clientEndpoint,
        server_endpoint: this.serverEndpoint,
        member_id: this.memberId,
        scope: 'crm',
        domain: this.oauthHost,
        status: 'L',
      });
    }

    if (url.hostname === this.oauthHost && url.pathname === '/rest/app.info') {
      // The OAuth server's app.info (reference §14): which portal the token belongs to and its endpoint.
      this.requests.push({ url, host: url.hostname, method: 'oauth:app.info', httpMethod: req.method, body, at: Date.now() });
      if (body.auth !== this.access) return Response.json({ error: 'invalid_token', error_description: 'The access token provided is invalid.' }, { status: 401 });
      return Response.json({
        result: { client_id: 'local.fake', scope: 'crm', user_id: 1, install: { installed: true, domain: this.domain, client_endpoint: this.oauthClientEndpoint ?? this.clientEndpoint, member_id: this.memberId } },
      });
    }

    const moved = this.redirects.get(url.hostname);
    const method = decodeURIComponent(url.pathname.replace(/^.*\/rest\//, '')).replace(/\.json$/, '').toLowerCase();
    const record: FakeRequest = { url, host: url.hostname, method, httpMethod: req.method, body, at: Date.now() };
    this.requests.push(record);
    if (moved) return new Response(null, { status: 302, headers: { location: `https://${moved}${url.pathname}` } });
    if (url.hostname !== this.domain) throw new TypeError(`fetch failed: no such host ${url.hostname}`);

    if (this.opts.bucket) {
      const now = Date.now();
      this.bucketLevel = Math.max(0, this.bucketLevel - ((now - this.bucketAt) / 1000) * this.opts.bucket.perSecond);
      this.bucketAt = now;
      if (this.bucketLevel + 1 > this.opts.bucket.burst) {
        this.limit503s++;
        return Response.json({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, { status: 503 });
      }
      this.bucketLevel += 1;
    }

    const q = this.queued.findIndex((x) => !x.method || x.method === method);
    if (q >= 0) return this.queued.splice(q, 1)[0]!.respond();

    if (body.auth !== this.access) return Response.json({ error: 'invalid_token', error_description: 'The access token provided is invalid.' }, { status: 401 });
    if (this.expired) return Response.json({ error: 'expired_token', error_description: 'The access token provided has expired.' }, { status: 401 });

    const handler = this.handlers.get(method);
    const out = handler ? await handler(record, this) : { result: { method } };
    return out instanceof Response ? out : Response.json(out);
  };
}

/** A stored portal matching the fake (tokens as the fake knows them). */
export async function seedPortal(
  db: Database,
  fake: FakeBitrix24,
  over: Partial<typeof portals.$inferInsert> & { applicationToken?: string } = {},
): Promise<string> {
  const id = over.id ?? `prt_${Math.random().toString(36).slice(2, 12)}`;
  const { applicationToken, ...rest } = over;
  // Plaintext in, sealed (and digested) as the app stores them.
  const tokens = { accessToken: rest.accessToken === undefined ? fake.access : rest.accessToken, refreshToken: rest.refreshToken === undefined ? fake.refresh : rest.refreshToken, applicationToken };
  await db.insert(portals).values({
    id,
    memberId: fake.memberId,
    domain: fake.domain,
    clientEndpoint: fake.clientEndpoint,
    serverEndpoint: fake.serverEndpoint,
    expiresAt: new Date(Date.now() + 3600_000),
    ...rest,
    accessToken: null,
    refreshToken: null,
    ...(await storedTokenColumns(id, tokens)),
  });
  return id;
}

/** The stored row with its OAuth pair opened (the table holds them sealed). */
export async function portalRow(db: Database, id: string) {
  const [row] = await db.select().from(portals).where(eq(portals.id, id));
  const { accessToken, refreshToken } = await readPortalTokens(db, { portalId: id });
  return { ...row!, accessToken, refreshToken };
}

export const json = (body: unknown, status = 200) => Response.json(body, { status });

/** The Bitrix24Error a call rejects with; fails if it resolves or rejects with anything else. */
export async function errorOf(p: Promise<unknown>): Promise<Bitrix24Error> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Bitrix24Error) return e;
    throw e;
  }
  throw new Error('expected a Bitrix24Error');
}
