/**
 * Part 1 of `npm run bench:robot`: the robot handler's acknowledgement as Bitrix24 sees it. The
 * production build runs as its own process on a real port (NODE_ENV=production, PostgreSQL, a PKCS#12
 * seal, default log level), installed on the standalone emulator through ONAPPINSTALL; the emulator
 * starts the robot runs and builds their payloads (POST /_emulator/…/robots/prepare); a separate client
 * process (bench/robot-ack-client.ts) fires them over HTTP, ACK_ROUNDS times 200 at once, and reads the
 * service's own CPU from /proc. The job runner is off in this instance (JOBS_CONCURRENCY=0) so only the
 * door is counted: each answer still means the delivery row and its job are committed. The database
 * server's processes serving the service's connections are timed too (PostgreSQL shares the 2 CPUs).
 *
 * BENCH_CPU_PROF=<dir>: the service runs with `node --cpu-prof` and leaves its profile there
 * (BENCH_CPU_PROF_INTERVAL_US: its sampling interval, 1000 µs unless set).
 * BENCH_BUILD_DIR=<dir>: reuse a build made by `npm run build -- --out-dir <dir>`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/client.js';
import { freePort, productionBuild, productionStack, ROOT, startEmulator } from '../test/helpers/stack.js';

const ROBOT = 'b24sign_send_for_signing';

export interface AckFigures {
  latencies: number[];
  spread: number[];
  cpuMsPerDelivery: number;
  /** The part of it spent in the kernel (sockets, pipes). */
  systemMsPerDelivery: number;
  /** CPU of the database server processes serving the service's connections (PostgreSQL shares the machine). */
  dbCpuMsPerDelivery: number;
  wallMs: number;
  count: number;
}

export async function measureAck(o: { acks: number; rounds: number }): Promise<AckFigures> {
  const build = await productionBuild(process.env.BENCH_BUILD_DIR);
  const port = await freePort();
  const emu = await startEmulator({ clientId: 'local.bench', clientSecret: 'bench-client-secret', installUrl: `http://127.0.0.1:${port}/b24/install` });
  const stack = await productionStack({ out: build.out, publicPort: port, emulatorBase: () => emu.base });
  const scratch = mkdtempSync(join(tmpdir(), 'b24-ack-'));
  try {
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.env.BENCH_CPU_PROF), `--cpu-prof-interval=${Number(process.env.BENCH_CPU_PROF_INTERVAL_US ?? 1000)}`] : [];
    const service = await stack.startService({ env: { JOBS_CONCURRENCY: '0' }, nodeArgs: prof });
    const installed = JSON.parse(await emu.line(/^\{"installed"/, 90_000)) as { installed: boolean; status: number };
    if (!installed.installed) throw new Error(`install failed: ${JSON.stringify(installed)}\n${service.lines.slice(-20).join('\n')}`);
    const prepare = async (i: number) => {
      const d = await emu.control<{ url: string; body: string }>(`/portals/${emu.memberId}/robots/prepare`, { code: ROBOT, entity: { kind: 'deal', id: 1 + (i % 20) }, properties: { template: 'sales-contract' } });
      return { url: d.url, body: d.body };
    };
    const prepared: { url: string; body: string }[] = [];
    // Warm-up round (first queries, lazy code paths, JIT), then the measured rounds, then the spread set.
    for (let i = 0; i < o.acks * (o.rounds + 2); i++) prepared.push(await prepare(i));
    const rounds = Array.from({ length: o.rounds + 1 }, (_, r) => prepared.slice(r * o.acks, (r + 1) * o.acks));
    const file = join(scratch, 'input.json');
    const runClient = async (input: unknown) => {
      writeFileSync(file, JSON.stringify(input));
      const { stdout } = await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsx'), ['bench/robot-ack-client.ts', file], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
      const r = JSON.parse(stdout.trim().split('\n').pop()!) as { latencies: number[]; spread: number[]; cpuMs: number; systemMs: number; dbCpuMs: number; count: number; wallMs: number; refused: string[]; refusedCount: number };
      if (r.refusedCount) throw new Error(`${r.refusedCount} deliveries not accepted as new, e.g. ${r.refused.join(' | ')}`);
      return r;
    };
    await runClient({ pid: service.pid, dbPids: [], rounds: rounds.slice(0, 1), spread: [] });
    // The server processes behind the service's pooled connections, opened by the warm-up round.
    const dbPids = stack.db ? rowsOf<{ pid: number }>(await stack.db.db.execute(sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`)).map((x) => x.pid) : [];
    const r = await runClient({ pid: service.pid, dbPids, rounds: rounds.slice(1), spread: prepared.slice((o.rounds + 1) * o.acks) });
    await service.stop(); // writes the CPU profile when asked for
    return { latencies: r.latencies, spread: r.spread, cpuMsPerDelivery: r.cpuMs / r.count, systemMsPerDelivery: r.systemMs / r.count, dbCpuMsPerDelivery: r.dbCpuMs / r.count, wallMs: r.wallMs, count: r.count };
  } finally {
    emu.stop();
    await stack.close();
    build.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}
