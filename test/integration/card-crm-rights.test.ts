/**
 * CRM reads with the user's own rights (issue 17 item 2): the card's placement POST leaves the user's
 * token pair with the session, and every card/API read of CRM data runs with it, so the emulator —
 * which answers a record outside a user's rights as Bitrix24 does ("Access denied") — decides what
 * each person sees. Background reads keep the app's token.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { frameSessions } from '../../src/db/schema/frame-sessions.js';
import { portals } from '../../src/db/schema/portals.js';
import { issueSession, verifySession } from '../../src/http/session.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { createTestServices } from '../helpers/services.js';

const CLIENT_ID = 'local.card.rights';
const EMPLOYEE = '6';
let services: Awaited<ReturnType<typeof createTestServices>>;
let app: ReturnType<typeof createApp>;
let emu: StartedEmulator;
let memberA: string;
let portalA: string;
let portalB: string;

async function install(): Promise<{ memberId: string; portalId: string }> {
  const portal = await emu.control.createPortal({ languageId: 'en' });
  await emu.control.installApp({ memberId: portal.memberId, clientId: CLIENT_ID, clientSecret: 's', installUrl: 'http://b24sign.test/b24/install', flavour: 'event' });
  const [row] = await services.db.select({ id: portals.id }).from(portals).where(eq(portals.memberId, portal.memberId));
  return { memberId: portal.memberId, portalId: row!.id };
}

/** The deal tab as `userId` opens it: the real frame POST, and the session token the page carries. */
async function openCard(memberId: string, userId: string, dealId: string): Promise<string> {
  const tab = await emu.control.openPlacement({ memberId, placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: dealId }, userId });
  expect(tab.status, tab.body.slice(0, 300)).toBe(200);
  const token = /"token":"([^"]+)"/.exec(tab.body)?.[1];
  expect(token).toBeTruthy();
  return token!;
}

const get = (token: string, path: string) => app.request(path, { headers: { authorization: `Bearer ${token}` } });
const post = (token: string, path: string, body: unknown = {}) =>
  app.request(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  services = await createTestServices({ env: { BITRIX24_CLIENT_ID: CLIENT_ID, BITRIX24_CLIENT_SECRET: 's' } });
  app = createApp(services);
  emu = await startEmulator({ appFetch: (req) => app.request(req) });
  ({ memberId: memberA, portalId: portalA } = await install());
  ({ portalId: portalB } = await install());
  // The employee may read deal 5 and its contact 29 only; deal 2 and its contact 3 are not theirs.
  emu.control.setReadRights({ memberId: memberA, userId: EMPLOYEE, rule: ['deal:5', 'contact:29'] });
}, 60_000);
afterAll(async () => {
  emu?.close();
  await services?.testDb.close();
});

describe('card reads with the user’s rights', () => {
  it('an employee without rights on deal 2 gets 404 for it and its contact, opening the card of deal 5', async () => {
    const token = await openCard(memberA, EMPLOYEE, '5');
    const session = await verifySession(services.config.sessionSecret, token, services.clock.now());
    expect(session.sid).toBeTruthy();

    for (const res of [
      await post(token, '/api/card/items/2/2/proposal'),
      await get(token, '/api/card/items/2/2'),
      await get(token, '/api/card/items/2/2/documents'),
      await get(token, '/api/card/crm/contact/3'),
    ]) {
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
    // What Bitrix24 was asked, it was asked with the employee's token.
    const asked = emu.control.calls({ memberId: memberA, includeBatchParts: true }).filter((c) => c.method === 'crm.deal.get' && c.error !== undefined);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((c) => c.userId === EMPLOYEE)).toBe(true);
  });

  it('the change poll checks the rights once per item for a while, and never answers for an item out of reach', async () => {
    const token = await openCard(memberA, EMPLOYEE, '5');
    const dealReads = () => emu.control.calls({ memberId: memberA, includeBatchParts: true }).filter((c) => c.method === 'crm.deal.get' && c.userId === EMPLOYEE).length;
    const before = dealReads();
    for (let i = 0; i < 3; i++) expect((await get(token, '/api/card/items/2/5/version')).status).toBe(200);
    // One Bitrix24 read for three polls of the same item.
    expect(dealReads() - before).toBe(1);
    // Not readable: refused every time (a refusal is not remembered).
    for (let i = 0; i < 2; i++) expect((await get(token, '/api/card/items/2/2/version')).status).toBe(404);
    expect(dealReads() - before).toBe(3);
  });

  it('the card of a deal the employee may not read is not shown (a forged PLACEMENT_OPTIONS gets nothing)', async () => {
    const tab = await emu.control.openPlacement({ memberId: memberA, placement: 'CRM_DEAL_DETAIL_TAB', options: { ID: '2' }, userId: EMPLOYEE });
    expect(tab.status).toBe(404);
    expect(tab.body).not.toContain('"token"');
  });

  it('with rights the employee gets the data', async () => {
    const token = await openCard(memberA, EMPLOYEE, '5');
    const res = await post(token, '/api/card/items/2/5/proposal');
    expect(res.status).toBe(200);
    const p = (await res.json()) as { recipients: { email: string }[] };
    expect(p.recipients.map((r) => r.email)).toContain('contact29@example.com');
    const contact = await get(token, '/api/card/crm/contact/29');
    expect(contact.status).toBe(200);
    expect(((await contact.json()) as { person: { email: string } }).person.email).toBe('contact29@example.com');
    expect((await get(token, '/api/card/items/2/5')).status).toBe(200);
  });

  it('the administrator still reads everything', async () => {
    const token = await openCard(memberA, '1', '5');
    const res = await post(token, '/api/card/items/2/2/proposal');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { recipients: { email: string }[] }).recipients.map((r) => r.email)).toContain('contact3@example.com');
    expect((await get(token, '/api/card/crm/contact/3')).status).toBe(200);
  });

  it('background reads keep the app’s token: the employee’s rights do not narrow them', async () => {
    const deal = await services.bitrix24.forPortal(portalA).call<{ ID: string }>('crm.deal.get', { id: 2 });
    expect(deal.ID).toBe('2');
    const last = emu.control.calls({ memberId: memberA, method: 'crm.deal.get' }).at(-1)!;
    expect(last.userId).not.toBe(EMPLOYEE);
  });

  it('an expired user token is refreshed with its REFRESH_ID and the read goes on', async () => {
    const token = await openCard(memberA, EMPLOYEE, '5');
    const { sid } = await verifySession(services.config.sessionSecret, token, services.clock.now());
    const before = await services.db.select().from(frameSessions).where(eq(frameSessions.id, sid!));
    expect(before[0]!.tokenVersion).toBe(1);
    emu.control.expireAccessTokens(memberA);
    const res = await get(token, '/api/card/crm/contact/29');
    expect(res.status).toBe(200);
    const [after] = await services.db.select().from(frameSessions).where(eq(frameSessions.id, sid!));
    expect(after!.tokenVersion).toBe(2);
    // Sealed at rest, like the portal's tokens: never the token itself.
    expect(after!.accessToken.startsWith('v1.')).toBe(true);
    expect(after!.accessToken).not.toBe(before[0]!.accessToken);
    // The refreshed pair is still the employee's: deal 2 stays hidden.
    expect((await get(token, '/api/card/crm/contact/3')).status).toBe(404);
  });

  it('a session is bound to its portal and user: another portal or user cannot use its token', async () => {
    const token = await openCard(memberA, EMPLOYEE, '5');
    const s = await verifySession(services.config.sessionSecret, token, services.clock.now());
    const forged = async (over: Partial<typeof s>) => issueSession(services.config.sessionSecret, { ...s, ...over });
    // Portal B's session naming portal A's frame session (same secret, so only the binding stops it).
    const onB = await forged({ portalId: portalB });
    expect((await get(onB, '/api/card/crm/contact/29')).status).toBe(401);
    const otherUser = await forged({ userId: 7 });
    expect((await get(otherUser, '/api/card/crm/contact/29')).status).toBe(401);
    const rows = await services.db.select().from(frameSessions).where(and(eq(frameSessions.id, s.sid!), eq(frameSessions.portalId, portalB)));
    expect(rows).toEqual([]);
  });

  it('an employee session without its own token reads no CRM data; an admin one reads with the app', async () => {
    const employee = await issueSession(services.config.sessionSecret, { portalId: portalA, userId: Number(EMPLOYEE), isAdmin: false, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' });
    expect((await get(employee, '/api/card/crm/contact/29')).status).toBe(401);
    const admin = await issueSession(services.config.sessionSecret, { portalId: portalA, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' });
    expect((await get(admin, '/api/card/crm/contact/3')).status).toBe(200);
  });
});
