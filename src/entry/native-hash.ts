import { createHash, type Hash } from 'node:crypto';
import { installHasher, type DigestName, type Hasher, type HasherFactory } from '../lib/digest.js';

const wrap = (h: Hash): Hasher => ({
  update(data) {
    h.update(data);
    return this;
  },
  digest: () => new Uint8Array(h.digest()),
  clone: () => wrap(h.copy()),
});

/** node:crypto behind the domain's synchronous hasher (src/lib/digest.ts): OpenSSL, several times the portable speed. */
export const nodeHasher: HasherFactory = (name: DigestName) =>
  wrap(name === 'SHAKE256' ? createHash('shake256', { outputLength: 64 }) : createHash(name.replace('-', '').toLowerCase()));

/** Installs it for this thread (module state is per thread: the verification worker installs its own). */
export function installNodeHasher(): void {
  installHasher(nodeHasher);
}
