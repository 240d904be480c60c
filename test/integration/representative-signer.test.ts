import { spawnSync } from 'node:child_process';
import { envelopePdf } from '../helpers/blobs.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { storeEmulatedPortal } from '../helpers/emulated-portal.js';
import { createTestServices } from '../helpers/services.js';
import { client, sessionFor } from '../helpers/signing.js';

const APP = { clientId: 'local.b24sign.representative', clientSecret: 'emulator-representative-secret' };

/** Issue 18 item 1: the person printed as our representative is the person who signs for us. */
describe('"represented by" names the chosen company signer', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let emu: StartedEmulator;
  let portalId: string;

  beforeAll(async () => {
    emu = await startEmulator();
    services = await createTestServices({ env: { BITRIX24_CLIENT_ID: APP.clientId, BITRIX24_CLIENT_SECRET: APP.clientSecret } });
    portalId = await storeEmulatedPortal(services.db, await emu.control.createPortal({ app: APP }));
  });
  afterAll(async () => {
    emu.close();
    await services.testDb.close();
  });

  async function sentText(companySigner: string, values: Record<string, string> = {}) {
    const http = client(services);
    const res = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services, portalId, 1),
      body: {
        templateId: 'sales-contract',
        crm: { entityTypeId: 2, entityId: 2 },
        lang: 'en',
        values,
        recipients: [
          { party: 'company', name: companySigner, email: 'signer@seller.example' },
          { party: 'client', name: 'Laura Bianchi', email: 'laura@cliente.example' },
        ],
        send: false,
        confirmWarnings: true,
      },
    });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    const [row] = await services.db.select().from(envelopes).where(eq(envelopes.id, res.data.envelope.id));
    const text = spawnSync('pdftotext', ['-', '-'], { input: await envelopePdf(services, row!, 'source'), encoding: 'utf8' }).stdout;
    return text.replace(/\s+/g, ' ');
  }

  it('prints the company signer, and a change of signer changes the text', async () => {
    const a = await sentText('Giulia Verdi');
    expect(a).toMatch(/represented by Giulia Verdi,/);
    const b = await sentText('Paolo Neri');
    expect(b).toMatch(/represented by Paolo Neri,/);
    expect(b).not.toContain('Giulia Verdi');
  });

  it('a stale "Signs for us" value sent by the form does not override the signer', async () => {
    const text = await sentText('Paolo Neri', { seller_signatory: 'Someone Else' });
    expect(text).toMatch(/represented by Paolo Neri,/);
    expect(text).not.toContain('Someone Else');
  });
  it('the proposal fills "Signs for us" with the proposed company signer, and marks it as following the signer', async () => {
    const http = client(services);
    const bearer = await sessionFor(services, portalId, 1);
    const created = await http.req('POST', '/api/templates', { bearer, body: { language: 'en', source: { type: 'builtin', layout: 'sales-contract' } } });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const templateId = created.data.template.id as string;
    const propose = async (slots?: unknown[]) => {
      const res = await http.req('POST', '/api/card/items/2/2/proposal', { bearer, body: { templateId, ...(slots ? { slots } : {}) } });
      expect(res.status, JSON.stringify(res.data)).toBe(200);
      const company = res.data.recipients.find((r: { party: string }) => r.party === 'company');
      const field = res.data.fields.find((f: { key: string }) => f.key === 'seller_signatory');
      return { company, field };
    };
    const byDefault = await propose();
    expect(byDefault.field).toMatchObject({ value: byDefault.company.name, followsCompanySigner: true });
    const other = await propose([
      { role: 'signer', party: 'company', order: 1, source: 'user', userId: 6 },
      { role: 'signer', party: 'client', order: 2, source: 'contact' },
    ]);
    expect(other.company.b24UserId).toBe(6);
    expect(other.company.name).not.toBe(byDefault.company.name);
    expect(other.field.value).toBe(other.company.name);
  });
});
