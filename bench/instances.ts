/**
 * `npm run bench:instances`: issue 19 item 4 at full size (bench/chaos-scenario.ts without faults): three
 * production-build instances on one PostgreSQL database behind a round-robin proxy, 100 deals moved to the
 * robot's stage at once, the standalone emulator at Bitrix24's ordinary limit (2 req/s, burst 50). Figures
 * from the emulator's records and our job queue; the last line is one JSON object.
 *
 *   npm run bench:instances      (BENCH_ENVELOPES=…, BENCH_INSTANCES=…, BENCH_RATE=2/50, BENCH_SERVICE_RATE=…, BENCH_BUILD_DIR=<a build to reuse>)
 */
import { loadavg } from 'node:os';
import { runChaos } from './chaos-scenario.js';

const started = performance.now();
const figures = await runChaos({
  envelopes: Number(process.env.BENCH_ENVELOPES ?? 100),
  instances: Number(process.env.BENCH_INSTANCES ?? 3),
  balanced: true,
  faults: false,
  rate: process.env.BENCH_RATE ?? '2/50',
  // A counterfactual: the service told this limit instead (e.g. 3 × the portal's, as three unshared buckets would spend it).
  ...(process.env.BENCH_SERVICE_RATE ? { serviceRate: process.env.BENCH_SERVICE_RATE } : {}),
  outageMs: 0,
  stormMs: 0,
  terminations: 0,
  settleTimeoutMs: Number(process.env.BENCH_SETTLE_S ?? 600) * 1000,
  log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
});
console.log(`wall ${((performance.now() - started) / 1000).toFixed(1)} s including the build; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on a shared 2-core machine`);
console.log(JSON.stringify(figures));
