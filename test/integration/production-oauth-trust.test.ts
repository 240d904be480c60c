/**
 * Issue 14 item 4: in production the OAuth servers trusted are exactly BITRIX24_OAUTH_HOSTS. Loopback
 * and `.test` emulators are trusted only outside production (tests, the sandbox); a production run
 * against the emulator names its host in the list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBitrix24 } from '../../src/bitrix24/client.js';
import { tokenUrlFor } from '../../src/bitrix24/endpoints.js';
import { ConfigError } from '../../src/config.js';
import { oauthServerEndpoint } from '../../src/http/b24-auth.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { errorOf, FakeBitrix24, seedPortal } from '../helpers/fake-bitrix24.js';
import { testConfig } from '../helpers/services.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://sign.example.com',
  BITRIX24_CLIENT_ID: 'local.prod',
  BITRIX24_CLIENT_SECRET: 'prod-secret',
  SEAL_P12_PATH: '/etc/seal.p12',
  BITRIX24_ALLOW_INSECURE_ENDPOINTS: '1',
};

describe('OAuth servers trusted in production', () => {
  it('are exactly BITRIX24_OAUTH_HOSTS: no implicit loopback, .test or default server', () => {
    const prod = testConfig(PRODUCTION);
    for (const raw of ['http://127.0.0.1:8790/rest/', 'http://localhost:8790/rest/', 'https://oauth.bitrix24.test/rest/', 'https://evil.example/rest/']) {
      expect(oauthServerEndpoint(raw, prod), raw).toBeUndefined();
    }
    expect(oauthServerEndpoint('https://oauth.bitrix.info/rest/', prod)?.href).toBe('https://oauth.bitrix.info/rest/');
    // Named explicitly, the emulator is trusted in production too.
    const listed = testConfig({ ...PRODUCTION, BITRIX24_OAUTH_HOSTS: 'oauth.bitrix.info,oauth.bitrix24.test,127.0.0.1' });
    expect(oauthServerEndpoint('https://oauth.bitrix24.test/rest/', listed)?.href).toBe('https://oauth.bitrix24.test/rest/');
    expect(oauthServerEndpoint('http://127.0.0.1:8790/rest/', listed)?.href).toBe('http://127.0.0.1:8790/rest/');
    // Outside production the emulator stays trusted for tests and the sandbox.
    expect(oauthServerEndpoint('https://oauth.bitrix24.test/rest/', testConfig())).toBeDefined();
  });

  it('the client secret goes only to listed hosts in production', () => {
    const prod = { allowInsecure: true, oauthHosts: ['oauth.bitrix.info'], production: true };
    expect(() => tokenUrlFor('https://oauth.bitrix24.test/rest/', prod)).toThrow(/not a known Bitrix24 OAuth server/);
    expect(() => tokenUrlFor('http://127.0.0.1:8790/rest/', prod)).toThrow(/not a known Bitrix24 OAuth server/);
    expect(tokenUrlFor('http://127.0.0.1:8790/rest/', { ...prod, oauthHosts: ['127.0.0.1'] }).href).toBe('http://127.0.0.1:8790/oauth/token/');
  });

  it('production refuses a default OAuth server outside the list (one line, at start-up)', () => {
    let problems: string[] = [];
    try {
      testConfig({ ...PRODUCTION, BITRIX24_OAUTH_SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/' });
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    expect(problems).toEqual(['BITRIX24_OAUTH_SERVER_ENDPOINT: host oauth.bitrix24.test must be listed in BITRIX24_OAUTH_HOSTS in production']);
    expect(() => testConfig({ ...PRODUCTION, BITRIX24_OAUTH_SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/', BITRIX24_OAUTH_HOSTS: 'oauth.bitrix24.test' })).not.toThrow();
  });

  describe('token refresh by the REST client', () => {
    let testDb: TestDb;
    beforeAll(async () => {
      testDb = await createTestDb();
    });
    afterAll(async () => {
      await testDb.close();
    });
    const client = (fake: FakeBitrix24, env: Record<string, string>) =>
      createBitrix24({ db: testDb.db, fetch: fake.fetch, clock: systemClock, logger: silentLogger(), config: testConfig(env), options: { retryBaseMs: 1 } });

    it('never sends the client secret to the emulator in production unless it is listed', async () => {
      const fake = new FakeBitrix24();
      fake.expired = true;
      const id = await seedPortal(testDb.db, fake);
      const e = await errorOf(client(fake, PRODUCTION).forPortal(id).call('profile'));
      expect(e.code).toBe('INSECURE_ENDPOINT');
      expect(fake.refreshRequests).toBe(0);

      const listed = client(fake, { ...PRODUCTION, BITRIX24_OAUTH_HOSTS: `oauth.bitrix.info,${fake.oauthHost}` });
      await listed.forPortal(id).call('profile');
      expect(fake.refreshRequests).toBe(1);
    });
  });
});
