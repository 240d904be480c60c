/**
 * The emulator's per-user CRM read rights answer as the b24restdocs pages say: crm.deal.get 400 with an
 * empty code and "Access denied" (api-reference/crm/deals/crm-deal-get.md), crm.item.get 400
 * ACCESS_DENIED "You do not have permission to view this item" (api-reference/crm/universal/crm-item-get.md),
 * crm.deal.contact.items.get 400 "Access denied."; lists leave the rows out; admins read everything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';

const APP = { clientId: 'local.rights01', clientSecret: 'secret-1' };
let emu: StartedEmulator;
afterEach(() => emu?.close());

async function call(endpoint: string, method: string, params: Record<string, unknown>) {
  const res = await fetch(`${endpoint}${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('emulator: CRM read rights per user', () => {
  it('an employee limited to some ids is refused the others, with each method’s documented error', async () => {
    emu = await startEmulator();
    const p = await emu.control.createPortal({ name: 'rights1', app: APP });
    emu.control.setReadRights({ memberId: p.memberId, userId: '6', rule: ['deal:5', 'contact:29'] });
    const employee = emu.control.issueTokens({ memberId: p.memberId, userId: '6' }).access_token;
    const admin = emu.control.issueTokens({ memberId: p.memberId, userId: '1' }).access_token;

    expect(await call(p.clientEndpoint, 'crm.deal.get', { auth: employee, id: 2 })).toEqual({ status: 400, body: { error: '', error_description: 'Access denied' } });
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth: employee, id: 5 })).body.result.ID).toBe('5');
    const item = await call(p.clientEndpoint, 'crm.item.get', { auth: employee, entityTypeId: 2, id: 2 });
    expect(item).toMatchObject({ status: 400, body: { error: 'ACCESS_DENIED', error_description: 'You do not have permission to view this item' } });
    expect((await call(p.clientEndpoint, 'crm.deal.contact.items.get', { auth: employee, id: 2 })).body.error_description).toBe('Access denied.');
    expect((await call(p.clientEndpoint, 'crm.contact.get', { auth: employee, id: 3 })).body.error_description).toBe('Access denied');
    // A missing record is still "Not found", not "Access denied".
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth: employee, id: 99999 })).body.error_description).toBe('Not found');

    const list = await call(p.clientEndpoint, 'crm.deal.list', { auth: employee });
    expect(list.body.result.map((d: { ID: string }) => d.ID)).toEqual(['5']);
    // Requisites follow their owner: none of a company the employee may not read, nor its bank details.
    const portal = emu.control.portal(p.memberId);
    const companyRq = [...portal.requisites.values()].find((r) => String(r.ENTITY_TYPE_ID) === '4')!;
    const rqFor = async (auth: string) => (await call(p.clientEndpoint, 'crm.requisite.list', { auth, filter: { ID: companyRq.ID } })).body.result as unknown[];
    expect(await rqFor(employee)).toEqual([]);
    expect(await rqFor(admin)).toHaveLength(1);
    const banksFor = async (auth: string) => (await call(p.clientEndpoint, 'crm.requisite.bankdetail.list', { auth, filter: { ENTITY_ID: companyRq.ID } })).body.result as unknown[];
    expect(await banksFor(employee)).toEqual([]);
    expect((await banksFor(admin)).length).toBeGreaterThan(0);
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth: admin, id: 2 })).body.result.ID).toBe('2');
    expect((await call(p.clientEndpoint, 'crm.deal.list', { auth: admin })).body.total).toBeGreaterThan(1);
  });

  it('"own" shows what the user is responsible for; clearing the rule gives everything back', async () => {
    emu = await startEmulator();
    const p = await emu.control.createPortal({ name: 'rights2', app: APP });
    const deals = [...emu.control.portal(p.memberId).deals.values()];
    const mine = deals.find((d) => String(d.ASSIGNED_BY_ID) !== '1')!;
    const owner = String(mine.ASSIGNED_BY_ID);
    const notMine = deals.find((d) => String(d.ASSIGNED_BY_ID) !== owner)!;
    emu.control.setReadRights({ memberId: p.memberId, userId: owner, rule: 'own' });
    const token = emu.control.issueTokens({ memberId: p.memberId, userId: owner }).access_token;
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth: token, id: mine.ID })).status).toBe(200);
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth: token, id: notMine.ID })).body.error_description).toBe('Access denied');
    emu.control.setReadRights({ memberId: p.memberId, userId: owner, rule: null });
    expect((await call(p.clientEndpoint, 'crm.deal.get', { auth: token, id: notMine.ID })).status).toBe(200);
  });
});
