/**
 * Standalone emulator: `npm run emulator -- --port 8790 [--host 127.0.0.1] [--client-id local.x --client-secret s]
 * [--install-url http://127.0.0.1:3000/b24/install] [--robot-stage PREPARATION --robot-template nda]
 * [--portal demo] [--rate 2/50] [--ttl 3600] [--install-wait 300]`.
 *
 * Prints the base URL; with a client id, a portal with the app's credentials as one JSON line. With an
 * install URL it waits until the app there answers HTTP at all (start the two in either order), then
 * installs the app the way Bitrix24 does — ONAPPINSTALL posted to that URL — and prints the outcome as
 * one more JSON line (`{"installed":…}`). With `--robot-stage` it then puts the app's robot on that deal
 * stage, as a portal user would in CRM › Deals › Automation rules; moving a deal there fires it
 * (`POST <base>/_emulator/portals/<memberId>/deals/<id>/move {"stageId":…}`).
 * Virtual hosts live under the base: `<base>/<name>.bitrix24.test/rest/…`, `<base>/oauth.bitrix24.test/oauth/token/`.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createEmulator, type Emulator } from './index.js';

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    out[k] = inline ?? (argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i]! : '1');
  }
  return out;
}

/** Until `url` answers with any HTTP status (the app is listening), or the time is up. */
async function waitForApp(url: string, seconds: number): Promise<boolean> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    try {
      await fetch(url, { method: 'GET', signal: AbortSignal.timeout(2000) });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return false;
}

async function setUp(emu: Emulator, a: Record<string, string>, base: string) {
  const clientId = a['client-id']!;
  const portal = await emu.control.createPortal({ name: a.portal ?? 'demo', app: { clientId, clientSecret: a['client-secret'] ?? 'secret' } });
  console.log(JSON.stringify({ baseUrl: base, ...portal, app: portal.app && { ...portal.app, delivery: undefined } }));
  const installUrl = a['install-url'];
  if (!installUrl) return;
  if (!(await waitForApp(installUrl, Number(a['install-wait'] ?? 300)))) {
    console.error(`the app at ${installUrl} did not answer within ${a['install-wait'] ?? 300} s; nothing installed`);
    return;
  }
  const installed = await emu.control.installApp({
    memberId: portal.memberId, clientId, clientSecret: a['client-secret'] ?? 'secret', installUrl,
    // Robot handlers must be on the app's own domain (reference §5.1): the install URL's.
    handlerBase: new URL(installUrl).origin, flavour: 'event',
  });
  const d = installed.delivery;
  console.log(JSON.stringify({ installed: d?.status === 200, status: d?.status ?? null, ...(d?.error ? { error: d.error } : {}), memberId: portal.memberId }));
  const stage = a['robot-stage'];
  if (d?.status === 200 && stage) {
    const robots = emu.control.registrations(portal.memberId).robots.map((r) => r.code);
    const code = a['robot-code'] ?? robots[0];
    if (!code) return console.error('the app registered no robot to put on a stage');
    emu.control.attachRobot({ memberId: portal.memberId, code, stageId: stage, properties: { ...(a['robot-template'] ? { template: a['robot-template'] } : {}) } });
    console.log(JSON.stringify({ robot: code, stageId: stage }));
  }
}

async function main() {
  const a = args(process.argv.slice(2));
  const host = a.host ?? '127.0.0.1';
  const port = Number(a.port ?? 8790);
  const [perSecond, burst] = (a.rate ?? '2/50').split('/').map(Number);
  let emu: Emulator | undefined;
  const server = serve({ fetch: (req) => (emu ? emu.fetch(req) : new Response('starting', { status: 503 })), port, hostname: host }, (info: AddressInfo) => {
    const base = `http://${host}:${info.port}`;
    emu = createEmulator({
      baseUrl: base,
      rateLimit: a.rate === 'off' ? false : { perSecond: perSecond ?? 2, burst: burst ?? 50 },
      accessTokenTtlMs: Number(a.ttl ?? 3600) * 1000,
      // The app under test runs on loopback without browser headers; downloads stay usable from curl.
      strictDownloadHeaders: a['strict-downloads'] === '1',
    });
    console.log(`Bitrix24 emulator on ${base}  (control API: ${base}/_emulator/)`);
    if (a['client-id']) {
      setUp(emu, a, base).catch((e: unknown) => console.error(`emulator set-up failed: ${e instanceof Error ? e.message : String(e)}`));
    }
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
