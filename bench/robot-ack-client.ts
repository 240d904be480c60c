/**
 * The client side of the robot acknowledgement bench, in a process of its own (bench/robot.ts starts
 * it): Bitrix24's queue delivering robot calls. Reads `{ pid, rounds: [{ url, body }[]], spread }` from
 * the JSON file named on the command line; for each round fires every delivery at once, each on its
 * own connection as separate queue workers would, and times each until its answer is complete. The
 * service's CPU (utime + stime of `pid`) is read around each round, after a short settle so work the
 * answers left behind (log writes) is counted too; so is the CPU of the database server processes named
 * in `dbPids`. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { processCpu } from '../test/helpers/stack.js';

interface Delivery {
  url: string;
  body: string;
}
const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { pid: number; dbPids: number[]; rounds: Delivery[][]; spread: Delivery[] };
/** CPU of the database server processes still alive; one that is gone counts nothing in either reading. */
const dbCpu = () => {
  const at = new Map<number, number>();
  for (const pid of input.dbPids) {
    try {
      const c = processCpu(pid);
      at.set(pid, c.user + c.system);
    } catch {
      // exited
    }
  }
  return at;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function post(d: Delivery): Promise<{ ms: number; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(d.url, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(d.body), 'user-agent': 'Bitrix24 Webhook Engine' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(d.body);
  });
}

const latencies: number[] = [];
let cpuMs = 0;
let systemMs = 0;
let dbCpuMs = 0;
let count = 0;
let wallMs = 0;
const refused: string[] = [];
for (const round of input.rounds) {
  await sleep(300);
  const cpu0 = processCpu(input.pid);
  const db0 = dbCpu();
  const w0 = performance.now();
  const results = await Promise.all(round.map(post));
  wallMs = Math.max(wallMs, performance.now() - w0);
  await sleep(100);
  const cpu1 = processCpu(input.pid);
  for (const [pid, ms] of dbCpu()) dbCpuMs += ms - (db0.get(pid) ?? ms);
  cpuMs += cpu1.user + cpu1.system - cpu0.user - cpu0.system;
  systemMs += cpu1.system - cpu0.system;
  count += round.length;
  for (const r of results) {
    latencies.push(r.ms);
    // A 200 that says duplicate would mean the delivery was not new: not what is measured here.
    if (r.status !== 200 || !r.body.includes('"duplicate":false')) refused.push(`${r.status} ${r.body.slice(0, 200)}`);
  }
}
// The same number spread over one second (200/s) instead of in the same instant.
const spread = await Promise.all(
  input.spread.map(async (d, i) => {
    await sleep((i * 1000) / input.spread.length);
    return (await post(d)).ms;
  }),
);
console.log(JSON.stringify({ latencies, spread, cpuMs, systemMs, dbCpuMs, count, wallMs, refused: refused.slice(0, 5), refusedCount: refused.length }));
