// `npm test`: makes sure the machine has what the suite needs, then runs vitest (extra arguments are
// passed through, e.g. `npm test -- test/integration/seal.test.ts`).
//  1. System tools (poppler, qpdf, mupdf, openssl, Chromium): missing Debian packages are installed when
//     we may (root, or password-less sudo) and TEST_INSTALL_TOOLS is not 0; otherwise one line names the
//     command to run and we stop before any test starts.
//  2. PostgreSQL (TEST_DATABASE_URL, default 127.0.0.1:5432): when it cannot be reached the suite says so
//     and runs on embedded PGlite instead; tests that need a server of their own are then reported skipped.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { missingTools, missingToolsLine, packagesOf } from './test-tools.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.log(`test: ${line}`);

function canInstall() {
  if (process.env.TEST_INSTALL_TOOLS === '0') return undefined;
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return undefined;
  if (process.getuid?.() === 0) return [];
  return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? ['sudo'] : undefined;
}

function ensureTools() {
  const missing = missingTools();
  if (missing.length === 0) return;
  const prefix = canInstall();
  if (!prefix) {
    console.error(`test: ${missingToolsLine(missing)}`);
    process.exit(1);
  }
  const pkgs = packagesOf(missing);
  say(`installing ${pkgs.join(' ')} from Debian (tools the tests check PDFs and pages with; once per machine)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => {
    const [cmd, ...rest] = [...prefix, ...args];
    const r = spawnSync(cmd, rest, { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    return r.status === 0 ? undefined : (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop();
  };
  const failed = run(['apt-get', 'update', '-qq']) ?? run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
  const still = missingTools();
  if (failed || still.length > 0) {
    console.error(`test: could not install the tools (${failed ?? 'still missing after install'}); ${missingToolsLine(still.length ? still : missing)}`);
    process.exit(1);
  }
}

async function postgresReachable(url) {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return undefined;
  } catch (e) {
    return e?.code ?? e?.message ?? String(e);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

async function chooseDatabase(env) {
  if (env.TEST_DB === 'pglite') return;
  const url = env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const problem = await postgresReachable(url);
  if (!problem) return;
  const where = url.replace(/\/\/[^@/]*@/, '//');
  say(`PostgreSQL at ${where} is unreachable (${problem}): running the suite on PGlite; start PostgreSQL or set TEST_DATABASE_URL to test on it`);
  env.TEST_DB = 'pglite';
  env.TEST_POSTGRES = 'unreachable';
}

ensureTools();
const env = { ...process.env };
await chooseDatabase(env);
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
