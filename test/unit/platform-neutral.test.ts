import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { nodeHasher } from '../../src/entry/native-hash.js';
import { portableHasher, sha256HexOf, toHex, type DigestName } from '../../src/lib/digest.js';
import { inflateZlib } from '../../src/lib/inflate.mjs';

// The runtime-neutral replacements for node:crypto and node:zlib in the domain (issue 19) must give
// node's answers: the verifier and the seal depend on every byte.
const bytes = (n: number, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + (i >> 8)) & 0xff);

describe('portable hashing (src/lib/digest.ts)', () => {
  const names: DigestName[] = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'SHAKE256'];
  it.each(names)('%s matches node:crypto, incrementally and after a clone', (name) => {
    const a = bytes(70_001);
    const b = bytes(3_333, 3);
    const node = nodeHasher(name).update(a).update(b).digest();
    const portable = portableHasher(name).update(a);
    const branch = portable.clone().update(b);
    expect(toHex(branch.digest())).toBe(toHex(node));
    expect(toHex(portable.digest())).toBe(toHex(nodeHasher(name).update(a).digest()));
    if (name === 'SHAKE256') expect(node.length).toBe(64);
  });

  it('sha256HexOf hashes several parts as one (WebCrypto)', async () => {
    const a = bytes(1000);
    const b = bytes(2000, 9);
    expect(await sha256HexOf(a, b)).toBe(createHash('sha256').update(a).update(b).digest('hex'));
  });
});

describe('inflateZlib (src/lib/inflate.mjs)', () => {
  const text = new TextEncoder().encode('4 0 obj << /Type /XRef /W [1 2 1] >> '.repeat(4000));
  const z = new Uint8Array(deflateSync(text));

  it('inflates what zlib deflated, trailing end-of-line included', () => {
    expect(Buffer.from(inflateZlib(z, { maxOutputLength: 1e9 })).equals(Buffer.from(text))).toBe(true);
    expect(inflateZlib(new Uint8Array([...z, 13, 10]), { maxOutputLength: 1e9 }).length).toBe(text.length);
  });

  it('stops past maxOutputLength with zlib’s error code, and a bomb stops early', () => {
    expect(() => inflateZlib(z, { maxOutputLength: 1000 })).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }));
    const bomb = new Uint8Array(deflateSync(new Uint8Array(64 * 1024 * 1024)));
    expect(() => inflateZlib(bomb, { maxOutputLength: 1024 * 1024 })).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }));
  });

  it('a truncated stream: an error, or in partial mode what zlib’s sync flush gives', () => {
    const cut = z.subarray(0, z.length >> 1);
    expect(() => inflateZlib(cut, { maxOutputLength: 1e9 })).toThrow();
    expect(inflateZlib(cut, { maxOutputLength: 1e9, partial: true }).length).toBe(inflateSync(cut, { finishFlush: 2 }).length);
  });
});
