/**
 * Issue 15 item 4: exactly once under faults, black-box. Two instances of the production build (their
 * own processes, one PostgreSQL database) behind the standalone emulator with its cloud limits (2 req/s,
 * burst 50). N deals are moved at once to the robot's stage; then, while the jobs run: `kill -9` of the
 * instance holding the most running jobs and its restart, an outage (every REST and OAuth call answered
 * 502), a 503 storm, and the service's database connections terminated several times. Then the
 * figures, counted from what the emulator itself received and stored:
 * - per robot run (its event_token): one timeline activity on its deal, one "sent for signing" log
 *   message, one accepted bizproc.event.send (the robot runs with wait = N, so it answers once sent),
 *   one messenger invitation for the company signer (distinct TAG) — none missing, none twice;
 * - stuck jobs: the one figure only our database can give (jobs neither done nor dead at the end).
 *
 * The same harness without faults runs issue 19 item 4 (test/e2e/instances.test.ts, bench/instances.ts):
 * `instances: 3, balanced: true, faults: false`: three instances behind a round-robin proxy on the public
 * address (Bitrix24's deliveries spread over all three), plus the figures that question asks: 503s the
 * emulator answered, jobs that ran more than once, any timeline entry twice.
 */
import postgres from 'postgres';
import { ADMIN_URL } from '../test/helpers/db.js';
import { freePort, productionBuild, productionStack, roundRobinProxy, startEmulator, type ServiceProc } from '../test/helpers/stack.js';

const ROBOT = 'b24sign_send_for_signing';

export interface ChaosOptions {
  envelopes: number;
  /** Service instances on the one database (2 by default). */
  instances?: number;
  /** A round-robin proxy on the public address spreads every request Bitrix24 sends over the instances; otherwise they all reach the first. */
  balanced?: boolean;
  /** false: none of the faults below, and no kill -9 (default true). */
  faults?: boolean;
  /** The emulator's leaky bucket per portal, `perSecond/burst` ('2/50', Bitrix24's ordinary plans, by default); the service is told the same. */
  rate?: string;
  /** What the service is told instead (`perSecond/burst`): a counterfactual, e.g. 3 × the rate, as three unshared buckets would spend it. */
  serviceRate?: string;
  outageMs: number;
  stormMs: number;
  /** How many times the service's database connections are terminated. */
  terminations: number;
  /** Give up waiting for the work to finish after this long (the figures are taken anyway). */
  settleTimeoutMs: number;
  log?: (line: string) => void;
}

export interface ChaosFigures {
  envelopes: number;
  lost_envelopes: number;
  duplicate_activities: number;
  duplicate_log_messages: number;
  /** Envelopes on the timeline (an activity) without their "sent for signing" log message. */
  lost_log_messages: number;
  duplicate_event_sends: number;
  lost_event_sends: number;
  lost_notifications: number;
  stuck_jobs: number;
  /** Every 503 the emulator answered (its leaky bucket; during a storm the injected ones too), from its call records. */
  rest_503s: number;
  /** Jobs claimed more than once (attempts > 1): retries and reclaims. Without faults, every job should run once. */
  jobs_run_more_than_once: number;
  /** Timeline entries (activities, log messages, comments) identical to an earlier one on the same item. */
  duplicate_timeline_entries: number;
  /** Instances seen holding running jobs (sampled while the work ran). */
  instances_running_jobs: number;
  /** Robot deliveries each instance received (balanced runs; otherwise all went to the first). */
  deliveries_per_instance: number[];
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TimelineEntry {
  kind: 'comment' | 'logmessage' | 'activity';
  entityTypeId: number;
  entityId: number;
  fields: Record<string, unknown>;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosFigures> {
  const log = o.log ?? (() => {});
  const count = o.instances ?? 2;
  const faults = o.faults ?? true;
  const rate = o.rate ?? '2/50';
  const [perSecond, burst] = (o.serviceRate ?? rate).split('/');
  const build = await productionBuild(process.env.BENCH_BUILD_DIR);
  const publicPort = await freePort();
  // Balanced: every instance on a port of its own behind the proxy on the public one; otherwise the first is the public port.
  const ports = [o.balanced ? await freePort() : publicPort];
  for (let i = 1; i < count; i++) ports.push(await freePort());
  const emu = await startEmulator({ clientId: 'local.bench', clientSecret: 'bench-client-secret', installUrl: `http://127.0.0.1:${publicPort}/b24/install`, rate });
  const stack = await productionStack({
    out: build.out, publicPort, emulatorBase: () => emu.base, dbKind: 'postgres',
    env: { LOG_LEVEL: 'warn', JOBS_POLL_MS: '250', BITRIX24_RATE_PER_SECOND: perSecond!, BITRIX24_RATE_BURST: burst! },
  });
  let proxy: Awaited<ReturnType<typeof roundRobinProxy>> | undefined;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  const dbName = new URL(stack.db!.url!).pathname.slice(1);
  // The bench's own look into our tables, spared by the terminations (they are aimed at the service).
  const ours = postgres(stack.db!.url!, { max: 1, onnotice: () => {}, connection: { application_name: 'chaos-bench' } });
  const instances: ServiceProc[] = [];
  const t0 = performance.now();
  let sampling = false;
  try {
    // All instances up before the public address answers: the emulator installs as soon as anything does.
    // Started together: each applies migrations under the same advisory lock, so they run once.
    instances.push(...(await Promise.all(ports.map((port) => stack.startService({ port })))));
    if (o.balanced) proxy = await roundRobinProxy(publicPort, ports.map((p) => `http://127.0.0.1:${p}`));
    const installed = JSON.parse(await emu.line(/^\{"installed"/, 90_000)) as { installed: boolean };
    if (!installed.installed) throw new Error(`install failed:\n${instances[0]!.lines.slice(-20).join('\n')}`);
    log(`${count} instances on one PostgreSQL database${proxy ? ', behind a round-robin proxy' : ''}; emulator limit ${rate}`);
    const m = emu.memberId;
    await emu.control(`/portals/${m}/robots/attach`, { code: ROBOT, stageId: 'PREPARATION', properties: { template: 'nda', wait: 'N' } });
    const { ids } = await emu.control<{ ids: string[] }>(`/portals/${m}/deals`, { count: o.envelopes });

    // Which instance holds running jobs right now (our table: to time the kill, and to see the work spread).
    const seenHolders = new Set<string>();
    const holders = async () => {
      const rows = (await ours.unsafe(`select locked_by, count(*)::int as n from jobs where status = 'running' group by locked_by`)) as unknown as { locked_by: string | null; n: number }[];
      for (const r of rows) if (r.locked_by) seenHolders.add(r.locked_by.split(':')[1]!);
      return rows;
    };
    sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await holders().catch(() => []);
        await sleep(200);
      }
    })();
    const terminate = async () => {
      const r = await admin.unsafe(`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and application_name <> 'chaos-bench' and pid <> pg_backend_pid()`, [dbName]);
      log(`terminated ${String(r[0]?.n)} database connections of the service`);
    };

    log(`moving ${ids.length} deals to the robot's stage at once`);
    const moves = await Promise.all(ids.map((id) => emu.control<{ robots: { eventToken: string; status: number }[] }>(`/portals/${m}/deals/${id}/move`, { stageId: 'PREPARATION' })));
    const runs = moves.map((mv, i) => ({ dealId: Number(ids[i]), token: mv.robots[0]?.eventToken, status: mv.robots[0]?.status }));
    const refused = runs.filter((r) => r.status !== 200).length;
    log(`deliveries answered: ${runs.length - refused} × 200, ${refused} otherwise`);

    if (faults) {
      // kill -9 an instance while it holds leased jobs, then start it again on its port.
      const kDeadline = Date.now() + 30_000;
      let victim = 1;
      for (;;) {
        const h = await holders();
        const byPid = (i: number) => h.filter((x) => x.locked_by?.split(':')[1] === String(instances[i]!.pid)).reduce((a, x) => a + x.n, 0);
        const [a, b] = [byPid(0), byPid(1)];
        if (a + b > 0 || Date.now() > kDeadline) {
          victim = b >= a ? 1 : 0;
          log(`kill -9 instance ${victim + 1} (pid ${instances[victim]!.pid}) holding ${Math.max(a, b)} running jobs`);
          break;
        }
        await sleep(100);
      }
      await instances[victim]!.kill9();
      await sleep(1000);
      instances[victim] = await stack.startService({ port: ports[victim] });
      log('restarted');

      await terminate();
      log(`outage: every REST and OAuth call answered 502 for ${o.outageMs / 1000} s`);
      await emu.control('/faults', { status: 502, error: 'BAD_GATEWAY', errorDescription: 'Bad Gateway', forMs: o.outageMs });
      await emu.control('/faults', { status: 502, error: 'BAD_GATEWAY', errorDescription: 'Bad Gateway', forMs: o.outageMs, target: 'oauth' });
      const between = Math.max(1, o.terminations - 1);
      for (let i = 1; i < o.terminations; i++) {
        await sleep(o.outageMs / between);
        await terminate();
      }
      if (o.terminations <= 1) await sleep(o.outageMs);
      log(`503 storm for ${o.stormMs / 1000} s`);
      await emu.control('/faults', { status: 503, forMs: o.stormMs });
      await sleep(o.stormMs / 2);
      await terminate();
      await sleep(o.stormMs / 2);
    }

    // Until every run has its accepted event.send (or the time is up), then a while longer so late repeats show.
    const tokens = new Set(runs.map((r) => r.token).filter((t): t is string => Boolean(t)));
    const settleEnd = Date.now() + o.settleTimeoutMs;
    for (;;) {
      const sends = await emu.control<{ eventToken: string; accepted: boolean }[]>(`/portals/${m}/event-sends`);
      const done = new Set(sends.filter((s) => s.accepted && tokens.has(s.eventToken)).map((s) => s.eventToken)).size;
      if (done >= tokens.size || Date.now() > settleEnd) {
        log(`${done} of ${tokens.size} workflows answered; settling`);
        break;
      }
      await sleep(2000);
    }
    // Then until no job is due any more and the portal has heard nothing new for a few seconds.
    // Due within five minutes: retries back off for seconds to minutes; reminders and expiries wait for days.
    const due = async () => (await ours.unsafe(`select kind, status, count(*)::int as n from jobs where status in ('queued', 'running') and run_at < now() + interval '5 minutes' group by kind, status`)) as unknown as { kind: string; status: string; n: number }[];
    for (let last = -1, still = 0; still < 3 && Date.now() < settleEnd; ) {
      const calls = (await emu.control<unknown[]>(`/calls?memberId=${m}`)).length;
      still = calls === last && (await due()).length === 0 ? still + 1 : 0;
      last = calls;
      await sleep(2000);
    }
    sampling = false;
    await sampler;
    const left = await due();
    if (left.length) log(`jobs still due at the end: ${left.map((j) => `${j.kind} ${j.status} × ${j.n}`).join(', ')}`);
    const summary = (await ours.unsafe(`select kind, status, count(*)::int as n, max(attempts)::int as attempts from jobs group by kind, status order by kind, status`)) as unknown as { kind: string; status: string; n: number; attempts: number }[];
    log(`our queue at the end: ${summary.map((j) => `${j.kind} ${j.status} × ${j.n} (attempts ≤ ${j.attempts})`).join(', ')}`);
    const dead = (await ours.unsafe(`select kind, left(coalesce(last_error, ''), 200) as error, count(*)::int as n from jobs where status = 'dead' group by 1, 2 order by 3 desc limit 5`)) as unknown as { kind: string; error: string; n: number }[];
    for (const d of dead) log(`  dead: ${d.kind} × ${d.n}: ${d.error}`);

    // ---- the figures, from the emulator's own records
    const timeline = await emu.control<TimelineEntry[]>(`/portals/${m}/timeline`);
    const sends = await emu.control<{ eventToken: string; accepted: boolean; returnValues: Record<string, unknown>; logMessage?: string }[]>(`/portals/${m}/event-sends`);
    const outcomes = new Map<string, { n: number; sample: string }>();
    for (const x of sends.filter((y) => y.accepted)) {
      const k = String(x.returnValues.status);
      outcomes.set(k, { n: (outcomes.get(k)?.n ?? 0) + 1, sample: outcomes.get(k)?.sample ?? String(x.logMessage ?? '').slice(0, 160) });
    }
    log(`accepted replies by status: ${[...outcomes].map(([k, v]) => `${k} × ${v.n} ("${v.sample}")`).join(', ')}`);
    const notes = await emu.control<{ toUserId: string; params: Record<string, unknown> }[]>(`/portals/${m}/notifications`);
    const dealSet = new Set(runs.map((r) => r.dealId));
    const perDeal = (kind: TimelineEntry['kind'], match: (e: TimelineEntry) => boolean = () => true) => {
      const n = new Map<number, number>();
      for (const e of timeline) if (e.kind === kind && e.entityTypeId === 2 && dealSet.has(e.entityId) && match(e)) n.set(e.entityId, (n.get(e.entityId) ?? 0) + 1);
      return n;
    };
    const activities = perDeal('activity');
    // The "sent" line in any of our languages (src/timeline/texts.ts log.sent).
    const isSentLine = (e: TimelineEntry) => /sent for signing|inviato per la firma|отправлен на подпись/i.test(String(e.fields.text ?? e.fields.TEXT ?? ''));
    const sentLogs = perDeal('logmessage', isSentLine);
    const unlogged = [...perDeal('activity').keys()].filter((d) => !sentLogs.has(d));
    if (unlogged.length) {
      const lines = timeline.filter((e) => e.kind === 'logmessage' && e.entityId === unlogged[0]).map((e) => String(e.fields.text ?? e.fields.TEXT ?? ''));
      log(`deal ${unlogged[0]} has its activity but no "sent" line; its log lines: ${JSON.stringify(lines)}`);
    }
    const extra = (n: Map<number, number>) => [...n.values()].reduce((a, x) => a + Math.max(0, x - 1), 0);
    const acceptedPer = new Map<string, number>();
    for (const s of sends) if (s.accepted && tokens.has(s.eventToken)) acceptedPer.set(s.eventToken, (acceptedPer.get(s.eventToken) ?? 0) + 1);
    // One invitation per envelope for the company signer; a repeat under the same TAG replaces, so distinct TAGs count.
    const tags = new Set(notes.map((x) => String(x.params.TAG ?? '')).filter((t) => t.startsWith('b24sign|')));
    const total = (n: Map<number, number>) => [...n.values()].reduce((a, x) => a + x, 0);
    log(`the emulator holds ${total(activities)} activities and ${total(sentLogs)} "sent for signing" log messages on ${dealSet.size} deals, ${sends.filter((s) => s.accepted).length} accepted event sends (${sends.length} in all), ${tags.size} invitation tags in ${notes.length} notifications`);
    const stuck = left.reduce((a, j) => a + j.n, 0);
    // Every timeline entry on the run's deals, identical in kind, item and fields to an earlier one.
    const seenEntries = new Set<string>();
    let repeatedEntries = 0;
    for (const e of timeline.filter((x) => dealSet.has(x.entityId))) {
      const key = JSON.stringify([e.kind, e.entityTypeId, e.entityId, e.fields]);
      if (seenEntries.has(key)) repeatedEntries++;
      seenEntries.add(key);
    }
    const calls = await emu.control<{ httpStatus: number; batchKey?: string }[]>(`/calls?memberId=${m}`);
    const rest503s = calls.filter((c) => c.httpStatus === 503).length;
    const requests = calls.filter((c) => c.batchKey === undefined).length;
    const [again] = (await ours.unsafe(`select count(*)::int as n from jobs where attempts > 1`)) as unknown as { n: number }[];
    const deliveries = instances.map((_, i) => (proxy ? (proxy.counts.get(`http://127.0.0.1:${ports[i]}`)?.delivered ?? 0) : i === 0 ? runs.length : 0));
    log(`the emulator answered ${requests} REST requests (${calls.length} calls counting batch parts), ${rest503s} of them 503; deliveries per instance ${JSON.stringify(deliveries)}; ${seenHolders.size} instances seen running jobs`);
    return {
      envelopes: runs.length,
      lost_envelopes: [...dealSet].filter((d) => !activities.has(d)).length,
      duplicate_activities: extra(activities),
      duplicate_log_messages: extra(sentLogs),
      lost_log_messages: [...activities.keys()].filter((d) => !sentLogs.has(d)).length,
      duplicate_event_sends: [...acceptedPer.values()].reduce((a, x) => a + Math.max(0, x - 1), 0),
      lost_event_sends: [...tokens].filter((t) => !acceptedPer.has(t)).length,
      lost_notifications: Math.max(0, runs.length - tags.size),
      stuck_jobs: stuck,
      rest_503s: rest503s,
      jobs_run_more_than_once: again?.n ?? 0,
      duplicate_timeline_entries: repeatedEntries,
      instances_running_jobs: seenHolders.size,
      deliveries_per_instance: deliveries,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } finally {
    sampling = false;
    await proxy?.close();
    await ours.end();
    await admin.end();
    emu.stop();
    await stack.close();
    build.remove();
  }
}
