/** HTTP face of the control API under `/_emulator/` (JSON in, JSON out). Same operations as `control`. */
import { Hono } from 'hono';
import type { EmulatorControl } from './control.js';

export function controlRoutes(control: EmulatorControl) {
  const r = new Hono();
  // Control input is trusted test input; the control methods themselves throw on nonsense (→ 400).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const body = async (c: { req: { json(): Promise<unknown> } }): Promise<any> => (await c.req.json().catch(() => ({}))) ?? {};

  r.post('/portals', async (c) => c.json(await control.createPortal(await body(c)), 201));
  r.get('/portals/:memberId', (c) => c.json(control.portalInfo(c.req.param('memberId'))));
  r.post('/portals/:memberId/install', async (c) => c.json(await control.installApp({ ...(await body(c)), memberId: c.req.param('memberId') })));
  r.post('/portals/:memberId/finish-install', async (c) => {
    const b = await body(c);
    control.finishInstall(c.req.param('memberId'), b.clientId);
    return c.json({ ok: true });
  });
  r.post('/portals/:memberId/tokens', async (c) => c.json(control.issueTokens({ ...(await body(c)), memberId: c.req.param('memberId') })));
  r.post('/portals/:memberId/placements/open', async (c) => {
    const d = await control.openPlacement({ ...(await body(c)), memberId: c.req.param('memberId') });
    return c.json({ url: d.url, form: d.form, status: d.status, body: d.body, headers: Object.fromEntries(d.headers), error: d.error });
  });
  r.post('/portals/:memberId/app/open', async (c) => {
    const d = await control.openApp({ ...(await body(c)), memberId: c.req.param('memberId') });
    return c.json({ url: d.url, form: d.form, status: d.status, body: d.body, headers: Object.fromEntries(d.headers), error: d.error });
  });
  r.post('/portals/:memberId/robots/attach', async (c) => c.json({ id: control.attachRobot({ ...(await body(c)), memberId: c.req.param('memberId') }) }));
  r.post('/portals/:memberId/robots/fire', async (c) => {
    const f = await control.fireRobot({ ...(await body(c)), memberId: c.req.param('memberId') });
    return c.json({ ...f, delivery: { url: f.delivery.url, status: f.delivery.status, form: f.delivery.form } });
  });
  r.post('/portals/:memberId/robots/prepare', async (c) => c.json(control.prepareRobot({ ...(await body(c)), memberId: c.req.param('memberId') })));
  r.post('/portals/:memberId/triggers/attach', async (c) => c.json({ id: control.attachTrigger({ ...(await body(c)), memberId: c.req.param('memberId') }) }));
  r.post('/portals/:memberId/deals', async (c) => c.json(control.addDeals({ ...(await body(c)), memberId: c.req.param('memberId') }), 201));
  r.post('/portals/:memberId/deals/:dealId/move', async (c) => {
    const m = await control.moveDeal({ ...(await body(c)), memberId: c.req.param('memberId'), dealId: c.req.param('dealId') });
    return c.json({
      ...m,
      robots: m.robots.map((x) => ({ code: x.code, workflowId: x.workflowId, eventToken: x.eventToken, status: x.delivery.status, url: x.delivery.url })),
      events: m.events.map((e) => ({ url: e.url, status: e.status })),
    });
  });
  r.post('/portals/:memberId/events/fire', async (c) => {
    const ds = await control.fireEvent({ ...(await body(c)), memberId: c.req.param('memberId') });
    return c.json(ds.map((d) => ({ url: d.url, status: d.status })));
  });
  r.post('/portals/:memberId/uninstall', async (c) => {
    const d = await control.uninstall({ ...(await body(c)), memberId: c.req.param('memberId') });
    return c.json(d ? { url: d.url, status: d.status, form: d.form } : null);
  });
  r.post('/portals/:memberId/rename', async (c) => c.json(control.renamePortal({ ...(await body(c)), memberId: c.req.param('memberId') })));
  r.post('/portals/:memberId/expire-tokens', (c) => {
    control.expireAccessTokens(c.req.param('memberId'));
    return c.json({ ok: true });
  });
  r.post('/portals/:memberId/block-method', async (c) => {
    control.blockMethod({ ...(await body(c)), memberId: c.req.param('memberId') });
    return c.json({ ok: true });
  });
  r.get('/portals/:memberId/registrations', (c) => c.json(control.registrations(c.req.param('memberId'))));
  r.get('/portals/:memberId/timeline', (c) => c.json(control.timeline(c.req.param('memberId'))));
  r.get('/portals/:memberId/event-sends', (c) => c.json(control.eventSends(c.req.param('memberId'))));
  r.get('/portals/:memberId/notifications', (c) => c.json(control.notifications(c.req.param('memberId'))));
  r.get('/portals/:memberId/deliveries', (c) => c.json(control.deliveries(c.req.param('memberId'))));
  r.get('/calls', (c) => c.json(control.calls({ memberId: c.req.query('memberId'), method: c.req.query('method') })));
  r.get('/oauth-log', (c) => c.json(control.oauthLog()));
  r.get('/stats', (c) => c.json(control.stats()));
  r.post('/faults', async (c) => c.json({ id: control.fault(await body(c)) }));
  r.delete('/faults', (c) => {
    control.clearFaults();
    return c.json({ ok: true });
  });
  r.post('/reset', (c) => {
    control.reset();
    return c.json({ ok: true });
  });
  r.onError((e, c) => c.json({ error: e.message }, 400));
  return r;
}
