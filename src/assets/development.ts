import { createHash } from 'node:crypto';
import { ASSETS_PREFIX, type AssetHit, type Assets } from './types.js';

/**
 * `npm start` and the tests: every browser file is built in memory by esbuild on the first request
 * under /assets (a few seconds), so no build step comes first. Plain names, revalidated by ETag.
 */
export function developmentAssets(): Assets {
  let built: Promise<Map<string, AssetHit>> | undefined;
  const load = () =>
    (built ??= import('./browser.js')
      .then((m) => m.buildBrowserAssets({ hashed: false }))
      .then(({ files }) => new Map(files.map((f) => [f.path, { body: f.body, type: f.type, etag: etagOf(f.body), immutable: false, negotiated: false }])))
      .catch((e: unknown) => {
        built = undefined; // a syntax error fixed in the source is picked up by the next request
        throw e;
      }));
  return {
    url: (name) => ASSETS_PREFIX + name,
    get: async (path) => (await load()).get(path),
  };
}

const etagOf = (body: Uint8Array) => `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;
