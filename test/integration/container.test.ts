/**
 * The container image, checked without a container engine (this machine has the docker CLI only; .ci/run
 * builds and starts the real image where `docker info` answers, .ci/container-smoke).
 *
 * 1. The Dockerfile read as text: node:22-slim everywhere, a non-root user, the command is `npm run
 *    start:prod`, the HEALTHCHECK's path answers 200 from the app, every file copied from the build
 *    context exists and survives .dockerignore, and secrets and local state are ignored.
 * 2. compose.yaml: the app's environment (placeholders filled) is a valid production configuration.
 * 3. The image's file system assembled by following the Dockerfile's own COPY lines: the context as
 *    .dockerignore leaves it, the build stage's `npm run build` run on that copy, the runtime stage's
 *    copies from it, in a folder outside the repository; then the image's CMD started there with the
 *    image's ENV, its HEALTHCHECK command run as Docker would (exit 1 before, 0 once ready), and SIGTERM
 *    to npm (PID 1 in the container) ending in a clean shutdown with exit code 0.
 * `npm ci` steps become a link to this checkout's node_modules (the build already refuses a bundle that
 * imports a development dependency); any other RUN step fails the test until it is taught here.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createTestDb, TEST_DB_KIND, type TestDb } from '../helpers/db.js';
import { makeTestPki, type TestPki } from '../helpers/seal-pki.js';
import { createTestServices } from '../helpers/services.js';
import { freePort, ROOT, watch } from '../helpers/stack.js';

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}
interface Stage {
  name: string;
  image: string;
  workdir: string;
  env: Record<string, string>;
  user?: string;
  /** COPY and RUN in file order. */
  steps: ({ kind: 'copy' } & Copy | { kind: 'run'; command: string })[];
  healthcheck?: { options: string; command: string[] };
  cmd?: string[];
}

/** The Dockerfile's instructions (continuations joined, comments dropped) grouped into stages; only the forms we use. */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const subst = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? '');
  for (const line of lines) {
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const stage = stages.at(-1);
    switch (op?.toUpperCase()) {
      case 'ARG': {
        const [k, v] = rest!.split('=');
        args[k!] = v ?? '';
        break;
      }
      case 'FROM': {
        const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest!)!;
        stages.push({ name: name ?? String(stages.length), image: subst(image!), workdir: '/', env: {}, steps: [] });
        break;
      }
      case 'WORKDIR':
        stage!.workdir = posix.resolve(stage!.workdir, rest!);
        break;
      case 'ENV':
        for (const pair of rest!.split(/\s+/)) {
          const i = pair.indexOf('=');
          stage!.env[pair.slice(0, i)] = pair.slice(i + 1);
        }
        break;
      case 'USER':
        stage!.user = rest;
        break;
      case 'COPY': {
        const parts = rest!.split(/\s+/);
        const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
        expect(parts.every((p) => !p.startsWith('--')), `COPY option this test does not follow: ${line}`).toBe(true);
        stage!.steps.push({ kind: 'copy', from, sources: parts.slice(0, -1), dest: parts.at(-1)! });
        break;
      }
      case 'RUN':
        stage!.steps.push({ kind: 'run', command: rest! });
        break;
      case 'HEALTHCHECK': {
        const [, options, json] = /^(.*?)\s*CMD\s+(\[.*\])$/.exec(rest!)!;
        stage!.healthcheck = { options: options!, command: JSON.parse(json!) as string[] };
        break;
      }
      case 'CMD':
        stage!.cmd = JSON.parse(rest!) as string[];
        break;
      case 'EXPOSE':
        break;
      default:
        throw new Error(`Dockerfile instruction this test does not know: ${line}`);
    }
  }
  return stages;
}

/** .dockerignore as Docker reads it: patterns from the context root, `*` within a name, `**` across folders, `!` re-includes, the last match wins; a matched folder takes its contents. */
function dockerIgnore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const glob = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
      const plain = (part: string) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
      // `**/` is any number of folders, none included; any other `**` anything at all.
      const source = glob.split('**/').map((a) => a.split('**').map(plain).join('.*')).join('(?:.*/)?');
      return { negate, re: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const prefixes = path.split('/').map((_, i, all) => all.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const r of rules) if (prefixes.some((p) => r.re.test(p))) ignored = !r.negate;
    return ignored;
  };
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const ignored = dockerIgnore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
/** The path the HEALTHCHECK fetches: the quoted '/…' that ends its URL. */
const healthPath = () => /'(\/[\w/-]+)'\)/.exec(runtime.healthcheck!.command.join(' '))?.[1];

describe('Dockerfile, .dockerignore and compose.yaml (read, no engine)', () => {
  it('every stage is node:22-slim; the runtime stage runs as a non-root user and its command is npm run start:prod', () => {
    expect(stages.map((s) => s.image)).toEqual(stages.map(() => 'node:22-slim'));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime.user).toBeTruthy();
    expect(['root', '0']).not.toContain(runtime.user!.split(':')[0]);
    const cmd = runtime.cmd!;
    expect(cmd.slice(0, 2)).toEqual(['npm', 'run']);
    expect(cmd.at(-1)).toBe('start:prod');
    expect(cmd.slice(2, -1).every((o) => o === '--silent')).toBe(true);
    // start:prod runs the built server from dist/, which the runtime stage copies into its WORKDIR.
    const startProd = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start:prod']!;
    expect(startProd).toMatch(/\bnode\b.*\bdist\/server\.mjs$/);
    const copiesDist = runtime.steps.some((s) => s.kind === 'copy' && s.from && posix.resolve(runtime.workdir, s.dest) === posix.join(runtime.workdir, 'dist'));
    expect(copiesDist, 'the runtime stage copies a dist/ into its WORKDIR').toBe(true);
    expect(runtime.env.NODE_ENV).toBe('production');
  });

  it('the HEALTHCHECK probes /readyz, a route the app answers 200 on when ready', async () => {
    expect(runtime.healthcheck?.command[0]).toBe('node');
    expect(healthPath()).toBe('/readyz');
    const services = await createTestServices();
    try {
      const res = await createApp(services).request(healthPath()!);
      expect(res.status).toBe(200);
      expect((await res.json()).status).toBe('ready');
    } finally {
      await services.testDb.close();
    }
    // A fresh PGlite (TEST_DB=pglite) takes a while to start on a busy machine.
  }, 120_000);

  it('every file copied from the build context exists and is not ignored; local state, dependencies and secrets are', () => {
    const fromContext = stages.flatMap((s) => s.steps.flatMap((x) => (x.kind === 'copy' && !x.from ? x.sources : [])));
    expect(fromContext.length).toBeGreaterThan(0);
    for (const src of fromContext.filter((p) => p !== '.')) {
      expect(existsSync(join(ROOT, src)), `${src} exists`).toBe(true);
      expect(ignored(src), `${src} is not in .dockerignore`).toBe(false);
    }
    for (const p of ['node_modules', 'node_modules/hono/package.json', '.git', 'dist/server.mjs', '.data/pglite', '.env', 'deploy/.env.production', 'seal.p12', 'certs/seal.p12', 'src/key.pem', 'npm-debug.log', '.scratch-build-x/server.mjs']) {
      expect(ignored(p), `${p} is ignored`).toBe(true);
    }
    for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/entry/node.ts', 'scripts/build.ts', 'placements', 'migrations/meta/_journal.json']) {
      expect(ignored(p), `${p} is in the context`).toBe(false);
    }
  });

  it("compose.yaml: the app's environment, its required values filled, is a valid production configuration on the db service", () => {
    const compose = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
    const app = /^ {2}app:\n((?: {4,}.*\n|\n)*)/m.exec(compose)?.[1] ?? '';
    expect(app).toMatch(/^ {4}build: \.$/m);
    const block = /^ {4}environment:\n((?: {6}\S.*\n)+)/m.exec(app)?.[1] ?? '';
    const required: string[] = [];
    const env: Record<string, string> = {};
    for (const [, key, raw] of block.matchAll(/^ {6}(\w+): (.*)$/gm)) {
      env[key!] = raw!.replace(/^"|"$/g, '').replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, mode?: string, rest?: string) => {
        if (mode === '-') return rest ?? '';
        required.push(name);
        return name === 'PUBLIC_URL' ? 'https://sign.example.test' : name === 'TOKEN_ENCRYPTION_KEYS' ? `k1:${Buffer.alloc(32, 7).toString('base64')}` : `${name.toLowerCase()}-0123456789abcdef0123456789abcdef`;
      });
    }
    expect(required).toEqual(expect.arrayContaining(['PUBLIC_URL', 'SESSION_SECRET', 'BITRIX24_CLIENT_ID', 'BITRIX24_CLIENT_SECRET', 'TOKEN_ENCRYPTION_KEYS', 'SEAL_P12_PASSPHRASE']));
    const config = parseConfig({ ...runtime.env, ...env });
    expect(config.NODE_ENV).toBe('production');
    expect(new URL(config.DATABASE_URL!).hostname).toBe('db');
    expect(compose).toMatch(/^ {2}db:\n(?: {4,}.*\n|\n)*? {4}image: postgres:\d+/m);
    expect(config.SEAL_P12_PATH).toBe('/run/secrets/seal.p12');
    expect(app).toMatch(/^ {6}- seal\.p12$/m);
    // Every variable the header comments document is one the service reads (or a compose-only one).
    const documented = [...compose.matchAll(/^# {3}([A-Z][A-Z0-9_]+) /gm)].map((m) => m[1]!);
    expect(documented.length).toBeGreaterThan(5);
    for (const name of documented) expect(compose.includes(`\${${name}`), `${name} is used`).toBe(true);
  });
});

describe('the image assembled from the Dockerfile, started with its own CMD (no engine)', () => {
  let work: string;
  let pki: TestPki;
  let db: TestDb | undefined;
  const stageRoot = (name: string) => join(work, 'stages', name);

  function walkContext(dir: string, into: string) {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (ignored(rel)) continue;
      if (entry.isDirectory()) walkContext(rel, into);
      else if (entry.isFile()) cpSync(join(ROOT, rel), join(into, rel));
    }
  }

  /** Follows one stage's COPY and RUN steps into stages/<name>/ (the image's / for that stage). */
  async function assemble(stage: Stage) {
    const root = stageRoot(stage.name);
    const at = (p: string) => join(root, posix.resolve(stage.workdir, p));
    mkdirSync(at('.'), { recursive: true });
    for (const step of stage.steps) {
      if (step.kind === 'copy') {
        for (const src of step.sources) {
          const origin = step.from ? join(stageRoot(step.from), src) : src === '.' ? join(work, 'context') : join(work, 'context', src);
          expect(existsSync(origin), `${step.from ?? 'context'}:${src} exists when the ${stage.name} stage copies it`).toBe(true);
          const target = step.dest.endsWith('/') && src !== '.' ? join(at(step.dest), posix.basename(src)) : at(step.dest);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(origin, target, { recursive: true, verbatimSymlinks: true });
        }
      } else if (/^npm ci\b/.test(step.command)) {
        // Installed from the lock file in the image; here this checkout's node_modules stands in.
        if (!existsSync(at('node_modules'))) symlinkSync(join(ROOT, 'node_modules'), at('node_modules'));
      } else if (step.command === 'npm run build') {
        await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: at('.'), timeout: 280_000 });
      } else if (/^mkdir -p \/data && chown node:node \/data$/.test(step.command)) {
        mkdirSync(join(root, 'data'), { recursive: true });
      } else {
        throw new Error(`RUN step this test does not follow (${stage.name} stage): ${step.command}`);
      }
    }
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'b24-image-'));
    walkContext('', join(work, 'context'));
    for (const stage of stages) await assemble(stage);
    pki = makeTestPki();
    db = TEST_DB_KIND === 'postgres' ? await createTestDb('postgres', { migrations: null }) : undefined;
  }, 320_000);
  afterAll(async () => {
    await db?.close();
    pki?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('the context leaves out tests, dependencies and local state but holds what the build reads', () => {
    const context = join(work, 'context');
    expect(existsSync(join(context, 'src/entry/node.ts'))).toBe(true);
    for (const p of ['node_modules', '.git', 'test', 'dist']) expect(existsSync(join(context, p)), p).toBe(false);
  });

  it('the runtime stage holds the build output start:prod needs, and no source', () => {
    const app = join(stageRoot(runtime.name), runtime.workdir);
    for (const f of ['package.json', 'dist/server.mjs', 'dist/migrate.mjs', 'dist/migrations/meta/_journal.json', 'dist/assets/manifest.json']) {
      expect(existsSync(join(app, f)), f).toBe(true);
    }
    expect(readdirSync(join(app, 'dist')).some((f) => f.endsWith('-worker.mjs'))).toBe(true);
    expect(existsSync(join(app, 'src'))).toBe(false);
    expect(statSync(join(app, 'dist', 'server.mjs')).size).toBeGreaterThan(100_000);
  });

  it('CMD starts it outside the repository; the HEALTHCHECK fails before and passes once ready; SIGTERM to npm shuts it down cleanly', async () => {
    const app = join(stageRoot(runtime.name), runtime.workdir);
    expect(relative(ROOT, app).startsWith('..')).toBe(true);
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      ...runtime.env,
      // What compose.yaml passes, with this machine's paths; DATA_DIR is the image's /data in the assembled tree.
      DATA_DIR: join(stageRoot(runtime.name), runtime.env.DATA_DIR ?? 'data'),
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: 'https://sign.example.test',
      SESSION_SECRET: 'container-test-session-secret-0123456789abcdef',
      BITRIX24_CLIENT_ID: 'local.container',
      BITRIX24_CLIENT_SECRET: 'container-client-secret',
      TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 9).toString('base64')}`,
      SEAL_P12_PATH: pki.rsaP12,
      SEAL_P12_PASSPHRASE: pki.passphrase,
      LOG_LEVEL: 'info',
      ...(db?.url ? { DATABASE_URL: db.url } : {}),
    };
    const [healthBin, ...healthArgs] = runtime.healthcheck!.command;
    const probe = () => spawnSync(healthBin === 'node' ? process.execPath : healthBin!, healthArgs, { env, cwd: app, timeout: 10_000 }).status;
    expect(probe(), 'HEALTHCHECK with nothing listening').toBe(1);

    const [bin, ...args] = runtime.cmd!;
    const child = spawn(bin!, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = watch(child);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (probe() !== 0) {
        if (child.exitCode !== null) throw new Error(`CMD exited with ${child.exitCode}:\n${out.lines.slice(-30).join('\n')}`);
        if (Date.now() > deadline) throw new Error(`HEALTHCHECK never passed within 90 s:\n${out.lines.slice(-30).join('\n')}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { status: string; migrations: { shipped: number } };
      expect(ready.status).toBe('ready');
      expect(ready.migrations.shipped).toBe(readdirSync(join(app, 'dist', 'migrations')).filter((f) => f.endsWith('.sql')).length);
    } finally {
      // docker stop: SIGTERM to PID 1, which is npm.
      child.kill('SIGTERM');
    }
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code, out.lines.slice(-20).join('\n')).toBe(0);
    await out.line(/shutting down/, 1000);
    expect(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 'closed')).toBe('closed');
  }, 150_000);
});
