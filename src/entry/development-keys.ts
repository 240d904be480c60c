import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTokenKey } from '../lib/token-keyring.js';

/**
 * Without TOKEN_ENCRYPTION_KEYS (development only: production requires it) one key is generated and
 * kept in DATA_DIR beside the session secret, so the sealed tokens of the local database stay
 * readable across restarts. `create: false` (the doctor) only reads what the server made.
 */
export function developmentTokenKeys(dataDir: string, opts: { create: boolean }): string {
  const file = join(dataDir, 'token-keys');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (!opts.create) return '';
  mkdirSync(dataDir, { recursive: true });
  const keys = generateTokenKey('dev1');
  writeFileSync(file, keys, { mode: 0o600 });
  return keys;
}
