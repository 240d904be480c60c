/**
 * The production build end to end: `npm run build` into a scratch directory, then the bundle started
 * as `npm run start:prod` starts it (plain `node`, NODE_ENV=production, a real PKCS#12 seal, Bitrix24
 * credentials) on a fresh database it migrates itself. A resolve hook loaded with `--import` records
 * every module the process loads, so "no tsx, no esbuild at run time" is checked, not assumed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltAssets, type AssetManifest } from '../../src/assets/built.js';
import { renderPlacementPage } from '../../src/doors/placement-pages.js';
import { issueSession } from '../../src/http/session.js';
import { issueSignerToken } from '../../src/signing/tokens.js';
import type { AppEnv } from '../../src/types.js';
import { freePort } from '../e2e/helpers/sandbox-server.js';
import { createTestDb, TEST_DB_KIND, type TestDb } from '../helpers/db.js';
import { makeTestPki, type TestPki } from '../helpers/seal-pki.js';
import { createTestServices } from '../helpers/services.js';
import { FIELDS, samplePdf } from '../helpers/signing.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'production-build-test-secret-0123456789abcdef';

let out: string;
let manifest: AssetManifest;
let buildLog: string;

beforeAll(async () => {
  // Inside the repository (git-ignored `.scratch*`), so the bundle finds node_modules as dist/ does.
  out = mkdtempSync(join(ROOT, '.scratch-build-'));
  const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'build', '--', '--out-dir', out], { cwd: ROOT, timeout: 280_000 });
  buildLog = stdout;
  manifest = JSON.parse(readFileSync(join(out, 'assets', 'manifest.json'), 'utf8')) as AssetManifest;
}, 300_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** One raw HTTP exchange: fetch() would undo Content-Encoding, and the compressed bytes are the point. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('npm run build', () => {
  it('emits the server, its workers, the migrations and hashed assets, and reports sizes and time', () => {
    const server = readFileSync(join(out, 'server.mjs'), 'utf8');
    expect(server).not.toMatch(/\bfrom\s*["'](esbuild|tsx)["']|\bimport\(\s*["'](esbuild|tsx)["']\s*\)/);
    expect(readFileSync(join(out, 'pdf-inspect-worker.mjs'), 'utf8')).toContain('parentPort');
    expect(readFileSync(join(out, 'migrations', 'meta', '_journal.json'), 'utf8')).toContain('0000_init');
    for (const [name, file] of Object.entries(manifest.names)) {
      expect(file, name).toMatch(/-[0-9A-Za-z]{8,}\.[a-z0-9]+$/);
      expect(manifest.files[file], name).toBeDefined();
    }
    expect(buildLog).toMatch(/total \(\d+ files\)\s+[\d.]+ KiB\s+[\d.]+ KiB\s+[\d.]+ KiB/);
    expect(buildLog).toMatch(/time: server [\d.]+ s, assets [\d.]+ s/);
  });

  it('links every chunk a page script imports to a file in the manifest', () => {
    for (const name of ['placements/crm-card.js', 'placements/docgen-button.js', 'placements/app.js'] as const) {
      const file = manifest.names[name];
      const code = readFileSync(join(out, 'assets', file), 'utf8');
      const imports = [...code.matchAll(/["']\.\/(chunk-[A-Z0-9]+\.js)["']/g)].map((m) => `placements/${m[1]}`);
      expect(imports.length, name).toBeGreaterThan(0);
      for (const chunk of imports) expect(manifest.files[chunk], `${name} → ${chunk}`).toBeDefined();
    }
  });
});

describe('placement pages with the built assets', () => {
  it('reference the hashed page scripts', async () => {
    const services = { ...(await createTestServices()), assets: await loadBuiltAssets(join(out, 'assets')) };
    try {
      const session = { portalId: 'prt_pages', userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' as const };
      const app = new Hono<AppEnv>().get('/:placement', (c) => {
        c.set('services', services);
        const placement = c.req.param('placement');
        return renderPlacementPage(c, { session, token: 'session-token', placement, options: { ID: '5' }, portalDomain: 'acme.bitrix24.test' });
      });
      const pages = { CRM_DEAL_DETAIL_TAB: 'placements/crm-card.js', CRM_DEAL_DOCUMENTGENERATOR_BUTTON: 'placements/docgen-button.js', REST_APP_URI: 'placements/app.js' } as const;
      for (const [placement, name] of Object.entries(pages)) {
        const html = await (await app.request(`/${placement}`)).text();
        expect(html, placement).toContain(`<script type="module" src="/assets/${manifest.names[name]}">`);
        expect(html, placement).not.toContain(`/assets/${name}"`);
      }
    } finally {
      await services.testDb.close();
    }
  });
});

describe('node <out>/server.mjs in production', () => {
  let pki: TestPki;
  let db: TestDb | undefined;
  let dataDir: string;
  let child: ChildProcess;
  let base: string;
  let output = '';
  let moduleLog: string;
  let argv: string[];

  beforeAll(async () => {
    pki = makeTestPki();
    dataDir = mkdtempSync(join(tmpdir(), 'b24-prod-'));
    moduleLog = join(dataDir, 'modules.log');
    // Records the URL of every module resolved in the main thread (Node 22's synchronous hooks).
    const observer = join(dataDir, 'observe-modules.mjs');
    writeFileSync(
      observer,
      `import { registerHooks } from 'node:module';\nimport { appendFileSync } from 'node:fs';\n` +
        `registerHooks({ resolve(s, c, next) { const r = next(s, c); appendFileSync(${JSON.stringify(moduleLog)}, r.url + '\\n'); return r; } });\n`,
    );
    // An empty database, migrated by the bundled `db:migrate` from the migrations the build copied.
    db = TEST_DB_KIND === 'postgres' ? await createTestDb('postgres', { migrations: null }) : undefined;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: 'https://sign.b24sign.test',
      SESSION_SECRET: SECRET,
      BITRIX24_CLIENT_ID: 'local.prodbuild',
      BITRIX24_CLIENT_SECRET: 'production-build-client-secret',
      SEAL_P12_PATH: pki.rsaP12,
      SEAL_P12_PASSPHRASE: pki.passphrase,
      TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 5).toString('base64')}`,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...(db?.url ? { DATABASE_URL: db.url } : {}),
    };
    const migrated = await promisify(execFile)(process.execPath, [join(out, 'migrate.mjs')], { env, timeout: 120_000 });
    expect(migrated.stdout).toMatch(/db:migrate: .*applied 0000_init/);
    argv = ['--import', pathToFileURL(observer).href, '--enable-source-maps', join(out, 'server.mjs')];
    child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the bundle exited with ${child.exitCode}:\n${output}`);
      const up = await get(`${base}/healthz`).catch(() => undefined);
      if (up?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`no /healthz within 90 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 150_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await db?.close();
    pki?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('answers /healthz on its own database', async () => {
    const res = await get(`${base}/healthz`);
    expect(JSON.parse(res.body.toString())).toEqual({ status: 'ok', database: { kind: TEST_DB_KIND, reachable: true } });
  });

  it('serves every built file with a year of immutable caching, and brotli and gzip variants of the same bytes', async () => {
    for (const [path, entry] of Object.entries(manifest.files)) {
      // The build skips a variant only where it would not be smaller: a few bytes of chunk glue.
      if (entry.bytes >= 1024) expect([entry.br, entry.gzip].every((n) => n !== undefined && n < entry.bytes), path).toBe(true);
      const url = `${base}/assets/${path}`;
      const plain = await get(url);
      expect(plain.status, path).toBe(200);
      expect(plain.headers['content-type'], path).toBe(entry.type);
      expect(plain.headers['cache-control'], path).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-encoding'], path).toBeUndefined();
      expect(sha256(plain.body), path).toBe(entry.sha256);

      const br = await get(url, { 'accept-encoding': 'gzip, deflate, br' });
      const gz = await get(url, { 'accept-encoding': 'gzip' });
      if (entry.br !== undefined) {
        expect(br.headers['content-encoding'], path).toBe('br');
        expect(br.headers.vary, path).toBe('Accept-Encoding');
        expect(br.headers['content-type'], path).toBe(entry.type);
        expect(br.body.byteLength, path).toBe(entry.br);
        expect(brotliDecompressSync(br.body).equals(plain.body), path).toBe(true);
      }
      if (entry.gzip !== undefined) {
        expect(gz.headers['content-encoding'], path).toBe('gzip');
        expect(gz.headers.vary, path).toBe('Accept-Encoding');
        expect(gunzipSync(gz.body).equals(plain.body), path).toBe(true);
        expect(gz.headers.etag, path).not.toBe(plain.headers.etag);
      } else {
        expect(gz.headers['content-encoding'], path).toBeUndefined();
        expect(gz.body.equals(plain.body), path).toBe(true);
      }
    }
    // q-values decide: gzip preferred over brotli here.
    const file = manifest.names['sign/app.js'];
    expect((await get(`${base}/assets/${file}`, { 'accept-encoding': 'br;q=0.5, gzip' })).headers['content-encoding']).toBe('gzip');
    expect((await get(`${base}/assets/${file}`, { 'accept-encoding': 'br;q=0, gzip;q=0' })).headers['content-encoding']).toBeUndefined();
    // Only built files: development names and anything else under /assets are not found.
    expect((await get(`${base}/assets/sign/app.js`)).status).toBe(404);
    expect((await get(`${base}/assets/manifest.json`)).status).toBe(404);
    expect((await get(`${base}/assets/..%2Fserver.mjs`)).status).toBe(404);
  });

  const bearer = () => issueSession(SECRET, { portalId: 'prt_prod', userId: 1, isAdmin: true, placement: 'APP', lang: 'en' });

  it('inspects an uploaded PDF in the worker thread the build put beside the server', async () => {
    const res = await fetch(`${base}/api/templates/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await bearer()}`, 'content-type': 'application/pdf' },
      body: Buffer.from(await samplePdf()),
    });
    const body = (await res.json()) as { file?: { status: string; pageCount: number } };
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.file).toMatchObject({ status: 'ready', pageCount: 2 });
  });

  it('renders the signing page with the hashed script and font', async () => {
    const pdfBase64 = Buffer.from(await samplePdf()).toString('base64');
    const created = await fetch(`${base}/api/envelopes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await bearer()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Built contract',
        lang: 'en',
        pdfBase64,
        fields: FIELDS.filter((f) => f.party !== 'company'),
        recipients: [{ party: 'client', name: 'Maria Rossi', email: 'maria@client.test' }],
        send: true,
      }),
    });
    const body = (await created.json()) as { envelope: { id: string }; recipients: { id: string }[] };
    expect(created.status, JSON.stringify(body)).toBe(201);
    // A fresh recipient's links carry token version 1 (bumped only by resend, e-mail change and endings).
    const now = new Date();
    const token = await issueSignerToken(SECRET, { portalId: 'prt_prod', envelopeId: body.envelope.id, recipientId: body.recipients[0]!.id, version: 1 }, { now, expiresAt: new Date(now.getTime() + 86_400_000) });
    const page = await get(`${base}/s/${token}`, { accept: 'text/html' });
    expect(page.status, page.body.toString()).toBe(200);
    const html = page.body.toString();
    expect(html).toContain(`<script type="module" src="/assets/${manifest.names['sign/app.js']}">`);
    // The handwriting face is named, not loaded: the page fetches it only when a typed signature shows.
    expect(html).toContain(`<meta name="b24-handwriting" content="/assets/${manifest.names['sign/caveat.ttf']}"`);
    expect(html).not.toContain('caveat.ttf)');
    // The script fetches pdf.js and its worker by their hashed names too.
    const script = (await get(`${base}/assets/${manifest.names['sign/app.js']}`)).body.toString();
    expect(script).toContain(`/assets/${manifest.names['pdfjs/pdf.min.mjs']}`);
    expect(script).toContain(`/assets/${manifest.names['pdfjs/pdf.worker.min.mjs']}`);
  });

  it('runs plain node on the bundle: neither tsx nor esbuild is ever loaded', () => {
    // Exactly what was launched (no loader flag), and no NODE_OPTIONS that could add one.
    expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1)).toEqual(argv);
    expect(readFileSync(`/proc/${child.pid}/environ`, 'utf8')).not.toContain('NODE_OPTIONS=');
    const loaded = readFileSync(moduleLog, 'utf8').split('\n').filter(Boolean);
    // The observer works: it saw the bundle and the packages it imports.
    expect(loaded).toContain(pathToFileURL(join(out, 'server.mjs')).href);
    expect(loaded.some((u) => u.includes('/node_modules/hono/'))).toBe(true);
    expect(loaded.filter((u) => /\/node_modules\/(tsx|esbuild|@esbuild)\//.test(u))).toEqual([]);
    expect(output).not.toMatch(/"level":(50|60)/);
  });
});
