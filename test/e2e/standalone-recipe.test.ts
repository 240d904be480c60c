/**
 * The README's two-terminal recipe, run exactly: `npm run emulator -- …` in one process, `npm start` with
 * the documented environment in another. The emulator installs the app through the real install door
 * (ONAPPINSTALL to /b24/install once the app answers), the app registers everything, the robot is put on
 * a stage, a deal moved there fires it, and the app reports into the deal's timeline. Nothing is written
 * to the app's database by hand: every step goes over HTTP, as it would with a portal.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIGN_PLACEMENTS } from '../../src/bitrix24/manifest.js';
import { freePort, watch, type Proc } from '../helpers/stack.js';

const CLIENT_ID = 'local.recipe';
const CLIENT_SECRET = 'recipe-secret';

/** `npm run …` in its own process group, so the group (npm, tsx, node) can be stopped by its id. */
function npm(args: string[], env: NodeJS.ProcessEnv): Proc {
  return watch(spawn('npm', args, { cwd: process.cwd(), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function stop(p: Proc | undefined) {
  if (!p?.child.pid || p.child.exitCode !== null) return;
  try {
    process.kill(-p.child.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('the standalone emulator and `npm start`, end to end through the real install path', () => {
  let emulator: Proc | undefined;
  let app: Proc | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'b24-recipe-'));
  afterAll(() => {
    stop(app);
    stop(emulator);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('installs, registers, fires the robot on a stage move and reports into the timeline', async () => {
    const [emuPort, appPort] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${emuPort}`;
    const publicUrl = `http://127.0.0.1:${appPort}`;
    const { DATABASE_URL: _db, ...inherited } = process.env;

    // Terminal 1.
    emulator = npm(
      ['run', 'emulator', '--', '--port', String(emuPort), '--client-id', CLIENT_ID, '--client-secret', CLIENT_SECRET,
        '--install-url', `${publicUrl}/b24/install`, '--robot-stage', 'PREPARATION', '--robot-template', 'nda'],
      inherited,
    );
    const portal = JSON.parse(await emulator.line(/^\{"baseUrl"/, 60_000)) as { memberId: string; clientEndpoint: string };

    // Terminal 2: the documented environment (README, "Against the standalone emulator").
    app = npm(['start'], {
      ...inherited,
      PORT: String(appPort),
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
      DATA_DIR: dataDir,
      BITRIX24_CLIENT_ID: CLIENT_ID,
      BITRIX24_CLIENT_SECRET: CLIENT_SECRET,
      BITRIX24_ALLOW_INSECURE_ENDPOINTS: '1',
      BITRIX24_OAUTH_SERVER_ENDPOINT: `${base}/oauth.bitrix24.test/rest/`,
      LOG_LEVEL: 'warn',
    });

    const installed = JSON.parse(await emulator.line(/^\{"installed"/, 90_000)) as { installed: boolean; status: number };
    expect(installed, app.lines.slice(-20).join('\n')).toMatchObject({ installed: true, status: 200 });
    await emulator.line(/^\{"robot"/, 10_000);

    const control = async (path: string, body?: unknown) => {
      const res = await fetch(`${base}/_emulator${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return res.json() as Promise<any>;
    };
    const reg = await control(`/portals/${portal.memberId}/registrations`);
    expect(reg.placements.map((p: { placement: string }) => p.placement).sort()).toEqual(SIGN_PLACEMENTS.map((p) => p.code).sort());
    expect(reg.robots.map((r: { code: string; handler: string }) => [r.code, r.handler])).toEqual([['b24sign_send_for_signing', `${publicUrl}/b24/robots/send-for-signing`]]);
    expect(reg.events.map((e: { event: string }) => e.event).sort()).toEqual(['ONAPPUNINSTALL', 'ONAPPUPDATE']);

    // A user moves deal 1 (pipeline 0) to the stage the robot is on.
    const move = await control(`/portals/${portal.memberId}/deals/1/move`, { stageId: 'PREPARATION' });
    expect(move.robots.map((r: { code: string; status: number }) => [r.code, r.status])).toEqual([['b24sign_send_for_signing', 200]]);

    const timeline = await until('the deal’s timeline', 60_000, async () => {
      const all = (await control(`/portals/${portal.memberId}/timeline`)) as { kind: string; entityTypeId: number; entityId: number; fields: { text?: string } }[];
      const deal = all.filter((e) => e.entityTypeId === 2 && e.entityId === 1);
      return deal.some((e) => e.kind === 'logmessage') && deal.some((e) => e.kind === 'activity') ? deal : undefined;
    });
    expect(timeline.find((e) => e.kind === 'logmessage')!.fields.text).toMatch(/sent for signing to /);
    // Every REST call the app made went to the client_endpoint the OAuth server named.
    const calls = (await control(`/calls?memberId=${portal.memberId}`)) as { method: string; httpStatus: number }[];
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.httpStatus >= 400 && c.method !== 'placement.unbind')).toEqual([]);
  }, 240_000);
});
