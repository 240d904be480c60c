/**
 * The service as `npm start` runs it with no Bitrix24 credentials (src/entry/node.ts: sandbox on),
 * in-process on a free port over a fresh test database: the sandbox portal, the real app, the job
 * runner polling briskly. Chromium then talks to it over plain HTTP like a newcomer's browser.
 */
import { postgresBlobStore } from '../../../src/blobs/postgres-store.js';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../../../src/app.js';
import { developmentAssets } from '../../../src/assets/development.js';
import { createBitrix24 } from '../../../src/bitrix24/client.js';
import { createJobHandlers } from '../../../src/entry/jobs.js';
import { nodeOffThread } from '../../../src/entry/worker-threads.js';
import { installNodeFonts } from '../../../src/entry/fonts.js';
import { createJobRunner } from '../../../src/jobs/runner.js';
import { systemClock } from '../../../src/lib/clock.js';
import { realIds } from '../../../src/lib/ids.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { createSandbox } from '../../../src/sandbox/bootstrap.js';
import type { Services } from '../../../src/services.js';
import type { TestDb } from '../../helpers/db.js';
import { testSealer } from '../../helpers/sealer.js';
import { testConfig } from '../../helpers/services.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface SandboxServer {
  origin: string;
  dataDir: string;
  services: Services;
  app: ReturnType<typeof createApp>;
  /** Stops the HTTP server and the job runner; the database stays open (restart tests reuse it). */
  stop(): Promise<void>;
}

/** Starts the sandboxed service on `db` (the same db twice = a restart). */
export async function startSandboxServer(db: TestDb, o: { port?: number; dataDir?: string; env?: Record<string, string>; listen?: boolean } = {}): Promise<SandboxServer> {
  const port = o.port ?? (await freePort());
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'b24-sandbox-'));
  const origin = `http://127.0.0.1:${port}`;
  const base = testConfig({ PUBLIC_URL: origin, DATA_DIR: dataDir, TIMELINE_DEBOUNCE_MS: '200', TIMELINE_MAX_WAIT_MS: '2000', BITRIX24_ALLOW_INSECURE_ENDPOINTS: '0', ...o.env });
  if (!base.sandboxEnabled) throw new Error('sandbox is off for this configuration');
  const network = globalThis.fetch.bind(globalThis);
  const sandbox = createSandbox(base, network);
  const config = sandbox.config;
  const logger = silentLogger();
  const services: Services = {
    config, db: db.db, dbHandle: db, logger, clock: systemClock, ids: realIds, fetch: sandbox.fetch,
    bitrix24: createBitrix24({ db: db.db, fetch: sandbox.fetch, clock: systemClock, logger, config }),
    sealer: await testSealer(),
    sandbox: sandbox.handle,
    mailer: sandbox.mailer,
    assets: developmentAssets(),
    offThread: nodeOffThread(config),
    fonts: installNodeFonts(),
    blobs: postgresBlobStore(db.db),
  };
  const app = createApp(services);
  await sandbox.start(services, (req) => app.fetch(req));
  const jobs = createJobRunner({ db: db.db, handlers: createJobHandlers(), services, logger, concurrency: 2, pollMs: 100, leaseMs: 30_000, workerId: `sandbox-test-${port}` });
  jobs.start();
  let server: ServerType | undefined;
  if (o.listen !== false) {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve());
    });
  }
  return {
    origin,
    dataDir,
    services,
    app,
    async stop() {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await jobs.stop({ timeoutMs: 5000 });
      sandbox.stop();
    },
  };
}
