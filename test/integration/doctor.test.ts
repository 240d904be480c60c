/**
 * The portal doctor against the emulator: a healthy portal installed through the real install path,
 * then the same portal with a scope taken away, a placement unbound and an event handler moved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDoctor, runDoctor } from '../../src/bitrix24/doctor.js';
import { findPortalByMemberId } from '../../src/portals/store.js';
import { CLIENT, PUBLIC, robotWorld, type RobotWorld } from '../helpers/robot.js';

describe('npm run doctor: what the portal answers against the contracts', () => {
  let w: RobotWorld;
  beforeAll(async () => {
    w = await robotWorld({ env: { BITRIX24_RATE_PER_SECOND: '1000', BITRIX24_RATE_BURST: '1000' } });
  }, 60_000);
  afterAll(() => w?.close());

  const doctor = async () => runDoctor(w.services, (await findPortalByMemberId(w.services.db, w.memberId))!);
  const line = (r: Awaited<ReturnType<typeof doctor>>, check: string) => r.lines.find((l) => l.check === check);

  it('a healthy portal: every read matches its contract, scopes, registrations and the OAuth server agree', async () => {
    const writesBefore = w.emu.state.calls.filter((c) => !/\.(get|list|info)$|^profile$|^user\.admin$|^batch$/.test(c.method)).length;
    const r = await doctor();
    expect(r.lines.filter((l) => !l.ok)).toEqual([]);
    expect(r.ok).toBe(true);
    for (const m of ['app.info', 'profile', 'placement.get', 'event.get', 'bizproc.robot.list', 'crm.automation.trigger.list', 'OAuth app.info']) expect(line(r, m)?.ok, m).toBe(true);
    expect(r.lines.some((l) => l.check.startsWith('robot '))).toBe(true);
    expect(formatDoctor(r)).toMatch(/healthy/);
    // It reads only.
    const writesAfter = w.emu.state.calls.filter((c) => !/\.(get|list|info)$|^profile$|^user\.admin$|^batch$/.test(c.method)).length;
    expect(writesAfter).toBe(writesBefore);
  });

  it('a missing scope, a missing placement and a wrong handler URL each show as a failing line', async () => {
    const st = w.st();
    const app = st.apps.get(CLIENT.clientId)!;
    const savedScope = app.scope;
    const tokens = [...w.emu.state.tokens.values()].filter((t) => t.memberId === w.memberId);
    const narrowed = savedScope.filter((s) => s !== 'im');
    app.scope = narrowed;
    for (const t of tokens) t.scope = narrowed;
    const savedPlacements = st.placements;
    const savedEvents = st.events.map((e) => ({ ...e }));
    st.placements = st.placements.filter((p) => p.placement !== 'CRM_DEAL_DETAIL_TAB');
    const uninstall = st.events.find((e) => e.event === 'ONAPPUNINSTALL')!;
    uninstall.handler = 'https://elsewhere.example/b24/events';
    try {
      const r = await doctor();
      expect(r.ok).toBe(false);
      expect(line(r, 'scope for im.notify.personal.add')).toMatchObject({ ok: false, expected: 'one of im' });
      expect(line(r, 'placement CRM_DEAL_DETAIL_TAB')).toMatchObject({ ok: false, answered: 'not bound' });
      expect(line(r, 'event ONAPPUNINSTALL')).toMatchObject({ ok: false, answered: 'https://elsewhere.example/b24/events' });
      expect(formatDoctor(r)).toMatch(/FAIL {2}placement CRM_DEAL_DETAIL_TAB/);
    } finally {
      app.scope = savedScope;
      for (const t of tokens) t.scope = savedScope;
      st.placements = savedPlacements;
      st.events = savedEvents;
    }
  });

  it('the app page offers admins the check; GET /api/portal/doctor answers admins only', async () => {
    // The app page (PLACEMENT=DEFAULT at /b24/app), as an administrator and as an employee opens it.
    const openAppPage = (userId?: string) =>
      w.emu.control.openPlacement({ memberId: w.memberId, placement: 'DEFAULT', handler: `${PUBLIC}/b24/app`, format: '2024', options: {}, ...(userId ? { userId } : {}) });
    const page = await openAppPage();
    expect(page.body).toContain('id="doctor"');
    const token = /"token":"([^"]+)"/.exec(page.body)![1]!;
    const res = await w.app.request('/api/portal/doctor', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { ok: boolean; lines: { check: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(report.lines.map((l) => l.check)).toContain('OAuth app.info');

    const employee = w.emu.control.portal(w.memberId).users.map((u) => String(u.ID)).find((id) => !w.st().admins.has(id))!;
    const theirs = await openAppPage(employee);
    expect(theirs.body).not.toContain('id="doctor"');
    const t2 = /"token":"([^"]+)"/.exec(theirs.body)![1]!;
    expect((await w.app.request('/api/portal/doctor', { headers: { authorization: `Bearer ${t2}` } })).status).toBe(403);
  });
});
