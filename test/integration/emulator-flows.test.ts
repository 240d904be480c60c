import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { phpParseQuery } from '../../src/emulator/index.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';

const APP = { clientId: 'local.flow0001', clientSecret: 'secret-2' };
const APP_BASE = 'https://app.example.test';

interface Seen {
  path: string;
  query: Record<string, string>;
  contentType: string;
  raw: string;
  form: Record<string, any>;
}

/** A stand-in for our app: records every POST the portal makes and answers 200. */
function fakeApp() {
  const seen: Seen[] = [];
  const app = new Hono();
  app.post('*', async (c) => {
    const raw = await c.req.text();
    const url = new URL(c.req.url);
    seen.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), contentType: c.req.header('content-type') ?? '', raw, form: phpParseQuery(raw) });
    return c.html('<html><body>ok</body></html>');
  });
  return { app, seen };
}

let emu: StartedEmulator;
let fake: ReturnType<typeof fakeApp>;
let clock: ManualClock;
beforeEach(async () => {
  fake = fakeApp();
  clock = new ManualClock(new Date('2026-05-01T09:00:00Z'));
  emu = await startEmulator({ clock, appFetch: (req) => fake.app.request(req) });
});
afterEach(() => emu.close());

async function call(endpoint: string, method: string, params: Record<string, unknown>) {
  const res = await fetch(`${endpoint}${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('emulator: install and uninstall', () => {
  it('POSTs ONAPPINSTALL form-encoded with PHP bracket keys exactly as a real portal does', async () => {
    const p = await emu.control.createPortal({ name: 'inst1' });
    const r = await emu.control.installApp({ memberId: p.memberId, ...APP, installUrl: `${APP_BASE}/install?x=1` });
    expect(r.delivery?.status).toBe(200);
    const s = fake.seen[0]!;
    expect(s.contentType).toBe('application/x-www-form-urlencoded');
    expect(s.query).toEqual({ x: '1' });
    expect(s.raw).toContain('auth%5Baccess_token%5D=');
    expect(s.raw).toContain(`auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix24.test%2Frest%2F`);
    expect(s.raw).toMatch(/auth%5Bscope%5D=crm%2Cbizproc/);
    expect(s.form).toMatchObject({ event: 'ONAPPINSTALL', data: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'ru' }, ts: String(Date.parse('2026-05-01T09:00:00Z') / 1000) });
    expect(Object.keys(s.form.auth).sort()).toEqual(
      ['access_token', 'application_token', 'client_endpoint', 'domain', 'expires', 'expires_in', 'member_id', 'refresh_token', 'scope', 'server_endpoint', 'status', 'user_id'],
    );
    expect(s.form.auth).toMatchObject({
      access_token: r.accessToken, refresh_token: r.refreshToken, application_token: r.applicationToken, member_id: p.memberId,
      domain: 'inst1.bitrix24.test', client_endpoint: 'https://inst1.bitrix24.test/rest/', expires_in: '3600', user_id: '1', status: 'L',
    });
    // Every scalar arrives as a string; the tokens work.
    expect((await call(p.clientEndpoint, 'app.info', { auth: s.form.auth.access_token })).body.result).toMatchObject({ CODE: APP.clientId, INSTALLED: true, STATUS: 'L' });

    // The documentation variant lacks expires and user_id.
    const q = await emu.control.createPortal({ name: 'inst2' });
    await emu.control.installApp({ memberId: q.memberId, ...APP, installUrl: `${APP_BASE}/install`, variant: 'doc' });
    expect(Object.keys(fake.seen[1]!.form.auth)).not.toContain('expires');
    expect(Object.keys(fake.seen[1]!.form.auth)).not.toContain('user_id');
  });

  it('wizard install: frame POST with PLACEMENT=DEFAULT, app not installed until installFinish', async () => {
    const p = await emu.control.createPortal({ name: 'wiz1' });
    const r = await emu.control.installApp({ memberId: p.memberId, ...APP, installUrl: `${APP_BASE}/install`, flavour: 'wizard' });
    const s = fake.seen[0]!;
    expect(Object.keys(s.query).sort()).toEqual(['APP_SID', 'DOMAIN', 'LANG', 'PROTOCOL']);
    expect(s.query).toMatchObject({ DOMAIN: 'wiz1.bitrix24.test', PROTOCOL: '1' });
    expect(s.query.APP_SID).toMatch(/^[0-9a-f]{32}$/);
    expect(s.form).toMatchObject({ AUTH_ID: r.accessToken, AUTH_EXPIRES: '3600', REFRESH_ID: r.refreshToken, member_id: p.memberId, status: 'L', PLACEMENT: 'DEFAULT', PLACEMENT_OPTIONS: '{"any":"28\\/"}' });
    expect(s.form).not.toHaveProperty('APPLICATION_TOKEN'); // the captured 2024 frame has none
    expect((await call(p.clientEndpoint, 'app.info', { auth: r.accessToken })).body.result.INSTALLED).toBe(false);
    emu.control.finishInstall(p.memberId);
    expect((await call(p.clientEndpoint, 'app.info', { auth: r.accessToken })).body.result.INSTALLED).toBe(true);
  });

  it('uninstall revokes tokens, drops registrations and POSTs ONAPPUNINSTALL without tokens', async () => {
    const p = await emu.control.createPortal({ name: 'unin1', app: APP });
    const auth = p.app!.accessToken;
    await call(p.clientEndpoint, 'event.bind', { auth, event: 'ONAPPUNINSTALL', handler: `${APP_BASE}/uninstall` });
    await call(p.clientEndpoint, 'placement.bind', { auth, PLACEMENT: 'CRM_DEAL_DETAIL_TAB', HANDLER: `${APP_BASE}/tab`, TITLE: 'Sign' });
    const d = await emu.control.uninstall({ memberId: p.memberId, clean: true });
    expect(d?.status).toBe(200);
    const s = fake.seen.at(-1)!;
    expect(s.path).toBe('/uninstall');
    expect(s.form).toMatchObject({ event: 'ONAPPUNINSTALL', data: { CLEAN: '1', LANGUAGE_ID: 'ru' } });
    expect(Object.keys(s.form.auth).sort()).toEqual(['application_token', 'client_endpoint', 'domain', 'member_id', 'server_endpoint']);
    expect(s.form.auth.application_token).toBe(p.app!.applicationToken);
    expect((await call(p.clientEndpoint, 'profile', { auth })).body.error).toBe('invalid_token');
    expect(emu.control.registrations(p.memberId).placements).toEqual([]);
    const r = await fetch('https://oauth.bitrix24.test/oauth/token/', { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', ...{ client_id: APP.clientId, client_secret: APP.clientSecret }, refresh_token: p.app!.refreshToken }) });
    expect(r.status).toBeGreaterThanOrEqual(400);
  });
});

describe('emulator: registrations', () => {
  it('placement.bind twice → "Handler already binded"; bizproc.robot.add twice → ERROR_ACTIVITY_ALREADY_INSTALLED; event.bind twice → ERROR_CORE', async () => {
    const p = await emu.control.createPortal({ name: 'reg1', app: { ...APP, handlerBase: APP_BASE } });
    const auth = p.app!.accessToken;
    const bind = { auth, PLACEMENT: 'CRM_DEAL_DETAIL_TAB', HANDLER: `${APP_BASE}/tab`, TITLE: 'Sign', OPTIONS: { x: 1 } };
    expect((await call(p.clientEndpoint, 'placement.bind', bind)).body.result).toBe(true);
    const again = await call(p.clientEndpoint, 'placement.bind', bind);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'ERROR_CORE', error_description: 'Unable to set placement handler: Handler already binded' });
    expect((await call(p.clientEndpoint, 'placement.bind', { ...bind, HANDLER: `${APP_BASE}/tab2` })).status).toBe(200);
    expect((await call(p.clientEndpoint, 'placement.bind', { auth, HANDLER: 'x' })).body).toMatchObject({ error: 'ERROR_ARGUMENT', argument: 'PLACEMENT' });
    expect((await call(p.clientEndpoint, 'placement.bind', { ...bind, PLACEMENT: 'CRM_CONTACT_ACTIVITY_TIMELINE_MENU' })).body.error).toBe('ERROR_PLACEMENT_NOT_FOUND');
    const got = await call(p.clientEndpoint, 'placement.get', { auth });
    expect(got.body.result[0]).toMatchObject({ placement: 'CRM_DEAL_DETAIL_TAB', handler: `${APP_BASE}/tab`, title: 'Sign', options: [] });
    expect((await call(p.clientEndpoint, 'placement.unbind', { auth, PLACEMENT: 'CRM_DEAL_DETAIL_TAB' })).body.result).toEqual({ count: 4 });

    const robot = {
      auth, CODE: 'b24sign_send', HANDLER: `${APP_BASE}/robot`, NAME: { en: 'Send for signing' }, USE_SUBSCRIPTION: 'Y',
      PROPERTIES: { template: { Name: 'Template', Type: 'string', Required: 'Y' } },
      RETURN_PROPERTIES: { status: { Name: 'Status', Type: 'string' }, envelopeId: { Name: 'Envelope', Type: 'string' } },
    };
    expect((await call(p.clientEndpoint, 'bizproc.robot.add', robot)).body.result).toBe(true);
    expect(await call(p.clientEndpoint, 'bizproc.robot.add', robot)).toMatchObject({
      status: 400, body: { error: 'ERROR_ACTIVITY_ALREADY_INSTALLED', error_description: 'Activity or Robot already installed!' },
    });
    expect((await call(p.clientEndpoint, 'bizproc.robot.add', { ...robot, CODE: 'other', HANDLER: 'https://evil.example/robot' })).body.error).toBe('ERROR_WRONG_HANDLER_URL');
    expect((await call(p.clientEndpoint, 'bizproc.robot.add', { ...robot, CODE: 'bad code' })).body).toMatchObject({ error: 'ERROR_ACTIVITY_VALIDATION_FAILURE', error_description: 'Wrong activity code!' });
    expect((await call(p.clientEndpoint, 'bizproc.robot.update', { auth, CODE: 'b24sign_send', FIELDS: { NAME: 'Renamed' } })).body.result).toBe(true);
    expect((await call(p.clientEndpoint, 'bizproc.robot.list', { auth })).body.result).toEqual(['b24sign_send']);
    expect((await call(p.clientEndpoint, 'bizproc.robot.delete', { auth, CODE: 'nope' })).body.error).toBe('ERROR_ACTIVITY_NOT_FOUND');

    const ev = { auth, event: 'ONAPPUNINSTALL', handler: `${APP_BASE}/uninstall` };
    expect((await call(p.clientEndpoint, 'event.bind', ev)).body.result).toBe(true);
    const evAgain = await call(p.clientEndpoint, 'event.bind', ev);
    expect(evAgain.body.error).toBe('ERROR_CORE');
    expect(evAgain.body.error_description).toContain('Handler already binded');
    expect((await call(p.clientEndpoint, 'event.bind', { ...ev, event: 'ONNOTHING' })).body.error).toBe('ERROR_EVENT_NOT_FOUND');
    expect((await call(p.clientEndpoint, 'event.get', { auth })).body.result).toEqual([{ event: 'ONAPPUNINSTALL', handler: `${APP_BASE}/uninstall`, auth_type: '0', offline: 0 }]);

    const reg = emu.control.registrations(p.memberId);
    expect(reg.placements.map((x) => x.handler)).toEqual([]);
    expect(reg.robots.map((x) => x.code)).toEqual(['b24sign_send']);
    expect(reg.events).toHaveLength(1);
  });

  it('admin-only methods refuse a non-admin token', async () => {
    const p = await emu.control.createPortal({ name: 'reg2', app: APP });
    const user = emu.control.issueTokens({ memberId: p.memberId, userId: '6' });
    expect((await call(p.clientEndpoint, 'profile', { auth: user.access_token })).body.result).toMatchObject({ ID: '6', ADMIN: false });
    expect(await call(p.clientEndpoint, 'placement.bind', { auth: user.access_token, PLACEMENT: 'CRM_DEAL_DETAIL_TAB', HANDLER: `${APP_BASE}/tab` })).toMatchObject({ status: 403, body: { error: 'ACCESS_DENIED' } });
    expect(await call(p.clientEndpoint, 'bizproc.robot.list', { auth: user.access_token })).toMatchObject({ status: 400, body: { error: 'ACCESS_DENIED' } });
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth: user.access_token, id: 1 })).status).toBe(200);
  });
});

describe('emulator: placements and robots', () => {
  it('opens a placement: frame POST with PLACEMENT_OPTIONS JSON to the bound handler, in both formats', async () => {
    const p = await emu.control.createPortal({ name: 'pl1', app: APP });
    await call(p.clientEndpoint, 'placement.bind', { auth: p.app!.accessToken, PLACEMENT: 'CRM_DEAL_DETAIL_TAB', HANDLER: `${APP_BASE}/placement/deal-tab` });
    const d = await emu.control.openPlacement({ memberId: p.memberId, placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '8', URI: '/crm/deal/details/8/' }, userId: '6' });
    expect(d.status).toBe(200);
    expect(d.body).toContain('ok');
    const s = fake.seen.at(-1)!;
    expect(s.path).toBe('/placement/deal-tab');
    expect(s.form).toMatchObject({
      PLACEMENT: 'CRM_DEAL_DETAIL_TAB', PLACEMENT_OPTIONS: '{"ID":"8","URI":"\\/crm\\/deal\\/details\\/8\\/"}',
      SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/', APPLICATION_TOKEN: p.app!.applicationToken, member_id: p.memberId,
    });
    expect(JSON.parse(s.form.PLACEMENT_OPTIONS)).toEqual({ ID: '8', URI: '/crm/deal/details/8/' });
    expect((await call(p.clientEndpoint, 'user.current', { auth: s.form.AUTH_ID })).body.result.ID).toBe('6');

    await emu.control.openPlacement({ memberId: p.memberId, placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '8' }, format: '2024' });
    const old = fake.seen.at(-1)!;
    for (const k of ['SERVER_ENDPOINT', 'APPLICATION_TOKEN', 'APPLICATION_SCOPE']) expect(old.form).not.toHaveProperty(k);
  });

  it('moving a deal fires the robots attached to that stage; event.send closes the run once', async () => {
    const p = await emu.control.createPortal({ name: 'rb1', app: { ...APP, handlerBase: APP_BASE } });
    const auth = p.app!.accessToken;
    await call(p.clientEndpoint, 'bizproc.robot.add', {
      auth, CODE: 'b24sign_send', HANDLER: `${APP_BASE}/robot`, NAME: 'Send', USE_SUBSCRIPTION: 'Y',
      PROPERTIES: { template: { Name: 'Template', Type: 'string', Default: 'contract' }, note: { Name: 'Note', Type: 'text' } },
      RETURN_PROPERTIES: { status: { Name: 'Status', Type: 'string' } },
    });
    emu.control.attachRobot({ memberId: p.memberId, code: 'b24sign_send', stageId: 'PREPARATION', properties: { note: 'Подпишите, пожалуйста' }, timeoutDuration: 660 });
    const deal = [...emu.control.portal(p.memberId).deals.values()].find((d) => d.STAGE_ID === 'NEW')!;

    const idle = await emu.control.moveDeal({ memberId: p.memberId, dealId: String(deal.ID), stageId: 'PREPAYMENT_INVOICE' });
    expect(idle.robots).toEqual([]);
    const move = await emu.control.moveDeal({ memberId: p.memberId, dealId: String(deal.ID), stageId: 'PREPARATION' });
    expect(move.robots).toHaveLength(1);
    const s = fake.seen.at(-1)!;
    expect(s.path).toBe('/robot');
    expect(s.form).toMatchObject({
      code: 'b24sign_send', document_id: ['crm', 'CCrmDocumentDeal', `DEAL_${deal.ID}`], document_type: ['crm', 'CCrmDocumentDeal', 'DEAL'],
      properties: { template: 'contract', note: 'Подпишите, пожалуйста' }, use_subscription: 'Y', timeout_duration: '660',
    });
    expect(s.form.workflow_id).toMatch(/^[0-9a-f]{14}\.\d{8}$/);
    expect(s.form.event_token.startsWith(`${s.form.workflow_id}|A`)).toBe(true);
    expect(s.form.auth).toMatchObject({ member_id: p.memberId, application_token: p.app!.applicationToken });
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth, id: deal.ID })).body.result).toMatchObject({ STAGE_ID: 'PREPARATION', STAGE_SEMANTIC_ID: 'P' });

    const token = s.form.event_token as string;
    expect((await call(p.clientEndpoint, 'bizproc.activity.log', { auth, EVENT_TOKEN: token, LOG_MESSAGE: 'sent' })).body.result).toBe(true);
    expect((await call(p.clientEndpoint, 'bizproc.event.send', { auth, EVENT_TOKEN: token, RETURN_VALUES: { STATUS: 'signed', junk: 1 } })).body.result).toBe(true);
    // A second send for the same token is refused as the docs answer a token that is no longer current.
    expect(await call(p.clientEndpoint, 'bizproc.event.send', { auth, EVENT_TOKEN: token, RETURN_VALUES: { status: 'declined' } })).toMatchObject({ status: 403, body: { error: 'ACCESS_DENIED' } });
    expect(emu.control.workflow(p.memberId, token)).toMatchObject({ status: 'completed', returnValues: { status: 'signed' } });
    expect(emu.control.eventSends(p.memberId).map((e) => e.accepted)).toEqual([true, false]);
    expect(await call(p.clientEndpoint, 'bizproc.event.send', { auth, EVENT_TOKEN: 'forged|token' })).toMatchObject({ status: 403, body: { error: 'ACCESS_DENIED' } });

    // A second run times out after timeout_duration: a late send is refused.
    await emu.control.moveDeal({ memberId: p.memberId, dealId: String(deal.ID), stageId: 'NEW' });
    await emu.control.moveDeal({ memberId: p.memberId, dealId: String(deal.ID), stageId: 'PREPARATION' });
    const late = fake.seen.filter((x) => x.path === '/robot').at(-1)!.form.event_token as string;
    clock.advance(661_000);
    expect((await call(p.clientEndpoint, 'bizproc.event.send', { auth, EVENT_TOKEN: late })).status).toBe(403);
  });

  it('app triggers move the deal, which fires the robots of the target stage', async () => {
    const p = await emu.control.createPortal({ name: 'tr1', app: { ...APP, handlerBase: APP_BASE } });
    const auth = p.app!.accessToken;
    await call(p.clientEndpoint, 'bizproc.robot.add', { auth, CODE: 'notify', HANDLER: `${APP_BASE}/robot`, NAME: 'Notify', USE_SUBSCRIPTION: 'N' });
    emu.control.attachRobot({ memberId: p.memberId, code: 'notify', stageId: 'WON' });
    expect((await call(p.clientEndpoint, 'crm.automation.trigger.add', { auth, CODE: 'signed', NAME: 'Document signed' })).body.result).toBe(true);
    emu.control.attachTrigger({ memberId: p.memberId, code: 'signed', stageId: 'WON' });
    expect((await call(p.clientEndpoint, 'crm.automation.trigger.list', { auth })).body.result).toEqual([{ NAME: 'Document signed', CODE: 'signed' }]);
    const deal = [...emu.control.portal(p.memberId).deals.values()].find((d) => d.STAGE_ID === 'NEW')!;
    expect((await call(p.clientEndpoint, 'crm.automation.trigger.execute', { auth, CODE: 'signed', OWNER_TYPE_ID: 2, OWNER_ID: deal.ID })).body.result).toBe(true);
    await emu.control.settle();
    expect(emu.control.portal(p.memberId).deals.get(String(deal.ID))!.STAGE_ID).toBe('WON');
    expect(fake.seen.at(-1)!.form).toMatchObject({ code: 'notify', use_subscription: 'N' });
  });
});

describe('emulator: CRM data, timeline, documents, notifications', () => {
  it('serves requisites, bank details, links, deal contacts and crm.item.get from the seed', async () => {
    const p = await emu.control.createPortal({ name: 'crm1', app: APP });
    const auth = p.app!.accessToken;
    const deal = (await call(p.clientEndpoint, 'crm.deal.get', { auth, id: 2 })).body.result;
    const link = (await call(p.clientEndpoint, 'crm.requisite.link.get', { auth, entityTypeId: 2, entityId: 2 })).body.result;
    expect(link).toMatchObject({ ENTITY_TYPE_ID: 2, ENTITY_ID: 2, MC_REQUISITE_ID: '13' });
    const req = (await call(p.clientEndpoint, 'crm.requisite.list', { auth, filter: { ENTITY_TYPE_ID: 4, ENTITY_ID: deal.COMPANY_ID } })).body;
    expect(req.result[0]).toMatchObject({ ID: link.REQUISITE_ID, RQ_COMPANY_NAME: expect.any(String) });
    expect(req.result[0].RQ_INN).toMatch(/^\d{10}$/);
    const bank = (await call(p.clientEndpoint, 'crm.requisite.bankdetail.list', { auth, filter: { ENTITY_ID: link.MC_REQUISITE_ID } })).body.result;
    expect(bank[0].RQ_ACC_NUM).toMatch(/^40702810\d{12}$/);
    const my = (await call(p.clientEndpoint, 'crm.company.list', { auth, filter: { IS_MY_COMPANY: 'Y' } })).body.result;
    expect(my.map((c: any) => c.ID)).toEqual(['13']);
    const contacts = (await call(p.clientEndpoint, 'crm.deal.contact.items.get', { auth, id: 2 })).body.result;
    expect(contacts[0]).toEqual({ CONTACT_ID: Number(deal.CONTACT_ID), SORT: 10, ROLE_ID: 0, IS_PRIMARY: 'Y' });
    const item = (await call(p.clientEndpoint, 'crm.item.get', { auth, entityTypeId: 2, id: 2 })).body.result.item;
    expect(item).toMatchObject({ id: 2, stageId: deal.STAGE_ID, opportunity: Number(deal.OPPORTUNITY), companyId: Number(deal.COMPANY_ID), mycompanyId: 13, entityTypeId: 2 });
    expect(item.contactIds).toEqual(contacts.map((c: any) => c.CONTACT_ID));
    expect((await call(p.clientEndpoint, 'crm.item.get', { auth, entityTypeId: 2, id: 999 })).body.error).toBe('NOT_FOUND');
    const users = (await call(p.clientEndpoint, 'user.get', { auth, FILTER: { ID: '9' } })).body.result;
    expect(users.map((u: any) => u.EMAIL)).toEqual(['user9@example.com']);
  });

  it('records timeline comments (lower-case fields, files), log messages and configurable activities', async () => {
    const p = await emu.control.createPortal({ name: 'tl1', app: APP });
    const auth = p.app!.accessToken;
    const pdf = Buffer.from('%PDF-1.7 test').toString('base64');
    const c = await call(p.clientEndpoint, 'crm.timeline.comment.add', { auth, fields: { ENTITY_ID: 2, ENTITY_TYPE: 'deal', COMMENT: 'Signed', FILES: [['signed.pdf', pdf]] } });
    expect(typeof c.body.result).toBe('number');
    expect((await call(p.clientEndpoint, 'crm.timeline.comment.add', { auth, FIELDS: { ENTITY_ID: 2, ENTITY_TYPE: 'deal', COMMENT: 'x' } })).status).toBe(400);
    expect((await call(p.clientEndpoint, 'crm.timeline.comment.add', { auth, fields: { ENTITY_ID: 99999, ENTITY_TYPE: 'deal', COMMENT: 'x' } })).body.error).toBe('OWNER_NOT_FOUND');
    const lm = await call(p.clientEndpoint, 'crm.timeline.logmessage.add', { auth, fields: { entityTypeId: 2, entityId: 2, title: 'Viewed', text: 'by signer', iconCode: 'info' } });
    expect(lm.body.result.logMessage).toMatchObject({ title: 'Viewed', authorId: 1 });
    const layout = { icon: { code: 'document' }, header: { title: 'Signing', tags: { s: { title: 'Sent', type: 'primary' } } }, body: { logo: { code: 'document' }, blocks: {} } };
    const act = await call(p.clientEndpoint, 'crm.activity.configurable.add', { auth, ownerTypeId: 2, ownerId: 2, fields: { completed: false }, layout });
    const id = act.body.result.activity.id;
    const bad = { ...layout, header: { title: 'x', tags: { s: { title: 'x', type: 'lavender' } } } };
    expect((await call(p.clientEndpoint, 'crm.activity.configurable.update', { auth, id, layout: bad })).body.error).toBe('ENUM_FIELD');
    expect((await call(p.clientEndpoint, 'crm.activity.configurable.update', { auth, id, layout: { ...layout, header: { title: 'Signed' } } })).status).toBe(200);
    const other = await emu.control.installApp({ memberId: p.memberId, clientId: 'local.other', clientSecret: 'o', flavour: 'none' });
    expect((await call(p.clientEndpoint, 'crm.activity.configurable.update', { auth: other.accessToken, id, layout })).body.error).toBe('ERROR_WRONG_APPLICATION');
    const tl = emu.control.timeline(p.memberId, { entityTypeId: 2, entityId: 2 });
    expect(tl.map((t) => t.kind)).toEqual(['comment', 'logmessage', 'activity']);
    expect(tl[0]!.files).toEqual([{ name: 'signed.pdf', bytes: 13 }]);
    expect((tl[2]!.layout as any).header.title).toBe('Signed');

    expect((await call(p.clientEndpoint, 'im.notify.personal.add', { auth, USER_ID: 6, MESSAGE: 'Please sign' })).status).toBe(200);
    expect(emu.control.notifications(p.memberId)).toMatchObject([{ toUserId: '6', message: 'Please sign' }]);
  });

  it('docgen: pdfUrl is absent until the conversion delay has passed; machine URLs serve a PDF with browser headers', async () => {
    const p = await emu.control.createPortal({ name: 'dg1', app: APP });
    const auth = p.app!.accessToken;
    const tpl = (await call(p.clientEndpoint, 'crm.documentgenerator.template.list', { auth, filter: { entityTypeId: '2' } })).body;
    expect(Object.keys(tpl.result.templates)).toEqual(['1', '2', '3']);
    const seeded = (await call(p.clientEndpoint, 'crm.documentgenerator.document.list', { auth, filter: { entityTypeId: 2, entityId: 2 } })).body.result.documents;
    expect(seeded).toHaveLength(1);
    expect(seeded[0].pdfUrlMachine).toBeTruthy();

    const added = (await call(p.clientEndpoint, 'crm.documentgenerator.document.add', { auth, templateId: 1, entityTypeId: 2, entityId: 3 })).body.result.document;
    expect(added.pdfUrl).toBeUndefined();
    const early = (await call(p.clientEndpoint, 'crm.documentgenerator.document.get', { auth, id: added.id })).body.result.document;
    expect(early.pdfUrl).toBeUndefined();
    expect(early.pdfUrlMachine).toBeUndefined();
    clock.advance(35_000);
    const ready = (await call(p.clientEndpoint, 'crm.documentgenerator.document.get', { auth, id: added.id })).body.result.document;
    expect(ready.pdfUrl).toBeTruthy();
    const bare = await fetch(ready.pdfUrlMachine, { headers: { 'user-agent': '' } });
    expect(bare.status).toBe(404);
    const pdf = await fetch(ready.pdfUrlMachine, { headers: { 'user-agent': 'Mozilla/5.0', accept: '*/*', 'accept-language': 'en', referer: `https://dg1.bitrix24.test/` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  });
});

describe('emulator: payload keys match the shipped documentation fixtures', () => {
  const fixtures = new URL('../fixtures/bitrix24/', import.meta.url);
  const printRKeys = async (name: string) => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL(name, fixtures), 'utf8');
    return [...text.matchAll(/^\s+\[([A-Za-z_]+)\] =>/gm)].map((m) => m[1]!).sort();
  };

  it('current and 2024 frame formats carry exactly the fixture keys (05, 05b)', async () => {
    const p = await emu.control.createPortal({ name: 'fx1', app: APP });
    await call(p.clientEndpoint, 'placement.bind', { auth: p.app!.accessToken, PLACEMENT: 'CRM_DEAL_DETAIL_TAB', HANDLER: `${APP_BASE}/tab` });
    await emu.control.openPlacement({ memberId: p.memberId, placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '8061' } });
    const cur = fake.seen.at(-1)!;
    expect([...Object.keys(cur.query), ...Object.keys(cur.form)].sort()).toEqual(await printRKeys('05-placement-CRM_DEAL_DETAIL_TAB.b24restdocs.print_r.txt'));
    await emu.control.openPlacement({ memberId: p.memberId, placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '3473' }, format: '2024' });
    const old = fake.seen.at(-1)!;
    expect([...Object.keys(old.query), ...Object.keys(old.form)].sort()).toEqual(await printRKeys('05b-placement-CRM_DEAL_DETAIL_TOOLBAR.b24restdocs-2024.print_r.txt'));
  });

  it('the documentation-variant ONAPPINSTALL has the fixture 03 keys', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = JSON.parse(await readFile(new URL('03-event-ONAPPINSTALL.b24restdocs.json', fixtures), 'utf8'));
    const p = await emu.control.createPortal({ name: 'fx2' });
    await emu.control.installApp({ memberId: p.memberId, ...APP, installUrl: `${APP_BASE}/install`, variant: 'doc' });
    const s = fake.seen.at(-1)!;
    expect(Object.keys(s.form).sort()).toEqual(Object.keys(doc).filter((k) => k !== '_source').sort());
    expect(Object.keys(s.form.data).sort()).toEqual(Object.keys(doc.data).sort());
    expect(Object.keys(s.form.auth).sort()).toEqual(Object.keys(doc.auth).sort());
  });
});
