/**
 * The portal doctor: with the stored tokens, calls the read methods the app depends on (it writes
 * nothing) and sets each answer beside what the method's contract (src/emulator/contracts/, written
 * from Bitrix24's docs) expects, plus what the app needs: scopes for every write, the robot, triggers,
 * placements and event handlers registered at our handler URLs, and the OAuth server's view of the
 * install (`app.info` there, read under `result.install`). Used by `npm run doctor` and the app page.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { portals } from '../db/schema/index.js';
import type { PortalRow } from '../portals/store.js';
import { checkResult, contractFor, scopeAllows } from '../emulator/contracts/index.js';
import { callWithToken, oauthServerEndpoint } from './oauth-server.js';
import type { Services } from '../services.js';
import { REQUIRED_SCOPES, registrationManifest } from './manifest.js';
import { compareWithManifest, readCurrent } from './registration.js';
import { missingScopes, scopeList } from './scopes.js';

export interface DoctorLine {
  /** What is checked: a method, a scope, a registration. */
  check: string;
  ok: boolean;
  expected: string;
  answered: string;
}

export interface DoctorReport {
  memberId: string;
  domain: string;
  ok: boolean;
  lines: DoctorLine[];
}

/** The reads: each answer is checked against its contract, and some feed the registration checks. */
const READS = ['app.info', 'profile', 'user.admin', 'placement.get', 'event.get', 'bizproc.robot.list', 'crm.automation.trigger.list'] as const;

/** The writes the app makes, so a missing scope shows before the first write fails. */
const WRITES = [
  'placement.bind', 'event.bind', 'bizproc.robot.add', 'crm.automation.trigger.add', 'crm.automation.trigger.execute', 'bizproc.event.send',
  'crm.timeline.comment.add', 'crm.timeline.logmessage.add', 'crm.activity.configurable.add', 'im.notify.personal.add', 'user.get',
  'crm.deal.get', 'crm.documentgenerator.document.get',
] as const;

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
};

export async function runDoctor(services: Pick<Services, 'bitrix24' | 'fetch' | 'config'> & { db: Database }, portal: PortalRow): Promise<DoctorReport> {
  const lines: DoctorLine[] = [];
  const client = services.bitrix24.forPortal(portal.id);
  const answers: Record<string, unknown> = {};

  for (const method of READS) {
    const c = contractFor(method)!;
    const expected = `reply as in ${c.source[0]}`;
    try {
      const result = await client.call(method, {});
      answers[method] = result;
      const violation = checkResult(c, result);
      lines.push({ check: method, ok: !violation, expected, answered: violation ?? short(result) });
    } catch (e) {
      lines.push({ check: method, ok: false, expected, answered: e instanceof Error ? e.message : String(e) });
    }
  }

  // The OAuth server's view, with the (possibly just refreshed) stored access token.
  const [fresh] = await services.db.select().from(portals).where(eq(portals.id, portal.id));
  const accessToken = await services.config.tokenKeyring.openNullable(fresh?.accessToken ?? null, 'access_token', portal.id);
  const server = oauthServerEndpoint(fresh?.serverEndpoint, services.config);
  let granted = scopeList(fresh?.scope);
  if (!server || !fresh || !accessToken) {
    lines.push({ check: 'OAuth app.info', ok: false, expected: 'a trusted server_endpoint and a stored token', answered: fresh?.serverEndpoint ?? 'none stored' });
  } else {
    const { status, body } = await callWithToken(services, server, 'app.info', accessToken).catch((e: unknown) => ({ status: 0, body: { error: String(e) } as Record<string, unknown> }));
    const install = ((body.result as Record<string, unknown> | undefined)?.install ?? {}) as Record<string, unknown>;
    const same = install.member_id === portal.memberId && install.client_endpoint === fresh.clientEndpoint && install.installed === true;
    lines.push({
      check: 'OAuth app.info',
      ok: status === 200 && same,
      expected: `install.member_id ${portal.memberId}, install.client_endpoint ${fresh.clientEndpoint}, installed true`,
      answered: status === 200 ? short({ member_id: install.member_id, client_endpoint: install.client_endpoint, installed: install.installed, scope: install.scope }) : `HTTP ${status} ${short(body)}`,
    });
    if (typeof install.scope === 'string') granted = scopeList(install.scope);
  }

  const missing = missingScopes(granted, REQUIRED_SCOPES);
  for (const s of REQUIRED_SCOPES) {
    const ok = !missing.includes(s);
    lines.push({ check: `scope ${s}`, ok, expected: 'granted', answered: granted.join(',') || '(none)' });
  }
  for (const w of WRITES) {
    const c = contractFor(w)!;
    lines.push({ check: `scope for ${w}`, ok: scopeAllows(c, granted), expected: `one of ${c.scope.join(', ')}`, answered: granted.join(',') || '(none)' });
  }

  const current = readCurrent({ placements: answers['placement.get'], events: answers['event.get'], robots: answers['bizproc.robot.list'], triggers: answers['crm.automation.trigger.list'] });
  const view = compareWithManifest(registrationManifest, current, services.config.publicUrl);
  const bound = (code: string) => current.placements.filter((p) => p.placement === code).map((p) => p.handler);
  for (const p of view.placements) {
    const entry = registrationManifest.placements.find((x) => x.code === p.code)!;
    lines.push({ check: `placement ${p.code}`, ok: p.registered, expected: `${services.config.publicUrl}${entry.path}`, answered: bound(p.code).join(' ') || 'not bound' });
  }
  for (const e of view.events) {
    const entry = registrationManifest.events.find((x) => x.event === e.event)!;
    lines.push({ check: `event ${e.event}`, ok: e.registered, expected: `${services.config.publicUrl}${entry.path}`, answered: current.events.filter((x) => x.event === e.event).map((x) => x.handler).join(' ') || 'not bound' });
  }
  for (const r of view.robots) lines.push({ check: `robot ${r.code}`, ok: r.registered, expected: 'registered', answered: current.robots.join(', ') || 'none' });
  for (const t of view.triggers) lines.push({ check: `trigger ${t.code}`, ok: t.registered, expected: 'registered', answered: (current.triggers ?? []).map((x) => x.code).join(', ') || 'none' });

  return { memberId: portal.memberId, domain: portal.domain, ok: lines.every((l) => l.ok), lines };
}

/** The report as text, one line per check. */
export function formatDoctor(r: DoctorReport): string {
  const rows = r.lines.map((l) => `${l.ok ? 'ok  ' : 'FAIL'}  ${l.check}\n      expected: ${l.expected}\n      answered: ${l.answered}`);
  return [`Portal ${r.domain} (${r.memberId}): ${r.ok ? 'healthy' : `${r.lines.filter((l) => !l.ok).length} problem(s)`}`, ...rows].join('\n');
}
