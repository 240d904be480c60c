/**
 * Issue 17 item 4: the portal's default company signer (settings page) is who the card proposes to
 * sign for the company when the sender has no remembered set-up; cleared, the responsible user again.
 * Against the Bitrix24 emulator (deal 2: responsible user 12; user 6 exists).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { portals } from '../../src/db/schema/portals.js';
import { issueSession } from '../../src/http/session.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { createTestServices } from '../helpers/services.js';

const CLIENT_ID = 'local.settings.signer';
let services: Awaited<ReturnType<typeof createTestServices>>;
let app: ReturnType<typeof createApp>;
let emu: StartedEmulator;
let auth: string;

beforeAll(async () => {
  services = await createTestServices({ env: { BITRIX24_CLIENT_ID: CLIENT_ID, BITRIX24_CLIENT_SECRET: 's' } });
  app = createApp(services);
  emu = await startEmulator({ appFetch: (req) => app.request(req) });
  const portal = await emu.control.createPortal({ languageId: 'en' });
  await emu.control.installApp({ memberId: portal.memberId, clientId: CLIENT_ID, clientSecret: 's', installUrl: 'http://b24sign.test/b24/install', flavour: 'event' });
  const [row] = await services.db.select({ id: portals.id }).from(portals).where(eq(portals.memberId, portal.memberId));
  auth = `Bearer ${await issueSession(services.config.sessionSecret, { portalId: row!.id, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' })}`;
}, 60_000);
afterAll(async () => {
  emu?.close();
  await services?.testDb.close();
});

const call = async (method: string, path: string, body: unknown) => {
  const res = await app.request(path, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, data: (await res.json()) as any };
};
const companySigner = async () => (await call('POST', '/api/card/items/2/2/proposal', {})).data.recipients.find((r: { party: string }) => r.party === 'company');

describe('default company signer', () => {
  it('replaces the responsible user in the card’s default set-up; a remembered set-up still wins; cleared, the responsible again', async () => {
    expect(await companySigner()).toMatchObject({ b24UserId: 12 });
    expect((await call('PUT', '/api/settings', { companySignerUserId: 6 })).status).toBe(200);
    expect(await companySigner()).toMatchObject({ b24UserId: 6, email: 'user6@example.com' });
    const remembered = await call('POST', '/api/card/items/2/2/proposal', { slots: [{ role: 'signer', party: 'company', order: 1, source: 'responsible' }, { role: 'signer', party: 'client', order: 2, source: 'contact' }] });
    expect(remembered.data.recipients[0]).toMatchObject({ b24UserId: 12 });
    expect((await call('PUT', '/api/settings', { companySignerUserId: null })).status).toBe(200);
    expect(await companySigner()).toMatchObject({ b24UserId: 12 });
  });
});
