/**
 * The hostile verify upload (issue 14): a PDF made of BENCH_REPEATS (default 200,000) copies of
 * `/ByteRange [0 1 2 3]`, about 4 MB, posted to `POST /api/verify` while a prober asks `GET /healthz`
 * every 50 ms. The server runs in a child process (this file with BENCH_ROLE=server) so that a stalled
 * server cannot also stall the prober's clock. Reports the verify's wall time and status, and the
 * /healthz latencies seen while it ran; the last line is one JSON object.
 *
 *   npm run bench:verify-hostile        (PostgreSQL on 127.0.0.1; TEST_DB=pglite for embedded)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { hostileVerifyPdf } from '../test/helpers/hostile.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 200_000);
const PROBE_EVERY_MS = 50;

async function server() {
  const { serve } = await import('@hono/node-server');
  const { createApp } = await import('../src/app.js');
  const { createTestServices } = await import('../test/helpers/services.js');
  const services = await createTestServices({ env: { VERIFY_RATE_PER_MINUTE: '1000' } });
  const app = createApp(services);
  const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`PORT ${info.port}`));
  process.on('SIGTERM', () => {
    s.close();
    void services.testDb.close().finally(() => process.exit(0));
  });
}

async function client() {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_ROLE: 'server' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let port = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    const m = /^PORT (\d+)/.exec(line);
    if (m) {
      port = Number(m[1]);
      break;
    }
  }
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
  const res = await fetch(`${base}/api/verify`, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/pdf' } });
  const json = (await res.json()) as { verdict?: string; error?: { code: string } };
  const verifyMs = performance.now() - t0;
  running = false;
  await prober;
  child.kill('SIGTERM');
  await once(child, 'exit');

  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  const out = {
    bench: 'verify-hostile',
    bytes: body.length,
    repeats: REPEATS,
    verifyMs: round(verifyMs),
    status: res.status,
    verdict: json.verdict ?? json.error?.code ?? null,
    healthz: { probes: latencies.length, p50Ms: round(q(0.5)), p95Ms: round(q(0.95)), maxMs: round(sorted.at(-1) ?? null), errors: probeErrors },
  };
  console.log(`hostile verify of ${(body.length / 1048576).toFixed(1)} MB: ${out.verifyMs} ms, HTTP ${out.status} ${out.verdict}`);
  console.log(`/healthz during it: ${out.healthz.probes} probes, p50 ${out.healthz.p50Ms} ms, p95 ${out.healthz.p95Ms} ms, max ${out.healthz.maxMs} ms, ${probeErrors} failed`);
  console.log(JSON.stringify(out));
}

if (process.env.BENCH_ROLE === 'server') await server();
else await client();
