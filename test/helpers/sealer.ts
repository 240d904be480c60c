import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSealIdentity } from '../../src/entry/seal-identity.js';
import { createSealer, type Sealer } from '../../src/documents/seal/sealer.js';

let cached: Promise<Sealer> | undefined;

/**
 * A development sealer for tests, generated once per test process in a temporary directory
 * (RSA key generation costs a few hundred ms; no key material is committed).
 */
export function testSealer(): Promise<Sealer> {
  cached ??= loadSealIdentity({}, { dataDir: mkdtempSync(join(tmpdir(), 'b24-test-seal-')) }).then((id) => createSealer(id));
  return cached;
}
