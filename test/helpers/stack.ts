/**
 * The service as Bitrix24 meets it, for benches and black-box tests: the production build
 * (`npm run build -- --out-dir …`) started with plain `node <out>/server.mjs` in production mode, a real
 * PKCS#12 seal and PostgreSQL, and the standalone emulator (`src/emulator/cli.ts`) in a process of its
 * own that installs the app through ONAPPINSTALL. Every process here is started by us and stopped by
 * its own id (the emulator by its process group).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../e2e/helpers/sandbox-server.js';
import { createTestDb, TEST_DB_KIND, type TestDb } from './db.js';
import { makeTestPki, type TestPki } from './seal-pki.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export { freePort };

/** Builds into a `.scratch-*` folder inside the repository (so the bundle finds node_modules), unless `reuse` names one already built. */
export async function productionBuild(reuse?: string): Promise<{ out: string; remove(): void }> {
  if (reuse && existsSync(join(reuse, 'server.mjs'))) return { out: reuse, remove: () => {} };
  const out = mkdtempSync(join(ROOT, '.scratch-bench-build-'));
  await promisify(execFile)('npm', ['run', '--silent', 'build', '--', '--out-dir', out], { cwd: ROOT, timeout: 280_000 });
  return { out, remove: () => rmSync(out, { recursive: true, force: true }) };
}

export interface Proc {
  child: ChildProcess;
  lines: string[];
  /** The first output line matching `re` (already seen or still to come). */
  line(re: RegExp, ms: number): Promise<string>;
}

/** Collects a child's output lines (stdout and stderr) and lets a test wait for one. */
export function watch(child: ChildProcess): Proc {
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let partial = '';
  const take = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) {
      if (!l.trim()) continue;
      lines.push(l);
      if (lines.length > 5000) lines.splice(0, 1000);
      for (const w of [...waiters]) if (w.re.test(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return {
    child,
    lines,
    line(re, ms) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms; output:\n${lines.slice(-30).join('\n')}`)), ms);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
  };
}

export interface EmulatorProc extends Proc {
  base: string;
  memberId: string;
  control<T = any>(path: string, body?: unknown, method?: string): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): void;
}

/** `src/emulator/cli.ts` in its own process group, set up to install the app at `installUrl` once it answers. */
export async function startEmulator(o: { clientId: string; clientSecret: string; installUrl: string; rate?: string; robotStage?: string; robotTemplate?: string }): Promise<EmulatorProc> {
  const port = await freePort();
  const args = ['src/emulator/cli.ts', '--port', String(port), '--client-id', o.clientId, '--client-secret', o.clientSecret, '--install-url', o.installUrl, '--rate', o.rate ?? '2/50'];
  if (o.robotStage) args.push('--robot-stage', o.robotStage, '--robot-template', o.robotTemplate ?? 'nda');
  const { DATABASE_URL: _db, NODE_OPTIONS: _no, ...env } = process.env;
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const p = watch(child);
  const portal = JSON.parse(await p.line(/^\{"baseUrl"/, 60_000)) as { baseUrl: string; memberId: string };
  const base = portal.baseUrl;
  return {
    ...p,
    base,
    memberId: portal.memberId,
    async control(path, body, method) {
      const res = await fetch(`${base}/_emulator${path}`, {
        method: method ?? (body === undefined ? 'GET' : 'POST'),
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const json = await res.json();
      if (!res.ok) throw new Error(`emulator control ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    stop() {
      if (child.pid && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    },
  };
}

export interface ServiceProc extends Proc {
  base: string;
  pid: number;
  /** SIGTERM (graceful shutdown), resolved on exit. */
  stop(): Promise<void>;
  /** SIGKILL, resolved on exit: nothing in the process gets to run. */
  kill9(): Promise<void>;
}

export interface Stack {
  out: string;
  pki: TestPki;
  db?: TestDb;
  env: Record<string, string>;
  clientId: string;
  clientSecret: string;
  /** Starts one more instance of the built server on `port` (a fresh one unless given) with `extraEnv`. */
  startService(o?: { port?: number; env?: Record<string, string>; nodeArgs?: string[] }): Promise<ServiceProc>;
  close(): Promise<void>;
}

/** Seal, database, and the production environment every instance shares; `publicPort` is where Bitrix24 reaches the service. */
export async function productionStack(o: { out: string; publicPort: number; emulatorBase: () => string; env?: Record<string, string>; dbKind?: 'postgres' | 'pglite' }): Promise<Stack> {
  const pki = makeTestPki();
  const dataDir = mkdtempSync(join(tmpdir(), 'b24-stack-'));
  // An empty database the first instance migrates itself; PGlite (TEST_DB=pglite) lives in DATA_DIR, one instance only.
  const db = (o.dbKind ?? TEST_DB_KIND) === 'postgres' ? await createTestDb('postgres', { migrations: null }) : undefined;
  const clientId = 'local.bench';
  const clientSecret = 'bench-client-secret';
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${o.publicPort}`,
    SESSION_SECRET: 'bench-session-secret-0123456789abcdef-0123',
    BITRIX24_CLIENT_ID: clientId,
    BITRIX24_CLIENT_SECRET: clientSecret,
    BITRIX24_ALLOW_INSECURE_ENDPOINTS: '1',
    SEAL_P12_PATH: pki.rsaP12,
    SEAL_P12_PASSPHRASE: pki.passphrase,
    DATA_DIR: dataDir,
    TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`,
    ...(db?.url ? { DATABASE_URL: db.url } : {}),
    ...o.env,
  };
  const instances: ServiceProc[] = [];
  return {
    out: o.out,
    pki,
    db,
    env,
    clientId,
    clientSecret,
    async startService(s = {}) {
      const port = s.port ?? o.publicPort;
      // The emulator's OAuth server is a path on its loopback origin: production trusts exactly BITRIX24_OAUTH_HOSTS.
      const emu = new URL(o.emulatorBase());
      const fullEnv = {
        ...env,
        PORT: String(port),
        BITRIX24_OAUTH_SERVER_ENDPOINT: `${emu.origin}/oauth.bitrix24.test/rest/`,
        BITRIX24_OAUTH_HOSTS: `oauth.bitrix.info,oauth.bitrix24.tech,${emu.hostname}`,
        ...s.env,
      };
      const child = spawn(process.execPath, [...(s.nodeArgs ?? []), '--enable-source-maps', join(o.out, 'server.mjs')], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const p = watch(child);
      const base = `http://127.0.0.1:${port}`;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the built server exited with ${child.exitCode}:\n${p.lines.slice(-30).join('\n')}`);
        // Ready, not just alive: the database answers and every migration the build ships is applied.
        const up = await fetch(`${base}/readyz`).then((r) => r.status, () => 0);
        if (up === 200) break;
        if (Date.now() > deadline) throw new Error(`not ready (/readyz) within 90 s:\n${p.lines.slice(-30).join('\n')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const proc: ServiceProc = {
        ...p,
        base,
        pid: child.pid!,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
        async kill9() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
      instances.push(proc);
      return proc;
    },
    async close() {
      await Promise.all(instances.map((i) => i.stop()));
      await db?.close();
      pki.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A load balancer in front of several instances: each request goes to the next backend in turn (per
 * request, not per connection, so a keep-alive client is spread too), body and headers as they came.
 * Counts per backend every request and the robot deliveries (POST /b24/robots/…).
 */
export async function roundRobinProxy(port: number, backends: string[]): Promise<{ counts: Map<string, { requests: number; delivered: number }>; close(): Promise<void> }> {
  const counts = new Map(backends.map((b) => [b, { requests: 0, delivered: 0 }]));
  let next = 0;
  const server = createServer((req, res) => {
    const backend = backends[next++ % backends.length]!;
    const n = counts.get(backend)!;
    n.requests++;
    if (req.method === 'POST' && req.url?.startsWith('/b24/robots/')) n.delivered++;
    const upstream = httpRequest(`${backend}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  return {
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** utime and stime of a process in milliseconds, from /proc (Linux): the service's own CPU, nothing of ours. */
export function processCpu(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at ')'; utime and stime are the 14th and 15th.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(rest[11]) * 1000) / CLOCK_TICKS, system: (Number(rest[12]) * 1000) / CLOCK_TICKS };
}

export function processCpuMs(pid: number): number {
  const c = processCpu(pid);
  return c.user + c.system;
}

/** USER_HZ: 100 on every Linux we run on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;
