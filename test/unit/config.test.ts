import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseDatabaseConfig } from '../../src/config.js';

/** Everything production insists on; each test removes one piece. */
const PRODUCTION = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://sign.example.com',
  SESSION_SECRET: 'x'.repeat(32),
  BITRIX24_CLIENT_ID: 'app.123',
  BITRIX24_CLIENT_SECRET: 'secret',
  SEAL_P12_PATH: '/etc/b24-sign/seal.p12',
  TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
};
const problemsOf = (raw: Record<string, string>): string[] => {
  try {
    parseConfig(raw);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems;
  }
};

describe('parseConfig', () => {
  it('has embedded defaults: PGlite in ./.data, sandbox on, port 3000', () => {
    const c = parseConfig({});
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.DATA_DIR).toBe('./.data');
    expect(c.PORT).toBe(3000);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.sandboxEnabled).toBe(true);
  });

  it('names the bad variable', () => {
    expect(() => parseConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => parseConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    try {
      parseConfig({ LOG_LEVEL: 'loud', PORT: '-1' });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.join()).toMatch(/LOG_LEVEL.*PORT|PORT.*LOG_LEVEL/);
    }
  });

  it('turns the sandbox off with credentials, SANDBOX=0 or in production', () => {
    expect(parseConfig({ BITRIX24_CLIENT_ID: 'a', BITRIX24_CLIENT_SECRET: 'b' }).sandboxEnabled).toBe(false);
    expect(parseConfig({ SANDBOX: '0' }).sandboxEnabled).toBe(false);
    expect(parseConfig(PRODUCTION).sandboxEnabled).toBe(false);
  });

  it('production: complete settings parse', () => {
    expect(problemsOf(PRODUCTION)).toEqual([]);
  });

  it.each(['PUBLIC_URL', 'SESSION_SECRET', 'BITRIX24_CLIENT_ID', 'BITRIX24_CLIENT_SECRET', 'SEAL_P12_PATH', 'TOKEN_ENCRYPTION_KEYS'] as const)(
    'production without %s: exactly one problem, naming it',
    (name) => {
      const { [name]: _left, ...rest } = PRODUCTION;
      expect(problemsOf(rest)).toEqual([expect.stringMatching(new RegExp(`^${name}: is required in production \\(.+\\)$`))]);
      // An empty value is unset, as in most shells and CI systems.
      expect(problemsOf({ ...PRODUCTION, [name]: '' })).toHaveLength(1);
    },
  );

  it('production with nothing set lists every missing piece, one line each', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['PUBLIC_URL', 'SESSION_SECRET', 'BITRIX24_CLIENT_ID', 'BITRIX24_CLIENT_SECRET', 'SEAL_P12_PATH', 'TOKEN_ENCRYPTION_KEYS']);
    expect(problems.every((p) => !p.includes('\n'))).toBe(true);
  });

  it('outside production the same settings stay optional (sandbox, generated secret and seal)', () => {
    expect(problemsOf({ NODE_ENV: 'development' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'test' })).toEqual([]);
  });
});

describe('parseDatabaseConfig', () => {
  it('reads only the database settings, so migrating needs no seal or OAuth keys', () => {
    expect(parseDatabaseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/sign' })).toEqual({ DATABASE_URL: 'postgres://db/sign', DATA_DIR: './.data', MIGRATIONS_DIR: undefined });
    expect(parseDatabaseConfig({ DATABASE_URL: '', MIGRATIONS_DIR: '/opt/b24-sign/migrations' })).toMatchObject({ DATABASE_URL: undefined, MIGRATIONS_DIR: '/opt/b24-sign/migrations' });
    expect(() => parseDatabaseConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });
});
