/**
 * npm run bench:signing-page — the phone signing page on a slow network, against the production build.
 *
 * 1. `scripts/build.ts --out-dir .scratch-bench-signing-page` (the bundle and its hashed, precompressed assets);
 * 2. starts that server.mjs with the sandbox portal on a fresh PostgreSQL database (127.0.0.1:5432);
 * 3. sends two envelopes on the sandbox portal through the public API: the built-in Russian sales
 *    contract (2 pages) for one client signer, (a) with a required client field on page 1, (b) without
 *    fields to fill (the signer's first step is then the one-time code), and waits for the send's jobs;
 * 4. opens each signer's link in Debian Chromium (playwright-core) as a 390×844 phone (DPR 2), fresh
 *    context = cold cache, with CDP Network.emulateNetworkConditions (Lighthouse's slow 4G: 562.5 ms
 *    RTT, 1.4 Mbit/s down, 0.675 Mbit/s up) and Emulation.setCPUThrottlingRate 4.
 *
 * Measured from navigation start, in the page (performance.now()):
 *  - first step: (a) the first field's box on the document and its page image/canvas are drawn and the
 *    page script is wired (tapping the box focuses the input); (b) the "send the code" button is drawn
 *    and wired;
 *  - first page: the document's first page is drawn (image decoded, or pdf.js canvas);
 *  - transfer until the signer can sign: bytes on the wire (CDP encodedDataLength: headers + compressed
 *    bodies, partial bodies counted) when both of the above hold; and everything after the network
 *    settles (what later pages, the font etc. cost, for the record).
 *
 * Env: BENCH_RUNS (default 3 per scenario), BENCH_SKIP_BUILD=1 (reuse the last build).
 * Last line: one JSON object with first_field_ms_slow4g and transfer_kb_slow4g (medians of scenario a).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { chromium, type Browser } from 'playwright-core';
import { renderToBytes } from '../src/documents/render.js';
import { installNodeFonts } from '../src/entry/fonts.js';
import { starterLayout } from '../src/documents/templates/starters/index.js';
import { issueSession } from '../src/http/session.js';
import { issueSignerToken } from '../src/signing/tokens.js';
import { freePort } from '../test/e2e/helpers/sandbox-server.js';
import { RUSSIAN } from '../test/fixtures/documents/render-values.js';

installNodeFonts();

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(ROOT, '.scratch-bench-signing-page');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECRET = 'bench-signing-page-secret-0123456789abcdef';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
// Lighthouse's "slow 4G" (devtools throttling): 150 ms × 3.75 RTT, 1.6 Mbit/s × 0.9 down, 750 kbit/s × 0.9 up.
const SLOW_4G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8, uploadThroughput: (750 * 1024 * 0.9) / 8 };
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const r1 = (n: number) => Math.round(n * 10) / 10;

function buildOnce() {
  if (process.env.BENCH_SKIP_BUILD === '1' && existsSync(join(OUT, 'server.mjs'))) return;
  const t0 = performance.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/build.ts'), '--out-dir', OUT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`build failed (${res.status})`);
  const lines = res.stdout.trim().split('\n');
  console.log(`build: ${((performance.now() - t0) / 1000).toFixed(1)} s; ${lines.filter((l) => /sign\/|pdfjs\/|total/.test(l)).map((l) => l.trim()).join('\n       ')}`);
}

async function startServer(dbUrl: string): Promise<{ origin: string; proc: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'b24-bench-sp-'));
  const proc = spawn(process.execPath, ['--enable-source-maps', join(OUT, 'server.mjs')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'development', PORT: String(port), PUBLIC_URL: origin, DATABASE_URL: dbUrl, DATA_DIR: dataDir, SESSION_SECRET: SECRET, LOG_LEVEL: 'warn', SMTP_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}):\n${log}`);
    const ok = await fetch(`${origin}/healthz`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGTERM');
      throw new Error(`server not ready after 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    origin,
    proc,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP relay in front of the server that counts every byte sent to the browser: page, images,
 * scripts and what a dedicated worker fetches (pdf.js's worker), which the page's CDP session does
 * not see. Chromium throttles above the socket, so at a given moment this count can only be higher
 * than what the page has received: an upper bound.
 */
async function startRelay(target: number): Promise<{ port: number; bytes: () => number; reset: () => void; close: () => void; server: Server }> {
  let down = 0;
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    upstream.on('data', (d: Buffer) => (down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { port, server, bytes: () => down, reset: () => (down = 0), close: () => server.close() };
}

interface Scenario {
  name: 'field' | 'code';
  link: string;
  /** The element whose drawing (and wiring) is the signer's first step. */
  firstKey?: string;
}

async function sendEnvelopes(origin: string, sql: postgres.Sql): Promise<Scenario[]> {
  let portalId: string | undefined;
  for (let i = 0; i < 100 && !portalId; i++) {
    portalId = (await sql<{ id: string }[]>`select id from portals limit 1`)[0]?.id;
    if (!portalId) await new Promise((r) => setTimeout(r, 200));
  }
  if (!portalId) throw new Error('the sandbox portal did not appear');
  const bearer = await issueSession(SECRET, { portalId, userId: 1, isAdmin: true, placement: 'APP', lang: 'en' } as never);
  const layout = starterLayout('sales-contract', 'ru')!;
  // Special terms long enough to make it two pages, as a real contract often is (bench/render.ts does the same).
  const terms = 'Поставка осуществляется партиями по заявкам Покупателя, направляемым по электронной почте не позднее чем за пять рабочих дней до желаемой даты поставки. ';
  const { bytes, result } = await renderToBytes({ layout, values: { ...RUSSIAN, special_terms: terms.repeat(12) }, lang: 'ru' });
  const marks = result.placements
    .filter((p) => p.key.startsWith('client_') && !p.key.includes('stamp'))
    .map((p) => ({ key: `${p.key}_p${p.page + 1}`, type: /initial/.test(p.key) ? 'initials' : 'signature', label: p.key, page: p.page, box: p.box, party: 'client', required: true }));
  if (!marks.length) throw new Error(`no client mark among the layout's placements: ${result.placements.map((p) => p.key).join(', ')}`);
  const clientField = { key: 'client_reference', type: 'text', label: 'Your reference', page: 0, box: { x: 300, y: 150, w: 220, h: 20 }, party: 'client', required: true };
  const out: Scenario[] = [];
  for (const [name, fields] of [
    ['field', [clientField, ...marks]],
    ['code', marks],
  ] as const) {
    const res = await fetch(`${origin}/api/envelopes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Договор купли-продажи № 17-Д', lang: 'ru', pdfBase64: Buffer.from(bytes).toString('base64'), fields, recipients: [{ party: 'client', name: 'Анна Медведева', email: 'anna@buyer.example' }], send: true }),
    });
    const data = (await res.json()) as { envelope: { id: string }; recipients: { id: string }[] };
    if (res.status !== 201) throw new Error(`send failed: ${res.status} ${JSON.stringify(data)}`);
    const [row] = await sql<{ token_version: number }[]>`select token_version from recipients where id = ${data.recipients[0]!.id}`;
    const now = new Date();
    const token = await issueSignerToken(SECRET, { portalId, envelopeId: data.envelope.id, recipientId: data.recipients[0]!.id, version: row!.token_version }, { now, expiresAt: new Date(now.getTime() + 86_400_000) });
    out.push({ name, link: `${origin}/s/${token}`, ...(name === 'field' ? { firstKey: clientField.key } : {}) });
  }
  // What the send queued and is due now (invitations, page images where the build makes them) is done
  // before measuring; work planned for later (reminders, expiry, the blob sweep) is not waited for.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [p] = await sql<{ n: number }[]>`select count(*)::int as n from jobs where status in ('queued', 'running') and run_at <= now() and kind not in ('signing.expire', 'signing.remind')`;
    if (!p!.n) break;
    if (Date.now() > deadline) throw new Error('the send jobs did not finish in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return out;
}

/**
 * Runs in the page (a string: tsx would wrap functions in helpers the page lacks): records when the
 * first step and the first page are drawn (performance.now()), then calls __signable().
 */
const probe = (firstKey: string | null) => `(() => {
  const firstKey = ${JSON.stringify(firstKey)};
  const w = window;
  const pageDrawn = (el) => {
    if (!el) return false;
    const img = el.querySelector('img');
    if (img) return img.complete && img.naturalWidth > 0;
    return Boolean(el.querySelector('canvas'));
  };
  // The page script says when its handlers are attached; a page whose script builds the boxes has run by then.
  const wired = () => document.documentElement.dataset.signReady !== undefined
    || (firstKey ? !document.querySelector('#pages img') : (document.getElementById('download')?.getAttribute('href') ?? '#') !== '#');
  const visible = (el) => Boolean(el && el.checkVisibility() && el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().height > 0);
  const tick = () => {
    const now = performance.now();
    if (w.__firstPage === undefined && pageDrawn(document.querySelector('#pages .page'))) w.__firstPage = now;
    if (w.__firstStep === undefined && wired()) {
      if (firstKey) {
        const box = document.querySelector('.fbox[data-key="' + firstKey + '"]');
        if (visible(box) && pageDrawn(box.closest('.page'))) w.__firstStep = now;
      } else if (visible(document.getElementById('code-send'))) w.__firstStep = now;
    }
    if (w.__firstPage !== undefined && w.__firstStep !== undefined) return void w.__signable();
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`;

interface RunResult {
  first_step_ms: number;
  first_page_ms: number;
  /** Bytes the relay sent to the browser (all targets, headers included) when the signer could sign. */
  transfer_kb: number;
  /** The same as the page's own CDP session counts it (encodedDataLength; misses dedicated workers). */
  page_transfer_kb: number;
  transfer_kb_settled: number;
  requests: number;
  by_type: Record<string, number>;
}

async function measure(browser: Browser, s: Scenario, relay: Awaited<ReturnType<typeof startRelay>>): Promise<RunResult> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ru-RU' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.clearBrowserCache');
  await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const received = new Map<string, number>();
  const finished = new Map<string, number>();
  const kind = new Map<string, string>();
  cdp.on('Network.responseReceived', (e) => kind.set(e.requestId, `${e.type}:${new URL(e.response.url).pathname.replace(/^\/(s|api\/sign)\/[^/]+/, '/$1/…').replace(/-[0-9a-f]{10}\./, '.')}`));
  cdp.on('Network.dataReceived', (e) => received.set(e.requestId, (received.get(e.requestId) ?? 0) + e.encodedDataLength));
  cdp.on('Network.loadingFinished', (e) => finished.set(e.requestId, e.encodedDataLength));
  const bytesNow = () => {
    let total = 0;
    for (const id of new Set([...received.keys(), ...finished.keys()])) total += finished.get(id) ?? received.get(id) ?? 0;
    return total;
  };
  let atSignable = NaN;
  let relayAtSignable = NaN;
  let resolveSignable!: () => void;
  const signable = new Promise<void>((r) => (resolveSignable = r));
  await page.exposeBinding('__signable', () => {
    atSignable = bytesNow();
    relayAtSignable = relay.bytes();
    resolveSignable();
  });
  await page.addInitScript(probe(s.firstKey ?? null));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  relay.reset();
  await page.goto(s.link.replace(/^http:\/\/[^/]+/, `http://127.0.0.1:${relay.port}`), { waitUntil: 'commit' });
  await Promise.race([signable, new Promise((_, rej) => setTimeout(() => rej(new Error(`${s.name}: not signable after 90 s; errors: ${errors.join('; ')}`)), 90_000))]);
  const times = await page.evaluate(() => {
    const w = window as unknown as { __firstStep: number; __firstPage: number };
    return { step: w.__firstStep, page: w.__firstPage };
  });
  // The rest of the load (later pages, deferred files) for the record.
  await page.waitForLoadState('networkidle', { timeout: 60_000 }).catch(() => undefined);
  const byType: Record<string, number> = {};
  for (const [id, n] of finished) {
    const k = kind.get(id) ?? 'other';
    byType[k] = r1((byType[k] ?? 0) + n / 1024);
  }
  const result = {
    first_step_ms: Math.round(times.step),
    first_page_ms: Math.round(times.page),
    transfer_kb: r1(relayAtSignable / 1024),
    page_transfer_kb: r1(atSignable / 1024),
    transfer_kb_settled: r1(relay.bytes() / 1024),
    requests: finished.size,
    by_type: byType,
  };
  if (errors.length) console.log(`  page errors: ${errors.join('; ')}`);
  await context.close();
  return result;
}

async function main() {
  buildOnce();
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  const dbName = `b24_bench_signing_page_${process.pid}`;
  await admin.unsafe(`create database ${dbName}`);
  const dbUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const sql = postgres(dbUrl, { max: 1, onnotice: () => undefined });
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let browser: Browser | undefined;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  try {
    server = await startServer(dbUrl);
    const scenarios = await sendEnvelopes(server.origin, sql);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
    relay = await startRelay(Number(new URL(server.origin).port));
    const results: Record<string, RunResult[]> = { field: [], code: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const s of scenarios) {
        const r = await measure(browser, s, relay);
        results[s.name]!.push(r);
        console.log(`${s.name.padEnd(5)} run ${i + 1}: first step ${r.first_step_ms} ms, first page ${r.first_page_ms} ms, ${r.transfer_kb} KB until signable (page's CDP view ${r.page_transfer_kb} KB; ${r.transfer_kb_settled} KB once settled, ${r.requests} page requests)`);
      }
    }
    const last = results.field!.at(-1)!;
    console.log(`transfer by file (KB, last field run): ${JSON.stringify(last.by_type)}`);
    console.log(`${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}; Chromium ${browser.version()}; ${RUNS} cold loads per scenario`);
    const f = results.field!;
    const c = results.code!;
    console.log(
      JSON.stringify({
        first_field_ms_slow4g: median(f.map((r) => r.first_step_ms)),
        transfer_kb_slow4g: median(f.map((r) => r.transfer_kb)),
        first_page_ms_slow4g: median(f.map((r) => r.first_page_ms)),
        code_step_ms_slow4g: median(c.map((r) => r.first_step_ms)),
        code_transfer_kb_slow4g: median(c.map((r) => r.transfer_kb)),
        page_transfer_kb_slow4g: median(f.map((r) => r.page_transfer_kb)),
        settled_transfer_kb_slow4g: median(f.map((r) => r.transfer_kb_settled)),
        first_field_runs_ms: f.map((r) => r.first_step_ms),
        code_step_runs_ms: c.map((r) => r.first_step_ms),
        runs: RUNS,
      }),
    );
  } finally {
    await browser?.close();
    relay?.close();
    await server?.stop();
    await sql.end();
    await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
