import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';

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
    expect(
      parseConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://x.example', SESSION_SECRET: 'x'.repeat(32) }).sandboxEnabled,
    ).toBe(false);
  });

  it('requires PUBLIC_URL and SESSION_SECRET in production', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/PUBLIC_URL[\s\S]*SESSION_SECRET/);
  });
});
