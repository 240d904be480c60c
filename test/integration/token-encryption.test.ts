/**
 * Portal tokens at rest (issue 14 item 3): the OAuth pair is sealed with TOKEN_ENCRYPTION_KEYS
 * (AES-GCM, bound to its column and portal), the application token is kept as a digest. Checked on
 * the table itself after an install and a refresh, through a key rotation with the start-up pass,
 * against rows from before encryption, and against values moved between rows or a missing key.
 */
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createBitrix24 } from '../../src/bitrix24/client.js';
import { loadPortalCredentials } from '../../src/bitrix24/portal-store.js';
import { portals } from '../../src/db/schema/index.js';
import { requireAppToken } from '../../src/http/b24-auth.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createTokenKeyring, TokenKeyError, type TokenKeyring } from '../../src/lib/token-keyring.js';
import { sealStoredTokens } from '../../src/portals/seal-tokens.js';
import { upsertInstalledPortal } from '../../src/portals/store.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { storeEmulatedPortal } from '../helpers/emulated-portal.js';
import { keysOf, readPortalTokens, TEST_TOKEN_KEYS, testKeyring } from '../helpers/portal-tokens.js';
import { createTestServices } from '../helpers/services.js';

const PUBLIC = 'http://b24sign.test';
const CLIENT = { clientId: 'local.b24sign.test', clientSecret: 'secret-of-the-test-app' };
const KEY_B = 'k2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const KEY_C = 'k3:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=';
const ring = (raw: string) => createTokenKeyring(keysOf(raw));

let services: Awaited<ReturnType<typeof createTestServices>>;
let emu: StartedEmulator;

beforeAll(async () => {
  services = await createTestServices({
    env: { PUBLIC_URL: PUBLIC, BITRIX24_CLIENT_ID: CLIENT.clientId, BITRIX24_CLIENT_SECRET: CLIENT.clientSecret, BITRIX24_OAUTH_SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/' },
  });
  const app = createApp(services);
  emu = await startEmulator({ appFetch: async (req) => app.request(req) });
});
afterAll(async () => {
  emu?.close();
  await services?.testDb.close();
});

/** The REST client of an instance configured with `keyring`. */
const clientWith = (keyring: TokenKeyring) =>
  createBitrix24({ db: services.db, fetch: services.fetch, clock: systemClock, logger: silentLogger(), config: { ...services.config, tokenKeyring: keyring }, options: { retryBaseMs: 5 } });

async function emulatedPortal(): Promise<{ id: string; memberId: string }> {
  const info = await emu.control.createPortal({ app: CLIENT });
  return { id: await storeEmulatedPortal(services.db, info, { id: `prt_enc_${info.memberId.slice(0, 10)}` }), memberId: info.memberId };
}

/** Every token-looking thing the emulator has issued for this portal's app. */
function issuedTokens(memberId: string): string[] {
  const app = emu.control.portal(memberId).apps.get(CLIENT.clientId)!;
  return [...emu.state.tokens.keys(), app.applicationToken].filter((t) => emu.state.tokens.get(t)?.memberId === memberId || t === app.applicationToken);
}

async function rawRow(id: string) {
  const [row] = await services.db.select({ a: portals.accessToken, r: portals.refreshToken, t: portals.applicationTokenDigest }).from(portals).where(eq(portals.id, id));
  return row!;
}

describe('what the table holds', () => {
  it('after an install and after a refresh: sealed pair, digested application token, no token in plaintext', async () => {
    const p = await emu.control.createPortal();
    const inst = await emu.control.installApp({ memberId: p.memberId, ...CLIENT, installUrl: `${PUBLIC}/b24/install`, handlerBase: PUBLIC, flavour: 'event' });
    expect(inst.delivery?.status, inst.delivery?.body).toBe(200);
    const [{ id } = { id: '' }] = await services.db.select({ id: portals.id }).from(portals).where(eq(portals.memberId, p.memberId));

    const check = async () => {
      const row = await rawRow(id);
      expect(row.a).toMatch(/^v1\.test1\.[\w-]{16}\.[\w-]+$/);
      expect(row.r).toMatch(/^v1\.test1\.[\w-]{16}\.[\w-]+$/);
      expect(row.t).toMatch(/^sha256:[0-9a-f]{64}$/);
      const dump = JSON.stringify(await services.db.select().from(portals).where(eq(portals.id, id)));
      const issued = issuedTokens(p.memberId);
      expect(issued.length).toBeGreaterThanOrEqual(3);
      for (const t of issued) expect(dump).not.toContain(t);
      return readPortalTokens(services.db, { portalId: id });
    };
    const installed = await check();
    expect(installed.accessToken).toBe(inst.accessToken);

    emu.control.expireAccessTokens(p.memberId);
    await services.bitrix24.forPortal(id).call('profile');
    const refreshed = await check();
    expect(refreshed.refreshToken).not.toBe(installed.refreshToken);
    expect(emu.state.tokens.get(refreshed.accessToken!)?.kind).toBe('access');
  });
});

describe('first installs racing', () => {
  it('two installs of one new portal at once leave one row whose tokens open under its id', async () => {
    const memberId = 'race-member-0001';
    const install = (n: number) =>
      upsertInstalledPortal(services.db, services.config.tokenKeyring, services.ids, {
        memberId, domain: 'race.bitrix24.test', clientEndpoint: 'https://race.bitrix24.test/rest/', serverEndpoint: 'https://oauth.bitrix24.test/rest/',
        applicationToken: `race-app-${n}`, tokens: { accessToken: `race-access-${n}`, refreshToken: `race-refresh-${n}`, expiresAt: null }, now: new Date(),
      });
    const [a, b] = await Promise.all([install(1), install(2)]);
    expect(a.id).toBe(b.id);
    const t = await readPortalTokens(services.db, { portalId: a.id });
    const n = t.accessToken!.slice(-1);
    expect(t).toMatchObject({ accessToken: `race-access-${n}`, refreshToken: `race-refresh-${n}` });
    expect(await t.appTokenIs(`race-app-${n}`)).toBe(true);
    await services.db.delete(portals).where(eq(portals.id, a.id));
  });
});

describe('key rotation', () => {
  it('a row sealed with key A is read under [B, A], re-sealed to B by the start-up pass, and still works once A is gone', async () => {
    const p = await emulatedPortal();
    const before = await readPortalTokens(services.db, { portalId: p.id });
    expect((await rawRow(p.id)).a).toMatch(/^v1\.test1\./);

    const rotated = ring(`${KEY_B},${TEST_TOKEN_KEYS}`);
    // Before the pass: an instance on [B, A] reads A's ciphertext.
    expect((await loadPortalCredentials(services.db, rotated, p.id))?.accessToken).toBe(before.accessToken);

    const report = await sealStoredTokens(services.db, rotated);
    expect(report.rewritten).toBeGreaterThanOrEqual(1);
    expect(await sealStoredTokens(services.db, rotated)).toEqual({ rewritten: 0, skipped: 0 }); // idempotent
    const row = await rawRow(p.id);
    expect(row.a).toMatch(/^v1\.k2\./);
    expect(row.r).toMatch(/^v1\.k2\./);
    expect(await services.db.select({ id: portals.id }).from(portals).where(like(portals.accessToken, 'v1.test1.%'))).toEqual([]);

    // A removed: the same pair, and a REST call (with a refresh) through an instance that knows only B.
    const onlyB = ring(KEY_B);
    expect(await readPortalTokens(services.db, { portalId: p.id }, onlyB)).toMatchObject({ accessToken: before.accessToken, refreshToken: before.refreshToken });
    emu.control.expireAccessTokens(p.memberId);
    await expect(clientWith(onlyB).forPortal(p.id).call('profile')).resolves.toBeTruthy();
    expect((await rawRow(p.id)).a).toMatch(/^v1\.k2\./);

    // Back to the test key for the other tests.
    await sealStoredTokens(services.db, ring(`${TEST_TOKEN_KEYS},${KEY_B}`));
    expect((await rawRow(p.id)).a).toMatch(/^v1\.test1\./);
  });

  it('two instances running the pass at once rewrite each row exactly once', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, () => emulatedPortal()));
    const rotated = ring(`${KEY_B},${TEST_TOKEN_KEYS}`);
    const [x, y] = await Promise.all([sealStoredTokens(services.db, rotated, { batch: 5 }), sealStoredTokens(services.db, rotated, { batch: 5 })]);
    expect(x.skipped + y.skipped).toBe(0);
    const all = await services.db.select({ a: portals.accessToken }).from(portals);
    expect(x.rewritten + y.rewritten).toBe(all.filter((r) => r.a).length);
    for (const p of ids) expect((await rawRow(p.id)).a).toMatch(/^v1\.k2\./);
    await sealStoredTokens(services.db, ring(`${TEST_TOKEN_KEYS},${KEY_B}`));
  });
});

describe('rows from before encryption', () => {
  it('are read as they are until the pass seals the pair and digests the application token', async () => {
    const memberId = 'legacy-member-0001';
    const id = 'prt_legacy_0001';
    await services.db.insert(portals).values({
      id, memberId, domain: 'legacy.bitrix24.test', clientEndpoint: 'https://legacy.bitrix24.test/rest/', serverEndpoint: 'https://oauth.bitrix24.test/rest/',
      accessToken: 'legacy-access-token', refreshToken: 'legacy-refresh-token', applicationTokenDigest: 'legacy-app-token-0123456789abcdef',
    });
    const form = { auth: { member_id: memberId, application_token: 'legacy-app-token-0123456789abcdef' } };
    await expect(requireAppToken(services, form)).resolves.toMatchObject({ id });
    expect((await loadPortalCredentials(services.db, testKeyring, id))?.refreshToken).toBe('legacy-refresh-token');

    await sealStoredTokens(services.db, testKeyring);
    const row = await rawRow(id);
    expect(row.a).toMatch(/^v1\.test1\./);
    expect(row.t).toMatch(/^sha256:/);
    expect(JSON.stringify(row)).not.toMatch(/legacy-(access|refresh|app)/);
    expect(await readPortalTokens(services.db, { portalId: id })).toMatchObject({ accessToken: 'legacy-access-token', refreshToken: 'legacy-refresh-token' });
    await expect(requireAppToken(services, form)).resolves.toMatchObject({ id });
    // The digest itself is no token: presenting it is refused.
    await expect(requireAppToken(services, { auth: { member_id: memberId, application_token: row.t! } })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await services.db.delete(portals).where(eq(portals.id, id));
  });
});

describe('values that must not open', () => {
  it("a ciphertext copied into another portal's row, or into the other column, fails to open", async () => {
    const a = await emulatedPortal();
    const b = await emulatedPortal();
    const aRow = await rawRow(a.id);
    await services.db.update(portals).set({ accessToken: aRow.a }).where(eq(portals.id, b.id));
    await expect(loadPortalCredentials(services.db, testKeyring, b.id)).rejects.toMatchObject({ name: 'TokenKeyError', code: 'TOKEN_DECRYPT_FAILED' });
    await services.db.update(portals).set({ accessToken: aRow.r }).where(eq(portals.id, a.id));
    await expect(loadPortalCredentials(services.db, testKeyring, a.id)).rejects.toMatchObject({ code: 'TOKEN_DECRYPT_FAILED' });
    // The start-up pass refuses to go on over them (a clear error, naming the key), and leaves them as they are.
    const e = await sealStoredTokens(services.db, ring(`${KEY_B},${TEST_TOKEN_KEYS}`)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TokenKeyError);
    expect((e as Error).message).toMatch(/^2 portal row\(s\) hold tokens this instance cannot open: key "test1" does not open them/);
    expect((await rawRow(b.id)).a).toBe(aRow.a);
    await services.db.delete(portals).where(eq(portals.id, a.id));
    await services.db.delete(portals).where(eq(portals.id, b.id));
    await sealStoredTokens(services.db, ring(`${TEST_TOKEN_KEYS},${KEY_B}`));
  });

  it('a missing key is a clear error, at start-up and on a call, never a silent reinstall', async () => {
    const p = await emulatedPortal();
    const wrong = ring(KEY_C);
    await expect(sealStoredTokens(services.db, wrong)).rejects.toThrow(/portal row\(s\) hold tokens this instance cannot open: key "test1" is not in the list/);
    emu.control.expireAccessTokens(p.memberId);
    await expect(clientWith(wrong).forPortal(p.id).call('profile')).rejects.toMatchObject({ name: 'TokenKeyError', code: 'TOKEN_KEY_UNKNOWN' });
    const [row] = await services.db.select({ status: portals.status, tokenVersion: portals.tokenVersion }).from(portals).where(eq(portals.id, p.id));
    expect(row).toEqual({ status: 'installed', tokenVersion: 0 });
    // The right key still works: nothing was spent or dropped.
    await expect(services.bitrix24.forPortal(p.id).call('profile')).resolves.toBeTruthy();
  });
});
