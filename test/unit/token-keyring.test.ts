import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';
import { createTokenKeyring, generateTokenKey, parseTokenKeys } from '../../src/lib/token-keyring.js';
import { keysOf } from '../helpers/portal-tokens.js';

const A = 'a:' + Buffer.alloc(32, 1).toString('base64');
const B = 'b:' + Buffer.alloc(32, 2).toString('base64url');

describe('TOKEN_ENCRYPTION_KEYS format', () => {
  it('reads id:base64 lists (standard or url-safe base64), first key first', () => {
    const keys = keysOf(`${B}, ${A}`);
    expect(keys.map((k) => k.id)).toEqual(['b', 'a']);
    expect([...keys[1]!.key]).toEqual(Array(32).fill(1));
    expect(keysOf(generateTokenKey('x1'))[0]!.key).toHaveLength(32);
  });

  it('names each problem: missing id, short key, repeated id, nothing at all', () => {
    expect(parseTokenKeys(Buffer.alloc(32).toString('base64'))).toMatchObject({ problems: [expect.stringMatching(/entry 1 must be <id>:<base64 key>/)] });
    expect(parseTokenKeys('a.b:' + Buffer.alloc(32).toString('base64'))).toMatchObject({ problems: [expect.stringMatching(/entry 1/)] });
    expect(parseTokenKeys('a:' + Buffer.alloc(16).toString('base64'))).toMatchObject({ problems: ['key "a" must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)'] });
    expect(parseTokenKeys(`${A},${A}`)).toMatchObject({ problems: ['key id "a" appears twice'] });
    expect(parseTokenKeys(' , ')).toMatchObject({ problems: ['needs at least one <id>:<base64 key>'] });
  });

  it('config: required in production, checked when set, the development fallback only when unset', () => {
    const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://s.example.com', SESSION_SECRET: 'x'.repeat(40), BITRIX24_CLIENT_ID: 'id', BITRIX24_CLIENT_SECRET: 's', SEAL_P12_PATH: '/seal.p12' };
    expect(() => parseConfig(production)).toThrow(/TOKEN_ENCRYPTION_KEYS: is required in production/);
    expect(parseConfig({ ...production, TOKEN_ENCRYPTION_KEYS: A }).tokenKeyring.currentKeyId).toBe('a');
    const bad = (() => {
      try {
        parseConfig({ TOKEN_ENCRYPTION_KEYS: 'a:short' });
      } catch (e) {
        return e;
      }
    })();
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as ConfigError).problems).toEqual(['TOKEN_ENCRYPTION_KEYS: key "a" must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)']);
    expect(parseConfig({}, undefined, () => B).tokenKeyring.currentKeyId).toBe('b');
    expect(parseConfig({ TOKEN_ENCRYPTION_KEYS: A }, undefined, () => B).tokenKeyring.keyIds).toEqual(['a']);
  });
});

describe('sealing', () => {
  const ring = createTokenKeyring(keysOf(A));

  it('seals to v1.<kid>.<iv>.<ct> with a fresh IV each time, and opens back', async () => {
    const one = await ring.seal('secret-access', 'access_token', 'prt_1');
    const two = await ring.seal('secret-access', 'access_token', 'prt_1');
    expect(one).toMatch(/^v1\.a\.[\w-]{16}\.[\w-]+$/);
    expect(one).not.toBe(two);
    expect(one).not.toContain('secret');
    expect(await ring.open(one, 'access_token', 'prt_1')).toBe('secret-access');
    expect(ring.isCurrent(one)).toBe(true);
  });

  it('is bound to its portal and column (additional authenticated data)', async () => {
    const sealed = await ring.seal('secret-refresh', 'refresh_token', 'prt_1');
    await expect(ring.open(sealed, 'refresh_token', 'prt_2')).rejects.toMatchObject({ code: 'TOKEN_DECRYPT_FAILED', keyId: 'a' });
    await expect(ring.open(sealed, 'access_token', 'prt_1')).rejects.toMatchObject({ code: 'TOKEN_DECRYPT_FAILED' });
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    await expect(ring.open(flipped, 'refresh_token', 'prt_1')).rejects.toMatchObject({ code: 'TOKEN_DECRYPT_FAILED' });
    await expect(ring.open('v1.a.not-an-iv.x.y', 'refresh_token', 'prt_1')).rejects.toMatchObject({ code: 'TOKEN_DECRYPT_FAILED' });
  });

  it('rotation: [B, A] opens A and seals with B; without A, A is an unknown key; other bytes under A fail', async () => {
    const byA = await ring.seal('t', 'access_token', 'p');
    const rotated = createTokenKeyring(keysOf(`${B},${A}`));
    expect(await rotated.open(byA, 'access_token', 'p')).toBe('t');
    expect(rotated.isCurrent(byA)).toBe(false);
    expect(await rotated.seal('t', 'access_token', 'p')).toMatch(/^v1\.b\./);
    await expect(createTokenKeyring(keysOf(B)).open(byA, 'access_token', 'p')).rejects.toMatchObject({ code: 'TOKEN_KEY_UNKNOWN', message: expect.stringMatching(/key "a", which is not in TOKEN_ENCRYPTION_KEYS/) });
    await expect(createTokenKeyring(keysOf('a:' + Buffer.alloc(32, 9).toString('base64'))).open(byA, 'access_token', 'p')).rejects.toMatchObject({ code: 'TOKEN_DECRYPT_FAILED' });
  });

  it('passes a value from before encryption through; with no key at all, refuses to store', async () => {
    expect(await ring.open('0123abcd-plain', 'access_token', 'p')).toBe('0123abcd-plain');
    expect(await ring.openNullable(null, 'access_token', 'p')).toBeNull();
    expect(ring.isCurrent('0123abcd-plain')).toBe(false);
    await expect(createTokenKeyring([]).seal('t', 'access_token', 'p')).rejects.toMatchObject({ code: 'TOKEN_KEY_MISSING' });
  });
});
