/**
 * Production refuses to start half-configured: the real Node entry, spawned with NODE_ENV=production
 * and one piece missing, exits 78 (EX_CONFIG) with one line naming the variable, before it touches
 * the database. With every piece present (a real PKCS#12) the same command starts and listens.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSealIdentity } from '../../src/entry/seal-identity.js';
import { openMigratedDatabase } from '../../src/db/open.js';
import { portals } from '../../src/db/schema/index.js';
import { createTokenKeyring } from '../../src/lib/token-keyring.js';
import { createTestDb, TEST_DB_KIND, type TestDb } from '../helpers/db.js';
import { keysOf } from '../helpers/portal-tokens.js';
import { makeTestPki, type TestPki } from '../helpers/seal-pki.js';

const ENTRY = join(import.meta.dirname, '../../src/entry/node.ts');
const KEYS = `k1:${Buffer.alloc(32, 3).toString('base64')}`;
let pki: TestPki;
let dataDir: string;
let db: TestDb;
beforeAll(async () => {
  pki = makeTestPki();
  dataDir = mkdtempSync(join(tmpdir(), 'b24-prod-start-'));
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
  pki?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const production = () => ({
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://sign.example.com',
  SESSION_SECRET: 'a-production-session-secret-of-48-characters-xyz',
  BITRIX24_CLIENT_ID: 'app.5f1e2d3c4b5a69.12345678',
  BITRIX24_CLIENT_SECRET: 'client-secret',
  SEAL_P12_PATH: pki.rsaP12,
  SEAL_P12_PASSPHRASE: pki.passphrase,
  TOKEN_ENCRYPTION_KEYS: KEYS,
  // A PostgreSQL URL that nothing listens on: a config check that came after opening it would hang or
  // fail differently. The positive case below swaps in a real database.
  DATABASE_URL: 'postgres://postgres@127.0.0.1:9/unreachable',
  DATA_DIR: dataDir,
  HOST: '127.0.0.1',
  PORT: '0',
  JOBS_CONCURRENCY: '0',
  LOG_LEVEL: 'info',
});

/** The entry under the test's own Node (22) with tsx's loader, with exactly `env` (nothing inherited but PATH). */
function start(env: Record<string, string>, until?: RegExp): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (until?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('production start-up', () => {
  it.each(['PUBLIC_URL', 'SESSION_SECRET', 'BITRIX24_CLIENT_ID', 'BITRIX24_CLIENT_SECRET', 'SEAL_P12_PATH', 'TOKEN_ENCRYPTION_KEYS'] as const)(
    'without %s: exit 78 and one line naming it',
    async (name) => {
      const { [name]: _missing, ...env } = production();
      const r = await start(env);
      expect(r.code).toBe(78);
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^b24-sign cannot start: ${name}: is required in production \\(.+\\)$`))]);
      expect(r.stdout).toBe('');
    },
    60_000,
  );

  it('with a seal certificate it cannot read: exit 78 and one line naming SEAL_P12_PATH', async () => {
    const r = await start({ ...production(), SEAL_P12_PATH: join(dataDir, 'no-such.p12') });
    expect(r.code).toBe(78);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^b24-sign cannot start: SEAL_P12_PATH: .*ENOENT/)]);
  }, 60_000);

  it('with a malformed TOKEN_ENCRYPTION_KEYS: exit 78 and one line saying what is wrong', async () => {
    const r = await start({ ...production(), TOKEN_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' });
    expect(r.code).toBe(78);
    expect(r.stderr.trimEnd().split('\n')).toEqual(['b24-sign cannot start: TOKEN_ENCRYPTION_KEYS: key "k1" must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)']);
  }, 60_000);

  it('with stored tokens sealed by a key no longer listed: exit 78 and one line naming the key, nothing rewritten', async () => {
    // Its own database (PGlite in its own DATA_DIR under TEST_DB=pglite), holding a row sealed with key "old".
    const dir = mkdtempSync(join(tmpdir(), 'b24-prod-keys-'));
    const target = TEST_DB_KIND === 'postgres' ? await createTestDb('postgres') : undefined;
    try {
      const { handle } = await openMigratedDatabase({ DATABASE_URL: target?.url, DATA_DIR: dir });
      const old = createTokenKeyring(keysOf(`old:${Buffer.alloc(32, 7).toString('base64')}`));
      const sealed = await old.seal('an-access-token', 'access_token', 'prt_old');
      await handle.db.insert(portals).values({ id: 'prt_old', memberId: 'm-old', domain: 'old.bitrix24.com', clientEndpoint: 'https://old.bitrix24.com/rest/', accessToken: sealed });
      await handle.close();
      const r = await start({ ...production(), DATA_DIR: dir, DATABASE_URL: target?.url ?? '' });
      expect(r.code).toBe(78);
      expect(r.stderr.trimEnd().split('\n')).toEqual([
        'b24-sign cannot start: TOKEN_ENCRYPTION_KEYS: 1 portal row(s) hold tokens this instance cannot open: key "old" is not in the list; add the old key back behind the current one',
      ]);
      const { handle: again } = await openMigratedDatabase({ DATABASE_URL: target?.url, DATA_DIR: dir });
      expect((await again.db.select({ a: portals.accessToken }).from(portals))[0]?.a).toBe(sealed);
      await again.close();
    } finally {
      await target?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('with everything set (a real PKCS#12): migrates, listens and stops cleanly', async () => {
    const database = db.url ? { DATABASE_URL: db.url } : { DATABASE_URL: '' }; // PGlite in DATA_DIR when TEST_DB=pglite
    const r = await start({ ...production(), ...database }, /b24-sign listening on https:\/\/sign\.example\.com/);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/b24-sign listening on https:\/\/sign\.example\.com/);
    expect(r.stdout).not.toMatch(/development certificate/);
    expect(r.code).toBe(0);
  }, 120_000);
});

describe('loadSealIdentity', () => {
  it('never generates the development certificate in production, whoever calls it', async () => {
    await expect(loadSealIdentity({ NODE_ENV: 'production' }, { dataDir })).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID', message: expect.stringMatching(/SEAL_P12_PATH/) });
    await expect(loadSealIdentity({ NODE_ENV: 'production', SEAL_P12_PATH: pki.rsaP12, SEAL_P12_PASSPHRASE: pki.passphrase }, { dataDir })).resolves.toMatchObject({ development: false });
  });
});
