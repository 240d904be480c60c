/**
 * `npm run build [-- --out-dir <dir>]` (default dist/): the production build.
 *
 *   <out>/server.mjs           the service (src/entry/node.ts) bundled by esbuild for Node 22, ESM;
 *                              npm packages stay external and load from node_modules at run time
 *   <out>/migrate.mjs          `npm run db:migrate` (src/entry/migrate.ts) for machines without tsx
 *   <out>/doctor.mjs           `npm run doctor -- --portal <member_id>` (src/entry/doctor.ts), read-only portal probe
 *   <out>/<name>-worker.mjs    every worker-thread entry (`*-worker.mjs` under src/), beside the server so
 *                              `new URL('./x-worker.mjs', import.meta.url)` finds it
 *   <out>/migrations/          the SQL migrations the service applies at start
 *   <out>/assets/              every browser file under a content-hashed name, with .br and .gz
 *                              variants, and manifest.json (logical name → file)
 *
 * Prints how long each part took and the assets' total size raw, brotli and gzip.
 */
import { build, type Metafile } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { buildBrowserAssets } from '../src/assets/browser.js';
import { MANIFEST_FILE, type AssetManifest } from '../src/assets/built.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function outDirFromArgs(argv: string[]): string {
  const i = argv.indexOf('--out-dir');
  const value = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--out-dir='))?.slice('--out-dir='.length);
  if (i >= 0 && !value) throw new Error('--out-dir needs a directory');
  return resolve(value ?? join(ROOT, 'dist'));
}

/** Empties `dir` for a new build, but never a directory that is not an earlier build output. */
function prepareOutDir(dir: string) {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, 'server.mjs')) && !existsSync(join(dir, 'assets', MANIFEST_FILE))) {
    throw new Error(`${dir} is not empty and holds no earlier build (server.mjs, assets/${MANIFEST_FILE}); choose another --out-dir`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

function workerEntries(): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const rel of readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]) {
    if (!rel.endsWith('-worker.mjs')) continue;
    const name = basename(rel, '.mjs');
    if (entries[name]) throw new Error(`two worker entries are named ${name}.mjs; they would share one file in the build`);
    entries[name] = join(ROOT, 'src', rel);
  }
  return entries;
}

async function buildServer(out: string): Promise<Metafile> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { server: join(ROOT, 'src/entry/node.ts'), migrate: join(ROOT, 'src/entry/migrate.ts'), doctor: join(ROOT, 'src/entry/doctor.ts'), ...workerEntries() },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Dependencies load from node_modules as under tsx: PGlite finds its wasm and data files, pino
    // its transport threads, postgres.js and pdf-lib stay unpatched.
    packages: 'external',
    // Folds `typeof B24_BUNDLE` (src/entry/assets.ts) so the development asset builder, and esbuild
    // with it, is not in the bundle. Syntax-only minification keeps names for readable stack traces.
    define: { B24_BUNDLE: 'true' },
    minifySyntax: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

/**
 * The bundle imports only runtime dependencies (so `npm ci --omit=dev` is enough to run it, and tsx
 * or esbuild can never sneak in), and every sibling it names at run time (workers, assets/) exists.
 */
function checkServerBundle(meta: Metafile) {
  const dependencies = new Set(Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies));
  for (const [file, output] of Object.entries(meta.outputs).filter(([f]) => f.endsWith('.mjs'))) {
    for (const { path } of output.imports.filter((i) => i.external && !isBuiltin(i.path))) {
      const pkg = path.split('/').slice(0, path.startsWith('@') ? 2 : 1).join('/');
      if (!dependencies.has(pkg)) throw new Error(`${file} imports ${path}, which is not among package.json's dependencies`);
    }
    const code = readFileSync(join(ROOT, file), 'utf8');
    for (const m of code.matchAll(/new URL\(\s*["']\.\/([^"']+)["']\s*,\s*import\.meta\.url\s*\)/g)) {
      if (!existsSync(join(dirname(join(ROOT, file)), m[1]!))) throw new Error(`${file} refers to ./${m[1]} at run time, which the build did not emit`);
    }
  }
}

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

async function buildAssets(out: string) {
  const { files, names } = await buildBrowserAssets({ hashed: true });
  const manifest: AssetManifest = { names, files: {} };
  await Promise.all(
    files.map(async (f) => {
      const target = join(out, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.body);
      const entry: AssetManifest['files'][string] = { type: f.type, sha256: createHash('sha256').update(f.body).digest('hex'), bytes: f.body.byteLength };
      const [br, gzipped] = await Promise.all([
        brotli(f.body, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
            [constants.BROTLI_PARAM_MODE]: f.type.startsWith('font/') ? constants.BROTLI_MODE_FONT : constants.BROTLI_MODE_TEXT,
            [constants.BROTLI_PARAM_SIZE_HINT]: f.body.byteLength,
          },
        }),
        gz(f.body, { level: 9 }),
      ]);
      // A variant that saves nothing is not worth a second file or a Vary header.
      if (br.byteLength < f.body.byteLength) {
        writeFileSync(`${target}.br`, br);
        entry.br = br.byteLength;
      }
      if (gzipped.byteLength < f.body.byteLength) {
        writeFileSync(`${target}.gz`, gzipped);
        entry.gzip = gzipped.byteLength;
      }
      manifest.files[f.path] = entry;
    }),
  );
  manifest.files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  const out = outDirFromArgs(process.argv.slice(2));
  const started = performance.now();
  prepareOutDir(out);

  const serverStart = performance.now();
  const meta = await buildServer(out);
  cpSync(join(ROOT, 'migrations'), join(out, 'migrations'), { recursive: true });
  const serverMs = performance.now() - serverStart;

  const assetsStart = performance.now();
  const manifest = await buildAssets(join(out, 'assets'));
  const assetsMs = performance.now() - assetsStart;
  checkServerBundle(meta);

  const shown = relative(process.cwd(), out) || '.';
  console.log(`build → ${shown}/`);
  for (const [file, o] of Object.entries(meta.outputs)) if (file.endsWith('.mjs')) console.log(`  ${relative(out, join(ROOT, file)).padEnd(44)} ${kb(o.bytes).padStart(12)}`);
  console.log(`  ${'assets/ (file)'.padEnd(44)} ${'raw'.padStart(12)} ${'brotli'.padStart(12)} ${'gzip'.padStart(12)}`);
  const total = { raw: 0, br: 0, gzip: 0 };
  for (const [path, f] of Object.entries(manifest.files)) {
    total.raw += f.bytes;
    total.br += f.br ?? f.bytes;
    total.gzip += f.gzip ?? f.bytes;
    console.log(`  ${path.padEnd(44)} ${kb(f.bytes).padStart(12)} ${kb(f.br ?? f.bytes).padStart(12)} ${kb(f.gzip ?? f.bytes).padStart(12)}`);
  }
  const count = Object.keys(manifest.files).length;
  console.log(`  ${`total (${count} files)`.padEnd(44)} ${kb(total.raw).padStart(12)} ${kb(total.br).padStart(12)} ${kb(total.gzip).padStart(12)}`);
  console.log(`time: server ${secs(serverMs)}, assets ${secs(assetsMs)} (bundling and compression), total ${secs(performance.now() - started)}`);
}

main().catch((e: unknown) => {
  console.error(`build failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
