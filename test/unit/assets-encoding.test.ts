import { describe, expect, it } from 'vitest';
import { pickEncoding } from '../../src/assets/built.js';

const both = { br: true, gzip: true };

describe('pickEncoding (Accept-Encoding → precompressed variant)', () => {
  it('prefers brotli, then gzip, by q-value', () => {
    expect(pickEncoding('gzip, deflate, br, zstd', both)).toBe('br');
    expect(pickEncoding('br;q=0.5, gzip', both)).toBe('gzip');
    expect(pickEncoding('gzip', both)).toBe('gzip');
    expect(pickEncoding('GZIP;Q=0.8, *;q=0.9', both)).toBe('br');
  });

  it('falls back to the identity when nothing acceptable exists', () => {
    expect(pickEncoding(undefined, both)).toBeUndefined();
    expect(pickEncoding('', both)).toBeUndefined();
    expect(pickEncoding('deflate', both)).toBeUndefined();
    expect(pickEncoding('br;q=0, gzip;q=0', both)).toBeUndefined();
    expect(pickEncoding('br', { br: false, gzip: true })).toBeUndefined();
    expect(pickEncoding('br;q=0.2, identity', both)).toBeUndefined();
    expect(pickEncoding('br;q=abc, gzip', both)).toBe('gzip');
  });
});
