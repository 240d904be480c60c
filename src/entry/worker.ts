/**
 * The Cloudflare Workers entry (wrangler.toml `main`). One isolate keeps what does not change between
 * requests (the parsed configuration, the seal key, the asset manifest); every request, queue batch and
 * cron run gets its own Services over a fresh postgres.js client through Hyperdrive, closed once the
 * response is sent (Workers may not reuse a socket across requests).
 *
 * Platform ports here (Node's are in src/entry/node.ts):
 * - database: PostgreSQL through the HYPERDRIVE binding (migrations are applied beforehand with
 *   `npm run db:migrate`, never by the worker);
 * - assets: Workers static assets (ASSETS binding, the dist/assets that `npm run build` writes);
 * - jobs: the `jobs` table stays the queue of record; a request that left due jobs behind sends one
 *   message to the JOBS queue, whose consumer runs them at once; the cron trigger sweeps every minute
 *   for retries, delayed jobs and anything a lost message missed;
 * - mail: Resend's HTTP API (src/entry/workers/resend-mailer.ts) when RESEND_API_KEY is set;
 * - off-thread work: in-process with limits, no page images (src/entry/workers/in-process-off-thread.ts);
 * - the seal: SEAL_P12_BASE64 (+ SEAL_P12_PASSPHRASE) secrets; outside production, a development seal
 *   in SEAL_DEVELOPMENT_JSON.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createApp } from '../app.js';
import type { AssetManifest } from '../assets/built.js';
import { createBitrix24 } from '../bitrix24/client.js';
import { parseConfig, type Config } from '../config.js';
import { pingDb, rowsOf, schema, type Database } from '../db/client.js';
import { developmentIdentity, type StoredDevelopmentSeal } from '../documents/certificates/development.js';
import type { SealIdentity } from '../documents/certificates/identity.js';
import { loadPkcs12 } from '../documents/certificates/pkcs12.js';
import { createSealer, type Sealer } from '../documents/seal/sealer.js';
import { createJobRunner } from '../jobs/runner.js';
import { systemClock } from '../lib/clock.js';
import { realIds } from '../lib/ids.js';
import { createLogger, type Logger } from '../lib/logger.js';
import type { Services } from '../services.js';
import { createJobHandlers } from './jobs.js';
import { installWorkersFonts } from './workers/fonts.js';
import { inProcessOffThread } from './workers/in-process-off-thread.js';
import { r2BlobStore, type R2BucketBinding } from './workers/r2-blobs.js';
import { createResendMailer } from './workers/resend-mailer.js';
import { loadWorkersManifest, workersAssets, type AssetsBinding } from './workers/static-assets.js';

interface Hyperdrive {
  connectionString: string;
}
interface QueueBinding {
  send(body: unknown, opts?: { delaySeconds?: number }): Promise<void>;
}
interface ExecutionContext {
  waitUntil(p: Promise<unknown>): void;
  passThroughOnException?(): void;
}
interface MessageBatch {
  readonly messages: ReadonlyArray<{ ack(): void }>;
}

/** Every binding wrangler.toml declares, plus the variables and secrets the configuration reads. */
export interface WorkerEnv {
  HYPERDRIVE: Hyperdrive;
  /** Always declared in wrangler.toml; absent only in a jobs-only local run (the test's cron check). */
  ASSETS?: AssetsBinding;
  JOBS: QueueBinding;
  /** Blobs (R2): PDFs and page images (src/blobs/). */
  BLOBS: R2BucketBinding;
  SEAL_P12_BASE64?: string;
  SEAL_DEVELOPMENT_JSON?: string;
  RESEND_API_KEY?: string;
  /** Resend's API base; a test points it at a local stub. */
  RESEND_API_URL?: string;
  [name: string]: unknown;
}

interface Isolate {
  config: Config;
  logger: Logger;
  sealer: Sealer;
  manifest?: AssetManifest;
  /** What every request of this isolate shares: settings, the seal key, the in-process off-thread queue. */
  shared: Pick<Services, 'config' | 'logger' | 'clock' | 'ids' | 'sealer' | 'assets' | 'offThread' | 'fonts' | 'peerAddress' | 'blobs'>;
  /** One app per isolate, so per-isolate state in it (the IP rate limiters) lasts beyond one request. */
  app: ReturnType<typeof createApp>;
}

/** The Services of the request being served (its database client, mailer, queue wake-up). */
const current = new AsyncLocalStorage<Services>();

/**
 * The Services the isolate's app is built with: every property is read from the running request's
 * Services when it is used, so concurrent requests in one isolate never share a database client. Outside
 * a request (while the app is built) only the isolate-wide ones exist; a per-request one (db, mailer…)
 * touched then throws, which is how an eager capture would show.
 */
const PER_REQUEST = new Set<PropertyKey>(['db', 'dbHandle', 'fetch', 'bitrix24', 'mailer', 'wakeJobs']);

function requestServices(shared: Isolate['shared']): Services {
  return new Proxy({} as Services, {
    get(_target, prop) {
      const s = current.getStore();
      if (s) return s[prop as keyof Services];
      if (PER_REQUEST.has(prop)) throw new Error(`services.${String(prop)} used outside a request`);
      // Isolate-wide, or absent on Workers (sandbox, sealedDocuments).
      return shared[prop as keyof typeof shared];
    },
    has: (_target, prop) => prop in (current.getStore() ?? shared),
  });
}

let isolate: Promise<Isolate> | undefined;

function stringVars(env: WorkerEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

async function sealIdentity(env: WorkerEnv, config: Config): Promise<SealIdentity> {
  const now = new Date();
  if (env.SEAL_P12_BASE64) {
    const bytes = Uint8Array.from(atob(env.SEAL_P12_BASE64.replace(/\s+/g, '')), (ch) => ch.charCodeAt(0));
    return loadPkcs12(bytes, config.SEAL_P12_PASSPHRASE ?? '', { now, source: 'config' });
  }
  if (config.NODE_ENV !== 'production' && env.SEAL_DEVELOPMENT_JSON) {
    return developmentIdentity(JSON.parse(env.SEAL_DEVELOPMENT_JSON) as StoredDevelopmentSeal, now);
  }
  throw new Error('No seal certificate: set the SEAL_P12_BASE64 secret (and SEAL_P12_PASSPHRASE); outside production SEAL_DEVELOPMENT_JSON will do');
}

async function startIsolate(env: WorkerEnv): Promise<Isolate> {
  const vars = stringVars(env);
  // No files to keep generated secrets in: SESSION_SECRET and TOKEN_ENCRYPTION_KEYS are required here
  // in every mode. SEAL_P12_PATH only names where the seal came from (production requires it set).
  const config = parseConfig(
    {
      ...vars,
      DATABASE_URL: env.HYPERDRIVE.connectionString,
      SANDBOX: '0',
      ...(env.SEAL_P12_BASE64 ? { SEAL_P12_PATH: 'secret:SEAL_P12_BASE64' } : {}),
    },
    () => {
      throw new Error('SESSION_SECRET must be set (wrangler secret put SESSION_SECRET)');
    },
    () => {
      throw new Error('TOKEN_ENCRYPTION_KEYS must be set (wrangler secret put TOKEN_ENCRYPTION_KEYS)');
    },
  );
  // Workers' console is the log: one JSON line per entry, as pino writes them on Node.
  const logger = createLogger({ level: config.LOG_LEVEL }, { write: (line) => console.log(line.trimEnd()) });
  const identity = await sealIdentity(env, config);
  const sealer = await createSealer(identity, { tsaUrl: config.TSA_URL, fetch: (input, init) => fetch(input, init) });
  const manifest = env.ASSETS ? await loadWorkersManifest(env.ASSETS) : undefined;
  const shared: Isolate['shared'] = {
    config,
    logger,
    clock: systemClock,
    ids: realIds,
    sealer,
    peerAddress: (c) => c.req.header('cf-connecting-ip') ?? undefined,
    assets: env.ASSETS && manifest ? workersAssets(env.ASSETS, manifest) : NO_ASSETS,
    offThread: inProcessOffThread(),
    fonts: installWorkersFonts(),
    blobs: r2BlobStore(env.BLOBS),
  };
  return { config, logger, sealer, manifest, shared, app: createApp(requestServices(shared)) };
}

/** Without the ASSETS binding (jobs only): a page that needs a script URL fails saying why. */
const NO_ASSETS: Services['assets'] = {
  url: () => {
    throw new Error('no ASSETS binding: declare [assets] in wrangler.toml');
  },
  get: async () => undefined,
};

function isolateFor(env: WorkerEnv): Promise<Isolate> {
  isolate ??= startIsolate(env).catch((e: unknown) => {
    isolate = undefined;
    throw e;
  });
  return isolate;
}

/** Services over a new database client; `close` ends it (after the response, through waitUntil). */
function servicesFor(env: WorkerEnv, ctx: ExecutionContext, iso: Isolate): { services: Services; close: () => Promise<void> } {
  // Hyperdrive pools the real connections; a handful per invocation is plenty. fetch_types off: the
  // schema uses no custom types, and it saves a round trip per client.
  const client = postgres(env.HYPERDRIVE.connectionString, { max: 5, fetch_types: false, onnotice: () => {} });
  const db = drizzle(client, { schema, casing: 'snake_case' }) as unknown as Database;
  const outbound: typeof fetch = (input, init) => fetch(input, init);
  const { config, logger } = iso;
  const services: Services = {
    ...iso.shared,
    db,
    dbHandle: { kind: 'postgres', ping: () => pingDb(db) },
    fetch: outbound,
    bitrix24: createBitrix24({ db, fetch: outbound, clock: systemClock, logger, config }),
    mailer: env.RESEND_API_KEY ? createResendMailer({ apiKey: env.RESEND_API_KEY, from: config.MAIL_FROM, baseUrl: env.RESEND_API_URL, fetch: outbound }) : undefined,
    wakeJobs: () => ctx.waitUntil(wakeQueue(env, logger)),
  };
  return { services, close: () => client.end({ timeout: 5 }) };
}

async function wakeQueue(env: WorkerEnv, logger: Logger, delaySeconds = 0) {
  try {
    await env.JOBS.send({ wake: Date.now() }, delaySeconds > 0 ? { delaySeconds } : undefined);
  } catch (e) {
    // The cron sweep still finds the job within a minute.
    logger.warn({ err: e }, 'could not wake the job queue');
  }
}

/** True when a job is due now: the request that queued it sends the queue a wake-up. */
async function jobsDue(db: Database): Promise<boolean> {
  const rows = rowsOf<{ due: number }>(await db.execute(sql`select 1 as due from jobs where status = 'queued' and run_at <= now() limit 1`));
  return rows.length > 0;
}

/** Seconds until the next queued job is due, when that is sooner than the next cron minute. */
async function nextDueWithinAMinute(db: Database): Promise<number | undefined> {
  const rows = rowsOf<{ wait: number | string | null }>(
    await db.execute(sql`select extract(epoch from (min(run_at) - now())) as wait from jobs where status = 'queued' and run_at <= now() + interval '55 seconds'`),
  );
  const wait = rows[0]?.wait;
  return wait === null || wait === undefined ? undefined : Math.max(1, Math.ceil(Number(wait)));
}

/** Runs due jobs until none are left (queue consumer and cron). */
async function drainJobs(env: WorkerEnv, ctx: ExecutionContext, reason: string): Promise<number> {
  const iso = await isolateFor(env);
  const { services, close } = servicesFor(env, ctx, iso);
  try {
    const runner = createJobRunner({
      db: services.db,
      handlers: createJobHandlers(),
      services,
      logger: iso.logger.child({ component: 'jobs', trigger: reason }),
      concurrency: Math.max(1, iso.config.JOBS_CONCURRENCY),
      pollMs: iso.config.JOBS_POLL_MS,
      leaseMs: iso.config.JOBS_LEASE_MS,
      heartbeatMs: iso.config.JOBS_HEARTBEAT_MS,
      takeoverMs: iso.config.JOBS_TAKEOVER_MS,
      workerId: `workers:${reason}:${crypto.randomUUID().slice(0, 8)}`,
    });
    const { ran } = await runner.runUntilIdle();
    if (ran) iso.logger.info({ ran, trigger: reason }, 'jobs drained');
    // Work the jobs queued for a few seconds later (a coalesced timeline sync, a retry's backoff): one
    // delayed message, so it does not wait for the cron minute.
    const wait = await nextDueWithinAMinute(services.db);
    if (wait !== undefined) await wakeQueue(env, iso.logger, wait);
    return ran;
  } finally {
    await close();
  }
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let iso: Isolate;
    try {
      iso = await isolateFor(env);
    } catch (e) {
      console.error(e);
      return new Response(`b24-sign cannot start: ${(e as Error).message}\n`, { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
    if (!iso.manifest) return new Response('b24-sign: no ASSETS binding (wrangler.toml [assets])\n', { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const { services, close } = servicesFor(env, ctx, iso);
    const response = await current.run(services, () => iso.app.fetch(request, env, ctx as never));
    ctx.waitUntil(
      (async () => {
        // Writes may have queued follow-up work (a robot call's envelope, a signature's seal): the queue
        // consumer starts on it within seconds instead of the next cron minute.
        if (request.method !== 'GET' && request.method !== 'HEAD' && (await jobsDue(services.db).catch(() => false))) await wakeQueue(env, iso.logger);
      })().finally(() => close()),
    );
    return response;
  },

  async queue(batch: MessageBatch, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    // Messages carry no work, only "look now": one drain answers the whole batch.
    await drainJobs(env, ctx, 'queue');
    for (const m of batch.messages) m.ack();
  },

  async scheduled(_controller: unknown, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    try {
      await drainJobs(env, ctx, 'cron');
    } catch (e) {
      console.error('cron sweep failed', e);
      throw e;
    }
  },
};
