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
import { loadSealIdentity } from '../../src/documents/certificates/load.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { makeTestPki, type TestPki } from '../helpers/seal-pki.js';

const ENTRY = join(import.meta.dirname, '../../src/entry/node.ts');
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
  it.each(['PUBLIC_URL', 'SESSION_SECRET', 'BITRIX24_CLIENT_ID', 'BITRIX24_CLIENT_SECRET', 'SEAL_P12_PATH'] as const)(
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
