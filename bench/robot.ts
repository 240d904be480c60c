/**
 * Parts 2 and 3: the robot against the emulated portal, in-process (our app behind the emulator's appFetch, the
 * emulator behind msw), with the emulator's real cloud limits (leaky bucket 2 req/s, burst 50) and
 * the job runner going in real time.
 *
 * 1. ack: 200 robot deliveries at once over HTTP to the production build in its own process, CPU of
 *    that process only (bench/robot-ack.ts); the handler's time to answer (record + queue, no Bitrix24 call).
 * 2. REST calls per envelope: one deal moved to the robot's stage, both signers sign through the
 *    public routes, until the workflow has its one bizproc.event.send and the sealed PDF is on the
 *    timeline. Every HTTP request to the portal counts once (a batch is one), broken down by method.
 * 3. 100 deals moved to the stage at once: time until every robot has sent its envelope and written
 *    "sent to …" to its workflow, and how many requests the portal refused with 503.
 *
 *   npm run bench:robot            (PostgreSQL on 127.0.0.1; TEST_DB=pglite for embedded)
 */
import { cpus, loadavg } from 'node:os';
import { and, eq, inArray } from 'drizzle-orm';
import { robotCalls } from '../src/db/schema/robot-calls.js';
import { timelineWrites } from '../src/db/schema/timeline.js';
import { ROBOT_CODE, robotWorld } from '../test/helpers/robot.js';
import { measureAck } from './robot-ack.js';

const ACKS = Number(process.env.BENCH_ACKS ?? 200);
const DEALS = Number(process.env.BENCH_DEALS ?? 100);
const ACK_ROUNDS = Number(process.env.BENCH_ACK_ROUNDS ?? 3);
const ONLY = process.env.BENCH_ONLY; // '1', '2' or '3' to run one part while investigating

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const r1 = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number) {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------- 1. acknowledgement latency
let ackP50 = NaN;
let ackP99 = NaN;
let ackCpuMs = NaN;
let ackDbCpuMs = NaN;
let ackSpreadP99 = NaN;
if (!ONLY || ONLY === '1') {
  const a = await measureAck({ acks: ACKS, rounds: ACK_ROUNDS });
  ackP50 = pct(a.latencies, 50);
  ackP99 = pct(a.latencies, 99);
  ackCpuMs = a.cpuMsPerDelivery;
  ackDbCpuMs = a.dbCpuMsPerDelivery;
  ackSpreadP99 = pct(a.spread, 99);
  console.log(`ack over HTTP to the production build (its own process, PostgreSQL): ${ACK_ROUNDS} × ${ACKS} robot deliveries at once: p50 ${r1(ackP50)} ms, p99 ${r1(ackP99)} ms, max ${r1(Math.max(...a.latencies))} ms, slowest round answered in ${r1(a.wallMs)} ms; the service spent ${Math.round(ackCpuMs * 100) / 100} ms CPU per delivery (${Math.round(a.systemMsPerDelivery * 100) / 100} ms of it in the kernel), PostgreSQL ${Math.round(ackDbCpuMs * 100) / 100} ms; spread over 1 s: p50 ${r1(pct(a.spread, 50))} ms, p99 ${r1(ackSpreadP99)} ms (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`);
}

const w = await robotWorld({
  realTime: true,
  concurrency: 8,
  retryBaseMs: 1000,
  emulator: { rateLimit: { perSecond: 2, burst: 50 } },
  env: { JOBS_POLL_MS: '50', TIMELINE_DEBOUNCE_MS: '2000', TIMELINE_MAX_WAIT_MS: '30000' },
});
try {
  w.runner.start();

  // ---------------------------------------------------------------- 2. REST calls per envelope
  let restPerEnvelope = NaN;
  let messenger = 0;
  if (!ONLY || ONLY === '2') {
  const one = await w.addPortal();
  w.emu.control.attachRobot({ memberId: one.memberId, code: ROBOT_CODE, stageId: 'PREPARATION', properties: { template: 'sales-contract' } });
  const startSeq = w.emu.control.calls({ memberId: one.memberId }).length;
  const move = await w.emu.control.moveDeal({ memberId: one.memberId, dealId: w.dealNotOn('PREPARATION', new Set(), one.memberId), stageId: 'PREPARATION' });
  const token = move.robots[0]!.eventToken;
  const callRow = async () => (await w.services.db.select().from(robotCalls).where(eq(robotCalls.eventToken, token)))[0];
  await until('the envelope to be sent', async () => (await callRow())?.status === 'sent', 60_000);
  const envelopeId = (await callRow())!.envelopeId!;
  const rs = await w.recipientsOf(envelopeId);
  const keyDone = async (key: string) =>
    (await w.services.db.select().from(timelineWrites).where(and(eq(timelineWrites.envelopeId, envelopeId), eq(timelineWrites.key, key)))).length === 1;
  // Signers act minutes apart in real life: each one starts after the previous report went out.
  await until('"sent to …" in the workflow log', () => keyDone('robot:log:sent'), 60_000);
  await w.act(rs[0]!.id, { sign: true });
  const firstSigned = async () => (await w.services.db.select().from(timelineWrites).where(eq(timelineWrites.envelopeId, envelopeId))).length >= 5; // activity, sent, robot log, opened, signed
  await until('the first signature on the timeline', firstSigned, 60_000);
  await w.act(rs[1]!.id, { sign: true });
  await until('the workflow reply and the sealed-PDF comment', async () => (await keyDone('robot:reply')) && (await keyDone('comment:sealed')), 120_000);
  await sleep(2500); // anything still due (a last activity update) goes out
  const all = w.emu.control.calls({ memberId: one.memberId }).slice(startSeq);
  if (process.env.BENCH_TRACE) console.log(all.map((c) => `${c.batchKey !== undefined ? '  ' : ''}${c.method}${c.batchKey !== undefined ? '' : ` @${new Date(c.at).toISOString().slice(17, 23)}`}`).join('\n'));
  const calls = all.filter((c) => c.batchKey === undefined);
  const byMethod: Record<string, number> = {};
  for (const c of calls) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  messenger = byMethod['im.notify.personal.add'] ?? 0;
  restPerEnvelope = calls.length;
  console.log(`rest calls from robot fire to completion (2 signers): ${restPerEnvelope} requests (${restPerEnvelope - messenger} robot+timeline, ${messenger} messenger notifications by the signing flow): ${JSON.stringify(byMethod)}`);
  const sends = w.emu.control.eventSends(one.memberId);
  console.log(`  event.send: ${sends.length} (status ${String(sends[0]?.returnValues.status)}); timeline entries: ${w.emu.control.timeline(one.memberId).map((e) => e.kind).join(', ')}`);

  }

  // ---------------------------------------------------------------- 3. 100 deals at once
  let stageSeconds = NaN;
  let limit503 = NaN;
  if (!ONLY || ONLY === '3') {
  const many = await w.addPortal();
  const st = w.emu.control.portal(many.memberId);
  const template = [...st.deals.values()].find((d) => String(d.CATEGORY_ID) === '0')!;
  for (let i = 0; st.deals.size < 60 + DEALS; i++) {
    const id = String(10_000 + i);
    st.deals.set(id, { ...template, ID: id, TITLE: `Bench deal ${i}`, STAGE_ID: 'NEW', CATEGORY_ID: '0' });
  }
  const targets = [...st.deals.values()].filter((d) => String(d.CATEGORY_ID) === '0' && d.STAGE_ID !== 'PREPARATION').slice(0, DEALS).map((d) => String(d.ID));
  w.emu.control.attachRobot({ memberId: many.memberId, code: ROBOT_CODE, stageId: 'PREPARATION', properties: { template: 'invoice' } });
  const manyStart = w.emu.control.calls({ memberId: many.memberId }).length;
  const t0 = performance.now();
  const moves = await Promise.all(targets.map((dealId) => w.emu.control.moveDeal({ memberId: many.memberId, dealId, stageId: 'PREPARATION' })));
  const tokens = moves.map((m) => m.robots[0]!.eventToken);
  const ackedAt = performance.now() - t0;
  await until(
    `${DEALS} envelopes sent and reported`,
    async () => {
      const rows = await w.services.db.select({ id: robotCalls.envelopeId, status: robotCalls.status }).from(robotCalls).where(and(eq(robotCalls.portalId, many.portalId), inArray(robotCalls.eventToken, tokens)));
      if (rows.length < DEALS || rows.some((r) => r.status !== 'sent')) return false;
      const logged = await w.services.db.select({ id: timelineWrites.id }).from(timelineWrites).where(and(eq(timelineWrites.portalId, many.portalId), eq(timelineWrites.key, 'robot:log:sent')));
      return logged.length >= DEALS;
    },
    600_000,
  );
  stageSeconds = (performance.now() - t0) / 1000;
  const manyCalls = w.emu.control.calls({ memberId: many.memberId }).slice(manyStart).filter((c) => c.batchKey === undefined);
  limit503 = manyCalls.filter((c) => c.httpStatus === 503).length;
  const perMethod: Record<string, number> = {};
  for (const c of manyCalls) perMethod[c.method] = (perMethod[c.method] ?? 0) + 1;
  console.log(`${DEALS} deals moved at once: deliveries acknowledged in ${r1(ackedAt)} ms; all sent and reported in ${r1(stageSeconds)} s with ${manyCalls.length} requests (${r1(manyCalls.length / stageSeconds)} req/s) and ${limit503} refused with 503: ${JSON.stringify(perMethod)}`);

  }

  console.log(
    JSON.stringify({
      ack_p50_ms: r1(ackP50),
      ack_p99_ms: r1(ackP99),
      ack_cpu_ms_per_delivery: Math.round(ackCpuMs * 100) / 100,
      ack_db_cpu_ms_per_delivery: Math.round(ackDbCpuMs * 100) / 100,
      ack_p99_ms_spread_200_per_s: r1(ackSpreadP99),
      rest_calls_per_envelope: restPerEnvelope,
      rest_calls_per_envelope_robot_timeline: restPerEnvelope - messenger,
      stage_100_deals_s: r1(stageSeconds),
      limit_503s: limit503,
    }),
  );
} finally {
  await w.close();
}
