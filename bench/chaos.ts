/**
 * `npm run bench:chaos`: issue 15 item 4 (bench/chaos-scenario.ts) at full size: 100 envelopes, a 20 s
 * outage, a 10 s 503 storm, kill -9 and restart of an instance, database connections terminated 4 times.
 * Needs PostgreSQL (two service instances share it). The last line is one JSON object.
 *
 *   npm run bench:chaos          (BENCH_ENVELOPES=…, BENCH_BUILD_DIR=<a build to reuse>)
 */
import { runChaos } from './chaos-scenario.js';

const figures = await runChaos({
  envelopes: Number(process.env.BENCH_ENVELOPES ?? 100),
  outageMs: 20_000,
  stormMs: 10_000,
  terminations: 4,
  settleTimeoutMs: Number(process.env.BENCH_SETTLE_S ?? 900) * 1000,
  log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
});
console.log(JSON.stringify(figures));
