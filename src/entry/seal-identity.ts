import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { AppError } from '../lib/app-error.js';
import { developmentIdentity, generateDevelopmentSeal, type StoredDevelopmentSeal } from '../documents/certificates/development.js';
import type { SealIdentity } from '../documents/certificates/identity.js';
import { loadPkcs12 } from '../documents/certificates/pkcs12.js';

/**
 * Node entry point for the platform seal identity (file system access lives here only):
 * SEAL_P12_PATH (+ SEAL_P12_PASSPHRASE) when configured, else the development seal generated once
 * into `<dataDir>/seal/development-seal.json` and reused on every start — never in production.
 */
export async function loadSealIdentity(
  config: Pick<Config, 'SEAL_P12_PATH' | 'SEAL_P12_PASSPHRASE'> & Partial<Pick<Config, 'NODE_ENV'>>,
  opts: { dataDir: string; now?: Date },
): Promise<SealIdentity> {
  const now = opts.now ?? new Date();
  if (config.SEAL_P12_PATH) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(config.SEAL_P12_PATH));
    } catch (e) {
      throw new AppError('CERTIFICATE_INVALID', `SEAL_P12_PATH cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}.`, undefined, { cause: e });
    }
    return loadPkcs12(bytes, config.SEAL_P12_PASSPHRASE ?? '', { now, source: 'config' });
  }
  // Config already requires SEAL_P12_PATH in production; this is the second lock on the same door,
  // so no code path can ever seal real documents with a self-made certificate.
  if (config.NODE_ENV === 'production') {
    throw new AppError('CERTIFICATE_INVALID', 'No seal certificate: production needs a PKCS#12 file in SEAL_P12_PATH; the generated development certificate exists only in development.');
  }
  return developmentIdentity(await loadOrCreateDevelopmentSeal(opts.dataDir, now), now);
}

export const developmentSealPath = (dataDir: string) => join(dataDir, 'seal', 'development-seal.json');

export async function loadOrCreateDevelopmentSeal(dataDir: string, now: Date): Promise<StoredDevelopmentSeal> {
  const file = developmentSealPath(dataDir);
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as StoredDevelopmentSeal;
    if (stored.version === 1 && stored.pkcs8 && stored.chain?.length) return stored;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const stored = await generateDevelopmentSeal(now);
  await mkdir(join(dataDir, 'seal'), { recursive: true, mode: 0o700 });
  // Write a temporary file, then link it into place: link() fails if another process won the race,
  // and then everyone uses the winner's key; nobody ever reads a half-written file.
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, JSON.stringify(stored), { mode: 0o600 });
  try {
    await link(tmp, file);
    return stored;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return JSON.parse(await readFile(file, 'utf8')) as StoredDevelopmentSeal;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}
