/**
 * The Cloudflare Workers build, run for real: `wrangler dev --local` starts src/entry/worker.ts in
 * workerd (from npm) against a fresh PostgreSQL database (Hyperdrive's local connection string), the
 * production assets (`npm run build`, served through the ASSETS binding), the standalone emulator as
 * the portal, and a local stub of Resend's e-mail API as the mail provider. Queue wake-ups and the
 * consumer run in workerd too. The walk: the emulator installs the app, a deal moved onto the robot's
 * stage fires the robot, the company signer and then the client sign through their e-mailed links
 * (one-time codes by e-mail), the completion job seals, and /v gives the sealed file its verdict.
 * workerd's own CPU time across the completion (render + seal + mail) is printed as an indication.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDevelopmentSeal } from '../../src/documents/certificates/development.js';
import { PAGE_IMAGES_UNAVAILABLE } from '../../src/entry/workers/in-process-off-thread.js';
import { generateTokenKey } from '../../src/lib/token-keyring.js';
import { PAGE_IMAGES_KIND } from '../../src/signing/page-images.js';
import { createTestDb, POSTGRES_REACHABLE, TEST_DB_KIND, type TestDb } from '../helpers/db.js';
import { freePort, processCpuMs, productionBuild, ROOT, startEmulator, watch, type EmulatorProc, type Proc } from '../helpers/stack.js';

const CLIENT_ID = 'local.workers';
// The signer link and one-time code in an e-mail's text (as test/helpers/signing.ts reads them, without its imports).
const tokenFromBody = (body: string) => /\/s\/([A-Za-z0-9._-]+)/.exec(body)?.[1];
const codeFromBody = (body: string) => /\b(\d{6})\b/.exec(body)?.[1];
const CLIENT_SECRET = 'workers-secret';
const RESEND_KEY = 're_test_workers_key';

interface StubMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
}

/** Resend's POST /emails as documented (Bearer key, JSON body with from/to/subject/text|html, answer `{ id }`). */
async function resendStub(port: number): Promise<{ server: Server; mails: StubMail[]; refused: number }> {
  const state = { mails: [] as StubMail[], refused: 0 };
  const read = (req: IncomingMessage) => new Promise<string>((resolve) => {
    let s = '';
    req.on('data', (d) => (s += d));
    req.on('end', () => resolve(s));
  });
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const answer = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (req.method !== 'POST' || req.url !== '/emails') return answer(404, { statusCode: 404, name: 'not_found', message: 'not found' });
    if (req.headers.authorization !== `Bearer ${RESEND_KEY}`) {
      state.refused++;
      return answer(401, { statusCode: 401, name: 'missing_api_key', message: 'Missing API key in the authorization header.' });
    }
    let mail: StubMail;
    try {
      mail = JSON.parse(body) as StubMail;
    } catch {
      return answer(422, { statusCode: 422, name: 'validation_error', message: 'invalid JSON' });
    }
    const to = mail.to as unknown;
    if (typeof mail.from !== 'string' || typeof mail.subject !== 'string' || !(typeof to === 'string' || Array.isArray(to)) || (!mail.text && !mail.html)) {
      return answer(422, { statusCode: 422, name: 'validation_error', message: 'from, to, subject and text or html are required' });
    }
    state.mails.push({ ...mail, to: Array.isArray(to) ? (to as string[]) : [to as string] });
    answer(200, { id: `stub-${state.mails.length}` });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, ...state, get mails() { return state.mails; }, get refused() { return state.refused; } };
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined, debug?: () => string | Promise<string>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${debug ? `\n${await debug()}` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The workerd processes under wrangler's process group (their CPU time is the worker's; a reload starts another). */
function workerdPids(groupLeader: number): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (Number(rest[2]) === groupLeader && comm.startsWith('workerd')) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

const workerdCpuMs = (groupLeader: number) => workerdPids(groupLeader).reduce((sum, pid) => sum + processCpuMs(pid), 0);

function stopGroup(p: Proc | undefined) {
  if (!p?.child.pid || p.child.exitCode !== null) return;
  try {
    process.kill(-p.child.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}

describe.runIf(POSTGRES_REACHABLE && TEST_DB_KIND === 'postgres')('Cloudflare Workers build in workerd (wrangler dev --local)', () => {
  let emulator: EmulatorProc | undefined;
  let worker: Proc | undefined;
  let cron: Proc | undefined;
  let db: TestDb | undefined;
  let stub: Awaited<ReturnType<typeof resendStub>> | undefined;
  let build: { out: string; remove(): void } | undefined;
  const state = mkdtempSync(join(tmpdir(), 'b24-workers-'));
  afterAll(async () => {
    stopGroup(worker);
    stopGroup(cron);
    emulator?.stop();
    stub?.server.close();
    await db?.close();
    build?.remove();
    rmSync(state, { recursive: true, force: true });
  });

  it('installs, runs the robot, both parties sign, the seal is made and /v says sealed_unchanged', async () => {
    db = await createTestDb('postgres');
    build = await productionBuild(process.env.WORKERS_TEST_BUILD);
    const [appPort, inspectorPort, mailPort] = [await freePort(), await freePort(), await freePort()];
    const publicUrl = `http://127.0.0.1:${appPort}`;
    stub = await resendStub(mailPort);
    emulator = await startEmulator({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, installUrl: `${publicUrl}/b24/install`, robotStage: 'PREPARATION', robotTemplate: 'nda', rate: '20/50' });

    // Hyperdrive wants a password in the URL; the local server trusts any.
    const hyperdriveUrl = db.url!.replace('postgres://postgres@', 'postgres://postgres:local@');
    const vars: Record<string, string> = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PUBLIC_URL: publicUrl,
      SESSION_SECRET: generateTokenKey('s').slice(2) + 'x'.repeat(8),
      TOKEN_ENCRYPTION_KEYS: generateTokenKey('w1'),
      SEAL_DEVELOPMENT_JSON: JSON.stringify(await generateDevelopmentSeal(new Date())),
      BITRIX24_CLIENT_ID: CLIENT_ID,
      BITRIX24_CLIENT_SECRET: CLIENT_SECRET,
      BITRIX24_ALLOW_INSECURE_ENDPOINTS: '1',
      BITRIX24_OAUTH_SERVER_ENDPOINT: `${emulator.base}/oauth.bitrix24.test/rest/`,
      RESEND_API_KEY: RESEND_KEY,
      RESEND_API_URL: `http://127.0.0.1:${mailPort}`,
      MAIL_FROM: 'b24-sign <sign@example.test>',
    };
    const { DATABASE_URL: _d, NODE_OPTIONS: _n, ...env } = process.env;
    const wranglerEnv = { ...env, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdriveUrl, WRANGLER_SEND_METRICS: 'false', CI: '1' };
    const wrangler = join(ROOT, 'node_modules/.bin/wrangler');
    // The bundle `wrangler deploy` would upload (the dry run), built from wrangler.toml with this run's
    // assets, then run as is: `wrangler dev` on the sources would rebuild and restart workerd whenever
    // any file under src/ changes.
    const bundle = join(state, 'bundle');
    const assetsDir = `directory = ${JSON.stringify(join(build.out, 'assets'))}`;
    const source = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').replace(/^directory = "dist\/assets"$/m, assetsDir);
    expect(source).toContain(assetsDir);
    writeFileSync(join(state, 'wrangler.toml'), source.replace(/^main = .*$/m, `main = ${JSON.stringify(join(ROOT, 'src/entry/worker.ts'))}`));
    const dry = await promisify(execFile)(wrangler, ['deploy', '--dry-run', '--config', join(state, 'wrangler.toml'), '--outdir', bundle], { cwd: ROOT, env: wranglerEnv, timeout: 180_000 });
    for (const binding of ['env.HYPERDRIVE', 'env.ASSETS', 'env.JOBS', 'env.BLOBS']) expect(dry.stdout).toContain(binding);
    const toml = source.replace(/^main = .*$/m, 'main = "worker.js"\nno_bundle = true\nfind_additional_modules = true');
    writeFileSync(join(bundle, 'wrangler.toml'), toml);
    const args = ['dev', '--config', join(bundle, 'wrangler.toml'), '--local', '--ip', '127.0.0.1', '--port', String(appPort), '--inspector-port', String(inspectorPort),
      '--show-interactive-dev-session=false', '--persist-to', join(state, 'wrangler'),
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])];
    worker = watch(spawn(wrangler, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: wranglerEnv }));
    await worker.line(/Ready on http/, 120_000);
    const log = () => worker!.lines.slice(-40).join('\n');

    // Install: the emulator calls /b24/install once the app answers; the app registers itself.
    const installed = JSON.parse(await emulator.line(/^\{"installed"/, 120_000)) as { installed: boolean; status: number };
    expect(installed, log()).toMatchObject({ installed: true, status: 200 });
    await emulator.line(/^\{"robot"/, 20_000);

    // Static assets through the ASSETS binding, with the app's own caching headers.
    const manifest = JSON.parse(readFileSync(join(build.out, 'assets', 'manifest.json'), 'utf8')) as { names: Record<string, string>; files: Record<string, { bytes: number; sha256: string }> };
    const script = `/assets/${manifest.names['sign/app.js']}`;
    const asset = await fetch(`${publicUrl}${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    // Plain bytes from the worker (the runtime compresses for the client; a precompressed body would be encoded twice).
    expect(asset.headers.get('etag')).toBe(`"${manifest.files[manifest.names['sign/app.js']!]!.sha256.slice(0, 16)}"`);
    const plain = await fetch(`${publicUrl}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect((await plain.arrayBuffer()).byteLength).toBe(manifest.files[manifest.names['sign/app.js']!]!.bytes);

    // Robot call: a deal moved onto the robot's stage.
    const move = await emulator.control(`/portals/${emulator.memberId}/deals/1/move`, { stageId: 'PREPARATION' });
    expect(move.robots.map((r: { code: string; status: number }) => [r.code, r.status])).toEqual([['b24sign_send_for_signing', 200]]);

    const mailsTo = (to: string) => stub!.mails.filter((m) => m.to.includes(to));
    const signOne = async (invitation: StubMail, party: 'company' | 'client') => {
      const to = invitation.to[0]!;
      const token = tokenFromBody(invitation.text)!;
      expect(token, invitation.text).toBeDefined();
      const before = mailsTo(to).length;
      const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
        fetch(`${publicUrl}/api/sign/${token}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
      const sent = await post('code');
      expect(sent.status, await sent.clone().text()).toBeLessThan(300);
      const codeMail = await until(`the code e-mail to ${to}`, 60_000, () => mailsTo(to).slice(before).find((m) => codeFromBody(m.text)), log);
      const verified = await post('verify', { code: codeFromBody(codeMail.text) });
      const v = (await verified.json()) as { actionToken: string };
      expect(verified.status, JSON.stringify(v)).toBe(200);
      const signature = party === 'client' ? { method: 'typed', text: 'Client Signer' } : { method: 'typed', text: 'Company Signer' };
      const signed = await post('sign', { acceptTerms: true, values: {}, signature }, { 'x-sign-action': v.actionToken });
      expect(signed.status, await signed.clone().text()).toBe(200);
    };

    // The company signer (order 1) is invited first, by e-mail through the provider.
    const first = await until('the first invitation e-mail', 90_000, () => stub!.mails.find((m) => tokenFromBody(m.text)), log);
    await signOne(first, 'company');
    const second = await until('the second invitation e-mail', 90_000, () => stub!.mails.find((m) => m.to[0] !== first.to[0] && tokenFromBody(m.text)), log);

    // The client's signature completes the envelope: the completion job renders and seals in workerd.
    const group = worker.child.pid!;
    const cpuBefore = workerdCpuMs(group);
    const started = Date.now();
    await signOne(second, 'client');
    const sql = postgres(db.url!, { max: 1, onnotice: () => {} });
    try {
      const sealed = await until('the sealed PDF', 120_000, async () => {
        const rows = await sql<{ sealed_pdf_key: string | null; status: string }[]>`select sealed_pdf_key, status from envelopes where sealed_pdf_key is not null limit 1`;
        return rows[0];
      }, log);
      const cpuMs = Math.round(workerdCpuMs(group) - cpuBefore);
      const wallMs = Date.now() - started;
      expect(sealed.status).toBe('completed');
      // The PDFs live in R2 (the BLOBS binding), not in PostgreSQL: the registry names them, blob_bytes stays empty.
      const [stored] = await sql<{ blobs: number; bytes: number }[]>`select (select count(*)::int from blobs) as blobs, (select count(*)::int from blob_bytes) as bytes`;
      expect(stored).toEqual({ blobs: expect.any(Number), bytes: 0 });
      expect(stored!.blobs).toBeGreaterThanOrEqual(2); // the source and the sealed PDF
      // Every party's permanent link serves the sealed file, read back from R2 by the worker.
      const finalMail = await until('the completion e-mail', 60_000, () => stub!.mails.find((m) => /\/s\/final\//.test(m.text)), log);
      const finalUrl = /(https?:\/\/\S+\/s\/final\/[A-Za-z0-9._-]+)/.exec(finalMail.text)![1]!;
      expect(finalUrl.startsWith(`${publicUrl}/s/final/`)).toBe(true);
      const download = await fetch(finalUrl);
      expect(download.status).toBe(200);
      const sealedPdf = new Uint8Array(await download.arrayBuffer());
      expect(Buffer.from(await crypto.subtle.digest('SHA-256', sealedPdf)).toString('hex')).toBe((await sql<{ s: string }[]>`select sealed_sha256 as s from envelopes where sealed_pdf_key = ${sealed.sealed_pdf_key}`)[0]!.s);
      console.log(`workers e2e: completion (last signature → sealed) ${wallMs} ms wall, workerd CPU ${cpuMs} ms (render + seal + mail), sealed PDF ${sealedPdf.byteLength} bytes`);

      // The verify door, in workerd: the sealed file is recognised and unchanged.
      const form = new FormData();
      form.append('file', new Blob([sealedPdf], { type: 'application/pdf' }), 'sealed.pdf');
      const verdict = (await (await fetch(`${publicUrl}/api/verify`, { method: 'POST', body: form })).json()) as { verdict: string };
      expect(verdict.verdict, JSON.stringify(verdict).slice(0, 500)).toBe('sealed_unchanged');
      const html = await (await fetch(`${publicUrl}/v`, { method: 'POST', body: form })).text();
      expect(html).toMatch(/class="verdict good"/);

      // Every job ran in workerd through the queue consumer (nothing fires the cron here); page images
      // degrade explicitly: no canvas on Workers, so that job fails permanently with the reason and the
      // signing page draws the PDF with pdf.js.
      // Follow-up jobs queued a few seconds ahead (timeline syncs) get a delayed queue message, not the next cron minute.
      type JobRow = { kind: string; status: string; last_error: string | null; due: boolean };
      const jobsNow = () => sql<JobRow[]>`select kind, status, last_error, run_at <= now() as due from jobs order by id`;
      const jobs = await until('every due job run', 30_000, async () => {
        const all = await jobsNow();
        return all.some((j) => j.due && (j.status === 'queued' || j.status === 'running')) ? undefined : all;
      }, async () => JSON.stringify(await jobsNow()));
      console.log(`workers e2e jobs: ${jobs.map((j) => `${j.kind}=${j.status}${j.due ? '' : '(later)'}`).join(', ')}`);
      expect(jobs.filter((j) => j.kind !== PAGE_IMAGES_KIND && j.due && j.status !== 'done'), JSON.stringify(jobs)).toEqual([]);
      expect(jobs.filter((j) => j.kind === 'timeline.sync' && j.status === 'done').length).toBeGreaterThan(0);
      const pageImages = jobs.filter((j) => j.kind === PAGE_IMAGES_KIND);
      expect(pageImages.length).toBeGreaterThan(0);
      for (const j of pageImages) {
        expect(j.status).toBe('dead');
        expect(j.last_error).toContain(PAGE_IMAGES_UNAVAILABLE);
      }

      // A due job nothing woke the queue for (queued by hand here) is picked up after the next write
      // request: every non-GET request checks for due jobs and wakes the consumer.
      const [noop] = await sql<{ id: number }[]>`insert into jobs (kind, payload) values ('noop', '{}'::jsonb) returning id`;
      const poke = await fetch(`${publicUrl}/api/verify`, { method: 'POST', body: form });
      expect(poke.status).toBe(200);
      await until('the missed job', 30_000, async () => ((await sql<{ status: string }[]>`select status from jobs where id = ${noop!.id}`)[0]?.status === 'done' ? true : undefined), log);

      // The cron sweep: scheduled() runs a job no request and no queue message woke. wrangler 4.86's local
      // /cdn-cgi/handler/scheduled fails for any worker with [assets] ("DataCloneError: Could not serialize
      // object of type ScheduledController"), so the same bundle runs a second time without [assets]
      // (jobs only) and is triggered there, after the first one has stopped (so no queue message of its
      // can be what runs the job).
      const exited = new Promise((r) => worker!.child.once('exit', r));
      stopGroup(worker);
      await exited;
      const cronPort = await freePort();
      writeFileSync(join(bundle, 'cron.toml'), toml.replace(/^\[assets\][^[]*/m, ''));
      expect(readFileSync(join(bundle, 'cron.toml'), 'utf8')).not.toContain('[assets]');
      cron = watch(spawn(wrangler, ['dev', '--config', join(bundle, 'cron.toml'), '--local', '--ip', '127.0.0.1', '--port', String(cronPort), '--inspector-port', String(await freePort()),
        '--show-interactive-dev-session=false', '--persist-to', join(state, 'wrangler-cron'), ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])],
        { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: wranglerEnv }));
      await cron.line(/Ready on http/, 120_000);
      const [swept] = await sql<{ id: number }[]>`insert into jobs (kind, payload) values ('noop', '{}'::jsonb) returning id`;
      const trigger = await fetch(`http://127.0.0.1:${cronPort}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
      expect(trigger.status, `${await trigger.text()}\n${cron.lines.slice(-20).join('\n')}`).toBe(200);
      expect((await sql<{ status: string }[]>`select status from jobs where id = ${swept!.id}`)[0]?.status).toBe('done');
    } finally {
      await sql.end();
    }
    expect(stub.refused).toBe(0);
  }, 600_000);
});
