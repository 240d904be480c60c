import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ASSET_NAMES, ASSETS_PREFIX, type AssetName, type Assets } from './types.js';

/** Written by `npm run build` (scripts/build.ts) next to the files it lists. */
export interface AssetManifest {
  /** Logical name → path below /assets/ (content-hashed). */
  names: Record<AssetName, string>;
  /** Every servable file: its type, sizes, and which precompressed variants (`<path>.br`, `<path>.gz`) exist. */
  files: Record<string, { type: string; sha256: string; bytes: number; br?: number; gzip?: number }>;
}

export const MANIFEST_FILE = 'manifest.json';

/**
 * Production: the files `npm run build` wrote to `dir` (dist/assets). The manifest is read once at
 * start-up and checked against ASSET_NAMES, so a stale or partial build stops the process at once
 * instead of serving pages whose scripts 404. Files are read on first request and kept in memory.
 */
export async function loadBuiltAssets(dir: string): Promise<Assets> {
  const at = join(dir, MANIFEST_FILE);
  let manifest: AssetManifest;
  try {
    manifest = JSON.parse(await readFile(at, 'utf8')) as AssetManifest;
  } catch (e) {
    throw new Error(`Cannot read the asset manifest ${at} (${(e as Error).message}); run \`npm run build\` first.`);
  }
  const missing = ASSET_NAMES.filter((n) => !Object.hasOwn(manifest.files, manifest.names?.[n] ?? ''));
  if (missing.length) throw new Error(`The asset manifest ${at} lacks ${missing.join(', ')}; run \`npm run build\` again.`);

  const cache = new Map<string, Promise<Uint8Array>>();
  const read = (file: string) => {
    let p = cache.get(file);
    if (!p) {
      p = readFile(join(dir, file)).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      p.catch(() => cache.delete(file));
      cache.set(file, p);
    }
    return p;
  };
  return {
    url: (name) => ASSETS_PREFIX + manifest.names[name],
    async get(path, acceptEncoding) {
      const entry = Object.hasOwn(manifest.files, path) ? manifest.files[path] : undefined;
      if (!entry) return undefined;
      const available = { br: entry.br !== undefined, gzip: entry.gzip !== undefined };
      const encoding = pickEncoding(acceptEncoding, available);
      const file = encoding === 'br' ? `${path}.br` : encoding === 'gzip' ? `${path}.gz` : path;
      return {
        body: await read(file),
        type: entry.type,
        // Each representation has its own validator (RFC 9110 §8.8.3).
        etag: `"${entry.sha256.slice(0, 16)}${encoding ? `-${encoding}` : ''}"`,
        encoding,
        immutable: true,
        negotiated: available.br || available.gzip,
      };
    },
  };
}

/**
 * The precompressed variant to send for an Accept-Encoding header: the acceptable one with the
 * highest q (brotli on a tie, being smaller), none if the client wants identity or names neither.
 */
export function pickEncoding(header: string | undefined, available: { br: boolean; gzip: boolean }): 'br' | 'gzip' | undefined {
  if (!header) return undefined;
  const q = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [token, ...params] = part.split(';').map((s) => s.trim());
    if (!token) continue;
    const qv = params.find((p) => p.startsWith('q='));
    const value = qv === undefined ? 1 : Number(qv.slice(2));
    q.set(token, Number.isFinite(value) ? value : 0);
  }
  const weight = (name: string) => q.get(name) ?? q.get('*') ?? 0;
  const best = (['br', 'gzip'] as const).filter((e) => available[e] && weight(e) > 0).sort((a, b) => weight(b) - weight(a))[0];
  if (!best) return undefined;
  const identity = q.get('identity');
  return identity !== undefined && identity > weight(best) ? undefined : best;
}
