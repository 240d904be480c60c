/**
 * The browser files we serve under /assets: page scripts, pdf.js and its worker, the handwriting font.
 * Pages ask for a URL by logical name; the port answers requests for whatever those URLs point at.
 * Development builds them in memory on first use (src/assets/development.ts); the production bundle
 * serves the content-hashed, precompressed files `npm run build` wrote (src/assets/built.ts).
 */

/** Every name a server-rendered page references; the build must emit each one. */
export const ASSET_NAMES = [
  'placements/crm-card.js',
  'placements/docgen-button.js',
  'placements/app.js',
  'sign/app.js',
  'sign/portal.js',
  'sign/caveat.ttf',
  'pdfjs/pdf.min.mjs',
  'pdfjs/pdf.worker.min.mjs',
] as const;

export type AssetName = (typeof ASSET_NAMES)[number];

/** One answer to GET /assets/<path>. */
export interface AssetHit {
  body: Uint8Array;
  /** Content-Type of the file itself (not of its compressed form). */
  type: string;
  etag: string;
  /** Set when `body` is a precompressed variant chosen from Accept-Encoding. */
  encoding?: 'br' | 'gzip';
  /** The path carries a content hash, so the file never changes and may be cached for a year. */
  immutable: boolean;
  /** The answer depends on Accept-Encoding (precompressed variants exist). */
  negotiated: boolean;
}

export interface Assets {
  /** The public URL of a logical asset: `/assets/<name>` in development, its hashed file once built. */
  url(name: AssetName): string;
  /** The file at `path` (below /assets/), or undefined: only files the build emitted are ever served. */
  get(path: string, acceptEncoding?: string): Promise<AssetHit | undefined>;
}

export const ASSETS_PREFIX = '/assets/';

/** The MIME type we serve a file with, by extension. */
export function assetType(path: string): string {
  if (/\.m?js$/.test(path)) return 'text/javascript; charset=utf-8';
  if (path.endsWith('.ttf')) return 'font/ttf';
  if (path.endsWith('.css')) return 'text/css; charset=utf-8';
  return 'application/octet-stream';
}
