/**
 * Issue 14 item 7: the application token is not a master key. Bitrix24 sends APPLICATION_TOKEN in
 * placement POSTs, which pass through every employee's browser, so whoever has seen one must not be
 * able to uninstall the portal, make the robot send documents, or keep a session past an uninstall;
 * and anonymous install/frame POSTs, each of which costs us outgoing requests, are limited per IP.
 */
import { desc, eq } from 'drizzle-orm';
import { appTokenDigest } from '../../src/lib/app-token.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { portals } from '../../src/db/schema/index.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { robotCalls } from '../../src/db/schema/robot-calls.js';
import { issueFrameSession } from '../../src/http/b24-auth.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { fromPeer } from '../helpers/peer.js';
import { ROBOT_CODE, robotWorld, type RobotWorld } from '../helpers/robot.js';
import { createTestServices } from '../helpers/services.js';

const PUBLIC = 'http://b24sign.test';
const CLIENT = { clientId: 'local.b24sign.test', clientSecret: 'secret-of-the-test-app' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('ONAPPUNINSTALL is confirmed with the OAuth server before anything is removed', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let app: ReturnType<typeof createApp>;
  let emu: StartedEmulator;

  beforeAll(async () => {
    services = await createTestServices({
      env: { PUBLIC_URL: PUBLIC, BITRIX24_CLIENT_ID: CLIENT.clientId, BITRIX24_CLIENT_SECRET: CLIENT.clientSecret, BITRIX24_OAUTH_SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/' },
    });
    app = createApp(services);
    emu = await startEmulator({ appFetch: async (req) => app.request(req) });
  });
  afterAll(async () => {
    emu?.close();
    await services?.testDb.close();
  });

  const portalRow = async (memberId: string) => (await services.db.select().from(portals).where(eq(portals.memberId, memberId)))[0]!;
  async function installed() {
    const portal = await emu.control.createPortal();
    const inst = await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: `${PUBLIC}/b24/install`, handlerBase: PUBLIC, flavour: 'event' });
    return { portal, applicationToken: inst.applicationToken };
  }
  /** What anyone who has seen a placement POST can send: the right member_id and application_token. */
  const forgedUninstall = (memberId: string, domain: string, applicationToken: string) =>
    new URLSearchParams({
      event: 'ONAPPUNINSTALL', 'data[CLEAN]': '1', 'data[LANGUAGE_ID]': 'en', ts: '1700000000',
      'auth[domain]': domain, 'auth[server_endpoint]': 'https://oauth.bitrix24.test/rest/', 'auth[client_endpoint]': `https://${domain}/rest/`,
      'auth[member_id]': memberId, 'auth[application_token]': applicationToken,
    }).toString();

  it('a forged uninstall with the real application_token is refused while the app is installed; the fresh pair is kept', async () => {
    const { portal, applicationToken } = await installed();
    const before = await portalRow(portal.memberId);
    await services.db.update(portals).set({ settings: { companySignerUserId: 6 } }).where(eq(portals.id, before.id));

    const res = await app.request('/b24/events', { method: 'POST', headers: FORM, body: forgedUninstall(portal.memberId, portal.domain, applicationToken) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const after = await portalRow(portal.memberId);
    expect(after).toMatchObject({ status: 'installed', applicationTokenDigest: await appTokenDigest(applicationToken), settings: { companySignerUserId: 6 }, uninstalledAt: null });
    // The check spent the stored refresh token; the new pair is stored and works.
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.tokenVersion).toBe(before.tokenVersion + 1);
    expect(emu.state.oauthLog.at(-1)).toMatchObject({ grantType: 'refresh_token', outcome: 'ok' });
    await services.bitrix24.forPortal(before.id).call('profile');
  });

  it('the real uninstall is confirmed (the refresh token now fails with invalid_grant) and goes through', async () => {
    const { portal } = await installed();
    const out = await emu.control.uninstall({ memberId: portal.memberId, clean: true });
    expect(out?.status, out?.body).toBe(200);
    expect(emu.state.oauthLog.at(-1)).toMatchObject({ grantType: 'refresh_token', outcome: 'invalid_grant' });
    expect(await portalRow(portal.memberId)).toMatchObject({ status: 'uninstalled', accessToken: null, refreshToken: null, applicationTokenDigest: null, settings: {} });
  });

  it('sessions die with an uninstall, and stay dead after a reinstall', async () => {
    const { portal } = await installed();
    const row = await portalRow(portal.memberId);
    const user = { id: 1, isAdmin: true, name: 'Admin' };
    const { token } = await issueFrameSession(services, { portalId: row.id, user, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' });
    const list = (t: string) => app.request('/api/envelopes', { headers: { authorization: `Bearer ${t}` } });
    expect((await list(token)).status).toBe(200);

    expect((await emu.control.uninstall({ memberId: portal.memberId, clean: false }))?.status).toBe(200);
    const gone = await list(token);
    expect(gone.status).toBe(401);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');

    await emu.control.installApp({ memberId: portal.memberId, ...CLIENT, installUrl: `${PUBLIC}/b24/install`, handlerBase: PUBLIC, flavour: 'event' });
    expect((await portalRow(portal.memberId)).status).toBe('installed');
    expect((await list(token)).status).toBe(401);
    // A session issued after the reinstall works.
    const fresh = await issueFrameSession(services, { portalId: row.id, user, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' });
    expect((await list(fresh.token)).status).toBe(200);
  });

  it('nothing is removed while the OAuth server cannot answer', async () => {
    const { portal, applicationToken } = await installed();
    const before = await portalRow(portal.memberId);
    emu.control.fault({ target: 'oauth', status: 503, count: 1 });
    const res = await app.request('/b24/events', { method: 'POST', headers: FORM, body: forgedUninstall(portal.memberId, portal.domain, applicationToken) });
    expect(res.status).toBe(502);
    expect(await portalRow(portal.memberId)).toEqual(before);
  });
});

describe('a robot delivery is confirmed with the OAuth server in its job before any document is sent', () => {
  let w: RobotWorld;
  beforeAll(async () => {
    w = await robotWorld();
  });
  afterAll(() => w?.close());

  /**
   * A robot delivery as Bitrix24 shapes it (reference §5.3) with the portal's real application_token, as
   * anyone who has seen a placement POST has it, and an access token of the sender's choosing (or none).
   */
  function forged(dealId: string, accessToken: string | null) {
    const app = w.st().apps.get(CLIENT.clientId)!;
    const eventToken = `forged-${dealId}-${Math.random().toString(36).slice(2)}`;
    const form = new URLSearchParams({
      workflow_id: '664fa13bbbb410.99176768', code: ROBOT_CODE,
      'document_id[0]': 'crm', 'document_id[1]': 'CCrmDocumentDeal', 'document_id[2]': `DEAL_${dealId}`,
      'document_type[0]': 'crm', 'document_type[1]': 'CCrmDocumentDeal', 'document_type[2]': 'DEAL',
      event_token: eventToken, 'properties[template]': 'sales-contract', use_subscription: 'Y', timeout_duration: '0', ts: '1700000000',
      'auth[domain]': w.st().domain, 'auth[member_id]': w.memberId, 'auth[application_token]': app.applicationToken, 'auth[user_id]': '1',
      ...(accessToken === null ? {} : { 'auth[access_token]': accessToken }),
    });
    return { eventToken, body: form.toString() };
  }
  const post = (body: string) => w.app.request('/b24/robots/send-for-signing', { method: 'POST', headers: FORM, body });
  const callOf = async (token: string) => (await w.services.db.select().from(robotCalls).where(eq(robotCalls.eventToken, token)))[0]!;

  it('with the real application_token but a made-up access token: acknowledged, then nothing is read or sent', async () => {
    const d = forged(w.dealNotOn('PREPARATION'), 'made-up-access-token');
    expect((await post(d.body)).status).toBe(200);
    const restBefore = w.emu.control.calls({ memberId: w.memberId }).length;
    await w.drain();
    const call = await callOf(d.eventToken);
    expect(call).toMatchObject({ status: 'failed', envelopeId: null });
    expect(call.error).toMatch(/not confirmed by the Bitrix24 authorization server/);
    // Not a single REST call on the portal on the forged delivery's behalf (no CRM read, no log, no event.send).
    expect(w.emu.control.calls({ memberId: w.memberId }).length).toBe(restBefore);
    expect(await w.services.db.select().from(envelopes).where(eq(envelopes.robotEventToken, d.eventToken))).toHaveLength(0);
  });

  it('without an access token: acknowledged, then refused by its job with nothing sent', async () => {
    const d = forged(w.dealNotOn('PREPARATION'), null);
    expect((await post(d.body)).status).toBe(200);
    await w.drain();
    expect(await callOf(d.eventToken)).toMatchObject({ status: 'failed', envelopeId: null, error: expect.stringMatching(/carried no access token/) });
  });

  it('the genuine delivery is confirmed, then the token leaves the job and the document goes out', async () => {
    w.emu.control.attachRobot({ memberId: w.memberId, code: ROBOT_CODE, stageId: 'PREPARATION', properties: { template: 'sales-contract' } });
    const move = await w.emu.control.moveDeal({ memberId: w.memberId, dealId: w.dealNotOn('PREPARATION'), stageId: 'PREPARATION' });
    w.st().robotAttachments = w.st().robotAttachments.filter((a) => a.stageId !== 'PREPARATION');
    const robot = move.robots.find((r) => r.code === ROBOT_CODE)!;
    expect(robot.delivery.status).toBe(200);
    const [queued] = await w.services.db.select().from(jobs).where(eq(jobs.kind, 'robot.send')).orderBy(desc(jobs.id)).limit(1);
    expect((queued!.payload as { accessToken?: string }).accessToken).toMatch(/.+/);
    await w.drain();
    expect(await callOf(robot.eventToken)).toMatchObject({ status: 'sent' });
    const [done] = await w.services.db.select().from(jobs).where(eq(jobs.id, queued!.id));
    expect(done!.payload).not.toHaveProperty('accessToken');
    expect(done!.payload).toMatchObject({ verified: true });
  });
});

describe('install and frame doors are limited per client IP', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let app: ReturnType<typeof createApp>;
  const outbound: string[] = [];

  beforeAll(async () => {
    services = await createTestServices({
      env: { PUBLIC_URL: PUBLIC, BITRIX24_CLIENT_ID: CLIENT.clientId, BITRIX24_CLIENT_SECRET: CLIENT.clientSecret, BITRIX24_INSTALL_RATE_PER_MINUTE: '3', BITRIX24_FRAME_RATE_PER_MINUTE: '4' },
      // Every unauthenticated POST makes us ask the OAuth server; it never knows these tokens.
      fetch: async (input) => {
        outbound.push(String(input instanceof Request ? input.url : input));
        return Response.json({ error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' }, { status: 401 });
      },
    });
    app = createApp(services);
  });
  afterAll(async () => {
    await services?.testDb.close();
  });

  const frame = new URLSearchParams({
    DOMAIN: 'victim.bitrix24.com', PROTOCOL: '1', LANG: 'en', APP_SID: 'x', AUTH_ID: 'made-up', AUTH_EXPIRES: '3600', REFRESH_ID: 'made-up',
    member_id: 'a223c6b3710f85df22e9377d6c4f7553', status: 'L', PLACEMENT: 'DEFAULT', PLACEMENT_OPTIONS: '{}',
  }).toString();
  const post = (path: string, ip: string) => app.request(path, { method: 'POST', headers: FORM, body: frame }, fromPeer(ip));

  it('the install door answers 429 past its limit, before any outgoing request', async () => {
    for (let i = 0; i < 3; i++) expect((await post('/b24/install', '203.0.113.9')).status).toBe(401);
    const spent = outbound.length;
    expect(spent).toBeGreaterThanOrEqual(3);
    const limited = await post('/b24/install', '203.0.113.9');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect(outbound.length).toBe(spent);
    // Another address has its own budget.
    expect((await post('/b24/install', '198.51.100.7')).status).toBe(401);
  });

  it('the frame doors (app page and placements) share one budget per address', async () => {
    const codes: number[] = [];
    for (const path of ['/b24/app', '/b24/placements/CRM_DEAL_DETAIL_TAB', '/b24/app', '/b24/placements/CRM_DEAL_DETAIL_TAB', '/b24/app']) codes.push((await post(path, '192.0.2.44')).status);
    expect(codes.slice(0, 4).every((s) => s !== 429)).toBe(true);
    expect(codes[4]).toBe(429);
    expect((await post('/b24/placements/CRM_DEAL_DETAIL_TAB', '192.0.2.45')).status).not.toBe(429);
  });
});
