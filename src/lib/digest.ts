import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { shake256 } from '@noble/hashes/sha3.js';

/**
 * Hashing without node:crypto, so the domain runs on any runtime. Two shapes:
 * - `sha256Of` / `sha256HexOf`: WebCrypto (native everywhere), for code that can await.
 * - `createHasher` / `hashBytes`: synchronous and incremental (update, clone), for the verifier's byte
 *   ranges. Portable by default (@noble/hashes, pure JavaScript); a platform may install a native
 *   factory (src/entry/native-hash.ts on Node, also inside the verification worker).
 */
export type DigestName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHAKE256';

export interface Hasher {
  update(data: Uint8Array): Hasher;
  /** The digest; the hasher is finished afterwards (clone first to go on). */
  digest(): Uint8Array;
  clone(): Hasher;
}

export type HasherFactory = (name: DigestName) => Hasher;

type NobleHash = { update(d: Uint8Array): unknown; digest(): Uint8Array; clone(): NobleHash };

const wrapNoble = (h: NobleHash): Hasher => ({
  update(data) {
    h.update(data);
    return this;
  },
  digest: () => h.digest(),
  clone: () => wrapNoble(h.clone()),
});

/** SHAKE256 at the 512-bit length RFC 8419 fixes for Ed448. */
export const portableHasher: HasherFactory = (name) => {
  switch (name) {
    case 'SHA-1':
      return wrapNoble(sha1.create() as NobleHash);
    case 'SHA-256':
      return wrapNoble(sha256.create() as NobleHash);
    case 'SHA-384':
      return wrapNoble(sha384.create() as NobleHash);
    case 'SHA-512':
      return wrapNoble(sha512.create() as NobleHash);
    case 'SHAKE256':
      return wrapNoble(shake256.create({ dkLen: 64 }) as unknown as NobleHash);
  }
};

let factory: HasherFactory = portableHasher;

/** A platform's faster synchronous hashing (same results); the entry installs it once per thread. */
export function installHasher(f: HasherFactory): void {
  factory = f;
}

export const createHasher = (name: DigestName): Hasher => factory(name);

/** Whether a platform hasher is installed: then incremental hashing is native too, and beats WebCrypto's one-shot copy. */
export const nativeHashing = (): boolean => factory !== portableHasher;

export function hashBytes(name: DigestName, ...parts: Uint8Array[]): Uint8Array {
  const h = createHasher(name);
  for (const p of parts) h.update(p);
  return h.digest();
}

export const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** SHA-256 of the parts as if concatenated (WebCrypto: one contiguous copy when there are several). */
export async function sha256Of(...parts: Uint8Array[]): Promise<Uint8Array> {
  let data: Uint8Array;
  if (parts.length === 1) data = parts[0]!;
  else {
    data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource));
}

export const sha256HexOf = async (...parts: Uint8Array[]): Promise<string> => toHex(await sha256Of(...parts));
