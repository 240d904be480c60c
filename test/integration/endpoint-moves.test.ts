/**
 * Issue 14 item 8: endpoint moves. A portal's 302 re-points the stored endpoint only after the OAuth
 * server confirms the new address (app.info → install.client_endpoint); until then the token is not
 * sent there and nothing is stored. (Name resolution on Node: test/unit/outbound-dns.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBitrix24 } from '../../src/bitrix24/client.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { errorOf, FakeBitrix24, portalRow, seedPortal } from '../helpers/fake-bitrix24.js';
import { testConfig } from '../helpers/services.js';

let testDb: TestDb;
beforeAll(async () => {
  testDb = await createTestDb();
});
afterAll(async () => {
  await testDb.close();
});

const client = (fake: FakeBitrix24) =>
  createBitrix24({ db: testDb.db, fetch: fake.fetch, clock: systemClock, logger: silentLogger(), config: testConfig({ BITRIX24_CLIENT_ID: 'app.test', BITRIX24_CLIENT_SECRET: 'app-secret', BITRIX24_RATE_PER_SECOND: '1000' }), options: { retryBaseMs: 1 } });

describe('a 302 from a portal', () => {
  it('to an address the OAuth server does not confirm is refused: the token never goes there and nothing is stored', async () => {
    const fake = new FakeBitrix24({ domain: 'acme.bitrix24.test' });
    // The old host (or whoever answers for it) points elsewhere; the OAuth server still names the old endpoint.
    fake.redirects.set('acme.bitrix24.test', 'evil.bitrix24.test');
    const id = await seedPortal(testDb.db, fake);
    const before = await portalRow(testDb.db, id);
    const e = await errorOf(client(fake).forPortal(id).call('crm.deal.update', { id: 5, fields: { TITLE: 'x' } }));
    expect(e.code).toBe('ENDPOINT_NOT_CONFIRMED');
    expect(fake.requests.filter((r) => r.host === 'evil.bitrix24.test')).toHaveLength(0);
    expect(fake.requests.filter((r) => r.method === 'oauth:app.info')).toHaveLength(1);
    expect(await portalRow(testDb.db, id)).toEqual(before);
  });

  it('to the address app.info names is followed and stored (the token is refreshed first when app.info refuses it)', async () => {
    const fake = new FakeBitrix24({ domain: 'new-name.bitrix24.test' });
    fake.redirects.set('old-name.bitrix24.test', 'new-name.bitrix24.test');
    const id = await seedPortal(testDb.db, fake, { domain: 'old-name.bitrix24.test', clientEndpoint: 'https://old-name.bitrix24.test/rest/', accessToken: 'stale' });
    // The old host redirects before looking at the token; app.info refuses the stale one, so it is refreshed and asked again.
    await client(fake).forPortal(id).call('profile');
    expect(fake.requests.filter((r) => r.method === 'oauth:app.info').map((r) => r.body.auth)).toEqual(['stale', fake.access]);
    expect(fake.restRequests().map((r) => `${r.host} ${String(r.body.auth)}`)).toEqual(['old-name.bitrix24.test stale', `new-name.bitrix24.test ${fake.access}`]);
    expect(await portalRow(testDb.db, id)).toMatchObject({ clientEndpoint: 'https://new-name.bitrix24.test/rest/', domain: 'new-name.bitrix24.test' });
  });

  it('is refused when the OAuth server names another address than the redirect', async () => {
    const fake = new FakeBitrix24({ domain: 'new-name.bitrix24.test' });
    fake.redirects.set('old-name.bitrix24.test', 'new-name.bitrix24.test');
    fake.oauthClientEndpoint = 'https://renamed-again.bitrix24.test/rest/';
    const id = await seedPortal(testDb.db, fake, { domain: 'old-name.bitrix24.test', clientEndpoint: 'https://old-name.bitrix24.test/rest/' });
    expect((await errorOf(client(fake).forPortal(id).call('profile'))).code).toBe('ENDPOINT_NOT_CONFIRMED');
    expect(fake.restRequests().map((r) => r.host)).toEqual(['old-name.bitrix24.test']);
    expect((await portalRow(testDb.db, id)).clientEndpoint).toBe('https://old-name.bitrix24.test/rest/');
  });
});
