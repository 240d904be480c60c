import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One browser bundle per placement page; shared code and the lazily loaded editor become chunks. */
export const PLACEMENT_ENTRIES = {
  'crm-card': 'crm-card/page.ts',
  'docgen-button': 'docgen-button/page.ts',
  app: 'app/page.ts',
} as const;

export interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Bundles the page scripts in memory (Node only: esbuild is a native binary). The card's own bundle
 * stays small; pdf.js sits in a separate chunk that loads only when a PDF is shown.
 */
export async function buildPlacementAssets(opts: { minify?: boolean } = {}): Promise<Map<string, Asset>> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(PLACEMENT_ENTRIES).map(([name, file]) => [name, here(`./${file}`)])),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: opts.minify ?? true,
    outdir: here('./.out'),
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const assets = new Map<string, Asset>();
  const add = (name: string, body: Uint8Array, type: string) =>
    assets.set(name, { body, type, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"` });
  for (const f of result.outputFiles) add(basename(f.path), f.contents, 'text/javascript; charset=utf-8');
  const worker = await readFile(fileURLToPath(import.meta.resolve('pdfjs-dist/build/pdf.worker.min.mjs')));
  add('pdf.worker.mjs', new Uint8Array(worker), 'text/javascript; charset=utf-8');
  return assets;
}
