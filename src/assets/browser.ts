import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFonts } from '../entry/fonts.js';
import { ASSETS_PREFIX, assetType, type AssetName } from './types.js';

/**
 * The one list of browser files, built the same way for `npm start` (in memory, plain names) and for
 * `npm run build` (content-hashed names, then written and compressed by scripts/build.ts). esbuild is
 * imported lazily: only development processes and the build ever load it.
 */

export interface BrowserFile {
  /** Path below /assets/. */
  path: string;
  body: Uint8Array;
  type: string;
}

export interface BrowserBuild {
  files: BrowserFile[];
  /** Logical name → path below /assets/. */
  names: Record<AssetName, string>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fromRoot = (p: string) => resolve(ROOT, p);

/** Files served as they are: pdf.js for the signing page, the worker both pages share, the Caveat face. */
const STATIC_FILES: Partial<Record<AssetName, () => Promise<Uint8Array>>> = {
  'pdfjs/pdf.min.mjs': () => packageFile('pdfjs-dist/build/pdf.min.mjs'),
  'pdfjs/pdf.worker.min.mjs': () => packageFile('pdfjs-dist/build/pdf.worker.min.mjs'),
  'sign/caveat.ttf': () => nodeFonts().bytes('handwriting'),
};

interface BundleSpec {
  /** Directory below /assets/; chunks import each other relatively inside it. */
  dir: string;
  /** Entry name → source file; each entry is the logical asset `<dir>/<name>.js`. */
  entries: Record<string, string>;
  splitting: boolean;
  target: string[];
}

const BUNDLES: BundleSpec[] = [
  {
    // The card's own bundle stays small; pdf.js and the editor become chunks loaded when needed.
    dir: 'placements',
    entries: {
      'crm-card': fromRoot('placements/crm-card/page.ts'),
      'docgen-button': fromRoot('placements/docgen-button/page.ts'),
      app: fromRoot('placements/app/page.ts'),
    },
    splitting: true,
    target: ['chrome110', 'firefox115', 'safari16'],
  },
  { dir: 'sign', entries: { app: fromRoot('src/signing/client/page.ts'), portal: fromRoot('src/signing/client/portal.ts') }, splitting: false, target: ['es2020'] },
];

export async function buildBrowserAssets(opts: { hashed: boolean }): Promise<BrowserBuild> {
  const names: Partial<Record<AssetName, string>> = {};
  const files: BrowserFile[] = [];
  const add = (path: string, body: Uint8Array) => files.push({ path, body, type: assetType(path) });

  for (const [name, read] of Object.entries(STATIC_FILES) as [AssetName, () => Promise<Uint8Array>][]) {
    const body = await read();
    const path = opts.hashed ? withHash(name, contentHash(body)) : name;
    names[name] = path;
    add(path, body);
  }

  // The scripts learn where pdf.js lives at build time, so a hashed pdf.js changes their hash too.
  const define = {
    B24_PDFJS_URL: JSON.stringify(ASSETS_PREFIX + names['pdfjs/pdf.min.mjs']),
    B24_PDFJS_WORKER_URL: JSON.stringify(ASSETS_PREFIX + names['pdfjs/pdf.worker.min.mjs']),
  };
  const { build } = await import('esbuild');
  const outRoot = fromRoot('.assets-out');
  const results = await Promise.all(
    BUNDLES.map(async (spec) => {
      const outdir = resolve(outRoot, spec.dir);
      const result = await build({
        entryPoints: spec.entries,
        bundle: true,
        splitting: spec.splitting,
        format: 'esm',
        platform: 'browser',
        target: spec.target,
        minify: true,
        define,
        // pdf.js for the signing page is fetched at run time from its own URL, never inlined.
        external: [`${ASSETS_PREFIX}*`],
        absWorkingDir: ROOT,
        outdir,
        entryNames: opts.hashed ? '[name]-[hash]' : '[name]',
        chunkNames: 'chunk-[hash]',
        metafile: true,
        write: false,
        logLevel: 'silent',
        legalComments: 'none',
      });
      return { spec, outdir, result };
    }),
  );
  for (const { spec, outdir, result } of results) {
    for (const f of result.outputFiles) add(`${spec.dir}/${relative(outdir, f.path)}`, f.contents);
    for (const [out, meta] of Object.entries(result.metafile.outputs)) {
      const entry = Object.entries(spec.entries).find(([, file]) => meta.entryPoint && resolve(ROOT, meta.entryPoint) === file);
      if (entry) names[`${spec.dir}/${entry[0]}.js` as AssetName] = `${spec.dir}/${relative(outdir, resolve(ROOT, out))}`;
    }
  }
  return { files, names: names as Record<AssetName, string> };
}

async function packageFile(specifier: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(fileURLToPath(import.meta.resolve(specifier))));
}

export const contentHash = (body: Uint8Array) => createHash('sha256').update(body).digest('hex').slice(0, 10);

/** `pdfjs/pdf.min.mjs` + hash → `pdfjs/pdf.min-<hash>.mjs`. */
const withHash = (path: string, hash: string) => path.replace(/(\.[^./]+)$/, `-${hash}$1`);
