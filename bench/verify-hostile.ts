/**
 * Hostile requests against a served app (issue 14); the last line is one JSON object.
 * 1. The hostile verify upload: a PDF made of BENCH_REPEATS (default 200,000) copies of
 *    `/ByteRange [0 1 2 3]`, about 4 MB, posted to `POST /api/verify` while a prober asks
 *    `GET /healthz` every 50 ms: the verify's wall time and status, the /healthz latencies meanwhile.
 * 2. A 64 MB JSON body posted to the public signing door (`POST /api/sign/<token>/sign`), once with
 *    its Content-Length and once chunked: status, time, and the server's RSS growth (now, and how far
 *    the request raised the process's peak RSS).
 * The server runs in a child process (this file with BENCH_ROLE=server), so a stalled server cannot
 * also stall the prober's clock, and its memory is its own; it prints its RSS when sent SIGUSR2.
 *
 *   npm run bench:verify-hostile        (PostgreSQL on 127.0.0.1; TEST_DB=pglite for embedded)
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { hostileVerifyPdf, postLazily as post, signBodyPieces } from '../test/helpers/hostile.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 200_000);
const PROBE_EVERY_MS = 50;

async function server() {
  const { serve } = await import('@hono/node-server');
  const { createApp } = await import('../src/app.js');
  const { createTestServices } = await import('../test/helpers/services.js');
  const services = await createTestServices({ env: { VERIFY_RATE_PER_MINUTE: '1000' } });
  const app = createApp(services);
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`PORT ${info.port}`));
  process.on('SIGUSR2', () => console.log(`RSS ${process.memoryUsage().rss} ${process.resourceUsage().maxRSS * 1024}`));
  process.on('SIGTERM', () => void services.testDb.close().finally(() => process.exit(0)));
}

type Server = { port: number; rss: () => Promise<{ now: number; peak: number }> };

/** A fresh server process per measurement, so each one's peak RSS is its own. */
async function withServer<T>(fn: (server: Server) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_ROLE: 'server' }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const nextLine = async (prefix: string) => {
      for (;;) {
        const { value, done } = await lines.next();
        if (done) throw new Error('the server stopped');
        if (value.startsWith(prefix)) return value.slice(prefix.length).trim();
      }
    };
    const port = Number(await nextLine('PORT '));
    const rss = async () => {
      child.kill('SIGUSR2');
      const [now, peak] = (await nextLine('RSS ')).split(' ').map(Number) as [number, number];
      return { now, peak };
    };
    return await fn({ port, rss });
  } finally {
    child.kill('SIGKILL'); // a stalled server would never get to a SIGTERM handler
  }
}

async function client() {
  const verify = await withServer(hostileVerify);
  const withLength = await withServer((s) => json64MB(s, false));
  const chunked = await withServer((s) => json64MB(s, true));
  const out = { bench: 'verify-hostile', ...verify, json64MB: { withLength, chunked } };
  const h = out.healthz;
  console.log(`hostile verify of ${(out.bytes / 1048576).toFixed(1)} MB: ${out.verifyMs} ms, HTTP ${out.status} ${out.verdict}`);
  console.log(`/healthz during it: ${h.probes} probes, p50 ${h.p50Ms} ms, p95 ${h.p95Ms} ms, max ${h.maxMs} ms, ${h.errors} failed`);
  for (const [k, v] of Object.entries(out.json64MB)) console.log(`64 MB JSON (${k}): HTTP ${v.status} ${v.code} in ${v.ms} ms after ${v.sentMb} MB sent; server RSS +${v.rssGrowthMb} MB (peak +${v.peakRssGrowthMb} MB)`);
  console.log(JSON.stringify(out));
}

async function hostileVerify({ port }: Server) {
  const base = `http://127.0.0.1:${port}`;
  let probeErrors = 0;
  // A keep-alive socket the stalled server closes late resets the next probe: counted, not fatal.
  const probe = async () => {
    const t = performance.now();
    try {
      const r = await fetch(`${base}/healthz`);
      await r.arrayBuffer();
    } catch {
      probeErrors++;
    }
    return performance.now() - t;
  };
  for (let i = 0; i < 5; i++) await probe(); // warm the route and the DB pool

  const body = hostileVerifyPdf(REPEATS);
  const latencies: number[] = [];
  let running = true;
  const prober = (async () => {
    while (running) {
      latencies.push(await probe());
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
  })();
  const t0 = performance.now();
  const res = await post(port, '/api/verify', { piece: () => body, total: body.length, type: 'application/pdf' });
  const json = JSON.parse(res.body) as { verdict?: string; error?: { code: string } };
  const verifyMs = performance.now() - t0;
  running = false;
  await prober;

  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  return {
    bytes: body.length,
    repeats: REPEATS,
    verifyMs: round(verifyMs),
    status: res.status,
    verdict: json.verdict ?? json.error?.code ?? null,
    healthz: { probes: latencies.length, p50Ms: round(q(0.5)), p95Ms: round(q(0.95)), maxMs: round(sorted.at(-1) ?? null), errors: probeErrors },
  };
}

async function json64MB({ port, rss }: Server, chunked: boolean) {
  const MB64 = 64 * 1024 * 1024;
  const piece = signBodyPieces(MB64);
  const before = await rss();
  const r = await post(port, '/api/sign/not-a-real-token/sign', { piece, total: MB64, type: 'application/json', chunked });
  const after = await rss();
  const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
  const code = (JSON.parse(r.body || '{}') as { error?: { code?: string } }).error?.code ?? null;
  return { status: r.status, code, ms: Math.round(r.ms), sentMb: mb(r.sentBytes), rssGrowthMb: mb(after.now - before.now), peakRssGrowthMb: mb(after.peak - before.peak) };
}

if (process.env.BENCH_ROLE === 'server') await server();
else await client();
