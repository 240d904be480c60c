import { MANIFEST_FILE, type AssetManifest } from '../../assets/built.js';
import { ASSET_NAMES, ASSETS_PREFIX, type Assets } from '../../assets/types.js';

/** The Workers static-assets binding (wrangler.toml `[assets] binding = "ASSETS"`). */
export interface AssetsBinding {
  fetch(input: Request | string): Promise<Response>;
}

/**
 * The assets port on Workers: the files `npm run build` wrote to dist/assets, uploaded as Workers
 * static assets (wrangler.toml `[assets] directory = "dist/assets"`) and read through the binding.
 * The manifest is read once per isolate; the app's /assets route keeps answering with its own
 * headers (ETag, immutable caching).
 *
 * Always the plain file, never the build's .br/.gz variant: the Workers runtime treats a body sent
 * with Content-Encoding as uncompressed and encodes it itself, and it rewrites the Accept-Encoding a
 * worker sees, so a precompressed body would reach a client compressed twice or mislabelled (seen in
 * workerd: an `identity` client got brotli bytes). Compression for the client is Cloudflare's own.
 */
export function workersAssets(binding: AssetsBinding, manifest: AssetManifest): Assets {
  const read = async (file: string) => {
    const res = await binding.fetch(new Request(`https://assets.invalid/${file}`));
    if (!res.ok) throw new Error(`static asset ${file}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  return {
    url: (name) => ASSETS_PREFIX + manifest.names[name],
    async get(path) {
      const entry = Object.hasOwn(manifest.files, path) ? manifest.files[path] : undefined;
      if (!entry) return undefined;
      return { body: await read(path), type: entry.type, etag: `"${entry.sha256.slice(0, 16)}"`, immutable: true, negotiated: false };
    },
  };
}

/** Reads and checks the build's manifest through the binding (a stale or partial upload fails loudly). */
export async function loadWorkersManifest(binding: AssetsBinding): Promise<AssetManifest> {
  const res = await binding.fetch(new Request(`https://assets.invalid/${MANIFEST_FILE}`));
  if (!res.ok) throw new Error(`the static assets have no ${MANIFEST_FILE} (HTTP ${res.status}): run \`npm run build\` before \`wrangler deploy\``);
  const manifest = (await res.json()) as AssetManifest;
  const missing = ASSET_NAMES.filter((n) => !Object.hasOwn(manifest.files, manifest.names?.[n] ?? ''));
  if (missing.length) throw new Error(`the static assets' ${MANIFEST_FILE} lacks ${missing.join(', ')}; run \`npm run build\` again`);
  return manifest;
}
