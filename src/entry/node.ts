import { serve } from '@hono/node-server';
import { postgresBlobStore } from '../blobs/postgres-store.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../app.js';
import { loadSealIdentity } from './seal-identity.js';
import { createSealer } from '../documents/seal/sealer.js';
import { certificatesWithoutRevocationUrls } from '../documents/seal/long-term.js';
import { createBitrix24 } from '../bitrix24/client.js';
import { parseConfig, type Config } from '../config.js';
import { openMigratedDatabase } from '../db/open.js';
import { systemClock } from '../lib/clock.js';
import { randomToken, realIds } from '../lib/ids.js';
import { createLogger } from '../lib/logger.js';
import { createJobHandlers } from './jobs.js';
import { createJobRunner } from '../jobs/runner.js';
import type { Services } from '../services.js';
import { mailerFromConfig } from './smtp-mailer.js';
import { createSandbox } from '../sandbox/bootstrap.js';
import { sealStoredTokens } from '../portals/seal-tokens.js';
import { resealPortalCertificates } from '../settings/store.js';
import { developmentTokenKeys } from './development-keys.js';
import { assetsForThisProcess } from './assets.js';
import { nodeOffThread } from './worker-threads.js';
import { installNodeFonts } from './fonts.js';
import { installNodeHasher } from './native-hash.js';
import { createOutboundFetch } from './outbound-fetch.js';
import { exitIfConfigProblem } from './startup-errors.js';

/** Without SESSION_SECRET (development only: production requires it) a random one is kept in DATA_DIR. */
function developmentSecret(dataDir: string): string {
  const file = join(dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

async function main() {
  let config: Config;
  let sealIdentity: Awaited<ReturnType<typeof loadSealIdentity>>;
  try {
    const dataDir = process.env.DATA_DIR || './.data';
    config = parseConfig(process.env, () => developmentSecret(dataDir), () => developmentTokenKeys(dataDir, { create: true }));
    // The seal key is imported once (non-extractable) and reused for every seal. Loaded before the
    // database is touched, so a missing or unfit certificate stops start-up like any other setting.
    sealIdentity = await loadSealIdentity(config, { dataDir: config.DATA_DIR });
  } catch (e) {
    exitIfConfigProblem(e);
  }
  const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const { handle: dbHandle, migrations } = await openMigratedDatabase(config).catch((e: unknown) => exitIfConfigProblem(e));
  if (migrations.applied.length) logger.info({ applied: migrations.applied }, 'database migrated');
  // Before any request: every stored token sealed with the current key (a key that cannot open them stops start-up here).
  const sealing = await sealStoredTokens(dbHandle.db, config.tokenKeyring).catch((e: unknown) => exitIfConfigProblem(e));
  // Portals' own seal certificates (settings page) follow the same key rotation.
  await resealPortalCertificates(dbHandle.db, config.tokenKeyring).catch((e: unknown) => exitIfConfigProblem(e));
  if (sealing.rewritten || sealing.skipped) logger.info({ ...sealing, key: config.tokenKeyring.currentKeyId }, 'stored tokens sealed with the current key');
  // Every outbound connection goes to the address its lookup checked: no private addresses unless listed.
  const network = createOutboundFetch({
    privateHosts: [...config.BITRIX24_PRIVATE_HOSTS, ...(config.TSA_URL ? [new URL(config.TSA_URL).hostname] : [])],
    allowLoopback: config.BITRIX24_ALLOW_INSECURE_ENDPOINTS,
  });
  // Without Bitrix24 credentials (never in production) the sandbox portal runs in-process.
  const sandbox = config.sandboxEnabled ? createSandbox(config, network) : undefined;
  if (sandbox) config = sandbox.config;
  const outbound = sandbox?.fetch ?? network;
  if (sealIdentity.development) logger.warn({ certificate: sealIdentity.subject }, 'sealing with a generated development certificate: set SEAL_P12_PATH for real documents');
  const sealer = await createSealer(sealIdentity, { tsaUrl: config.TSA_URL, fetch: outbound });
  const noRevocationUrls = config.TSA_URL ? certificatesWithoutRevocationUrls(sealIdentity.chain) : [];
  if (noRevocationUrls.length) logger.warn({ certificates: noRevocationUrls }, 'these seal certificates name no OCSP responder or CRL: seals will be PAdES B-T, not B-LTA');
  const services: Services = {
    config,
    db: dbHandle.db,
    dbHandle,
    logger,
    clock: systemClock,
    ids: realIds,
    fetch: outbound,
    bitrix24: createBitrix24({ db: dbHandle.db, fetch: outbound, clock: systemClock, logger, config }),
    // The sandbox "sends" into its own mailbox unless real SMTP is configured.
    mailer: mailerFromConfig(config) ?? sandbox?.mailer,
    sealer,
    assets: await assetsForThisProcess(),
    offThread: nodeOffThread(config),
    fonts: installNodeFonts(),
    blobs: postgresBlobStore(dbHandle.db),
    ...(sandbox ? { sandbox: sandbox.handle } : {}),
  };
  installNodeHasher();
  const app = createApp(services);
  const sandboxStart = sandbox
    ? await sandbox.start(services, (req) => app.fetch(req)).catch((e: unknown) => {
        logger.error({ err: e }, 'the sandbox portal did not start; /sandbox explains why');
        sandbox.handle.startError = e instanceof Error ? e.message : String(e);
        return undefined;
      })
    : undefined;
  // Started after migrations (openMigratedDatabase ran them); any number of instances may run side by side.
  const jobRunner =
    config.JOBS_CONCURRENCY > 0
      ? createJobRunner({
          db: dbHandle.db,
          handlers: createJobHandlers(),
          services,
          logger: logger.child({ component: 'jobs' }),
          concurrency: config.JOBS_CONCURRENCY,
          pollMs: config.JOBS_POLL_MS,
          leaseMs: config.JOBS_LEASE_MS,
          heartbeatMs: config.JOBS_HEARTBEAT_MS,
          takeoverMs: config.JOBS_TAKEOVER_MS,
          workerId: `${hostname()}:${process.pid}:${randomToken(6)}`,
        })
      : undefined;
  jobRunner?.start();
  if (jobRunner) services.wakeJobs = () => jobRunner.wake();
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    logger.info({ port: info.port, database: dbHandle.kind }, `b24-sign listening on ${config.publicUrl}`);
    if (sandboxStart) console.log(`\n  Sandbox portal (no Bitrix24 account needed): ${sandboxStart.url}\n`);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Stop taking requests, let in-flight ones finish, then close the database.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Let running jobs finish; past the timeout they are abandoned and another instance reclaims them.
    await jobRunner?.stop({ timeoutMs: 25_000 });
    sandbox?.stop();
    await dbHandle.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
