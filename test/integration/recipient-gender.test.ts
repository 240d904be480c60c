/**
 * Russian texts agree with an employee's gender where Bitrix24 knows it (issue 18 item 9): a person
 * sending from the card picks a company signer, and the recipient keeps that employee's
 * PERSONAL_GENDER from user.get; a client (contact) has none, so texts about them stay neutral.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipients } from '../../src/db/schema/recipients.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { storeEmulatedPortal } from '../helpers/emulated-portal.js';
import { createTestServices } from '../helpers/services.js';
import { client, sessionFor } from '../helpers/signing.js';

const APP = { clientId: 'local.b24sign.gender', clientSecret: 'emulator-gender-secret' };

describe('recipient gender from Bitrix24', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let emu: StartedEmulator;
  let portalId: string;
  let memberId: string;

  beforeAll(async () => {
    emu = await startEmulator();
    services = await createTestServices({ env: { BITRIX24_CLIENT_ID: APP.clientId, BITRIX24_CLIENT_SECRET: APP.clientSecret } });
    const info = await emu.control.createPortal({ app: APP });
    memberId = info.memberId;
    portalId = await storeEmulatedPortal(services.db, info);
  });
  afterAll(async () => {
    emu.close();
    await services.testDb.close();
  });

  it("a picked employee's PERSONAL_GENDER is kept; a client's is not", async () => {
    const p = emu.control.portal(memberId);
    const deal = p.deals.get('2')!;
    const [f, m] = p.users.filter((u) => String(u.ID) !== String(deal.ASSIGNED_BY_ID) && String(u.ID) !== '1');
    f!.PERSONAL_GENDER = 'F';
    m!.PERSONAL_GENDER = 'M';
    const send = async (userId: number) => {
      const res = await client(services).req('POST', '/api/envelopes', {
        bearer: await sessionFor(services, portalId, 1),
        body: {
          templateId: 'sales-contract',
          crm: { entityTypeId: 2, entityId: 2 },
          lang: 'ru',
          recipients: [
            { party: 'company', name: 'Сотрудник', email: 'staff@seller.example', b24UserId: userId },
            { party: 'client', name: 'Laura Bianchi', email: 'laura@cliente.example' },
          ],
          send: false,
          confirmWarnings: true,
        },
      });
      expect(res.status, JSON.stringify(res.data)).toBe(201);
      const rows = await services.db.select().from(recipients).where(eq(recipients.envelopeId, res.data.envelope.id));
      return rows.map((r) => [r.party, r.gender]).sort();
    };
    expect(await send(Number(f!.ID))).toEqual([['client', null], ['company', 'F']]);
    expect(await send(Number(m!.ID))).toEqual([['client', null], ['company', 'M']]);
    // Not filled in on the portal: nothing is guessed.
    m!.PERSONAL_GENDER = '';
    expect(await send(Number(m!.ID))).toEqual([['client', null], ['company', null]]);
  });
});
