import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipients } from '../../src/db/schema/recipients.js';
import { createTestServices } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

const CLIENT_STAMP = { key: 'client_stamp', type: 'stamp', label: 'Client stamp', page: 1, box: { x: 320, y: 100, w: 100, h: 80 }, party: 'client' } as const;

/** Issue 18 item 1: the signing page offers a stamp exactly when the server will take one. */
describe('one stamp rule for the signing page and the server', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let http: ReturnType<typeof client>;
  beforeAll(async () => {
    services = await createTestServices();
    http = client(services);
  });
  afterAll(() => services.testDb.close());

  /** A client (the buyer company) alone on the envelope, past the code step. */
  async function verifiedClient(extra: readonly object[]) {
    const fields = [...FIELDS.filter((f) => f.party !== 'company'), ...extra];
    const pdfBase64 = Buffer.from(await samplePdf()).toString('base64');
    const recipientsIn = [{ party: 'client', name: 'Buyer S.r.l.', email: 'office@buyer.example' }];
    const created = await http.req('POST', '/api/envelopes', { bearer: await sessionFor(services), body: { title: 'Contract', lang: 'en', pdfBase64, fields, recipients: recipientsIn, send: true } });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const id = created.data.recipients[0].id as string;
    const token = tokenFromBody((await lastMessage(services, id, 'invitation'))!.body)!;
    const page = await http.req('GET', `/s/${token}`);
    expect((await http.req('POST', `/api/sign/${token}/code`)).status).toBe(200);
    const code = codeFromBody((await lastMessage(services, id, 'code'))!.body);
    const v = await http.req('POST', `/api/sign/${token}/verify`, { body: { code } });
    expect(v.status, JSON.stringify(v.data)).toBe(200);
    const sign = (stamp?: string) =>
      http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: { client_vat: 'IT0123' }, signature: { method: 'typed', text: 'Anna Bianchi' }, ...(stamp ? { stamp } : {}) }, headers: { 'x-sign-action': v.data.actionToken } });
    const row = async () => (await services.db.select().from(recipients).where(and(eq(recipients.portalId, 'prt_test'), eq(recipients.id, id))))[0]!;
    return { page: String(page.data), sign, row };
  }

  it('a client with a required stamp field is offered the upload with a Remove button, and the server takes the stamp', async () => {
    const c = await verifiedClient([{ ...CLIENT_STAMP, required: true }]);
    expect(c.page).toContain('id="stamp-file"');
    expect(c.page).toMatch(/<button type="button" id="stamp-remove" hidden="">Remove the stamp<\/button>/);
    expect(c.page).toContain('"stamp":"required"');

    const missing = await c.sign();
    expect(missing.status).toBe(400);
    expect(missing.data.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'stamp' } });
    expect((await c.row()).status).toBe('verified');

    const ok = await c.sign(TINY_PNG_B64);
    expect(ok.status, JSON.stringify(ok.data)).toBe(200);
    const row = await c.row();
    expect(row.status).toBe('signed');
    expect(row.stampImage?.length).toBeGreaterThan(0);
  });

  it('an optional stamp field may be left empty (the stamp chosen then removed on the page)', async () => {
    const c = await verifiedClient([{ ...CLIENT_STAMP, required: false }]);
    expect(c.page).toContain('"stamp":"optional"');
    const ok = await c.sign();
    expect(ok.status, JSON.stringify(ok.data)).toBe(200);
    expect((await c.row()).stampImage).toBeNull();
  });

  it('with no stamp field the page offers no upload and the server refuses a stamp, writing nothing', async () => {
    const c = await verifiedClient([]);
    expect(c.page).not.toContain('stamp-file');
    expect(c.page).toContain('"stamp":"none"');
    const refused = await c.sign(TINY_PNG_B64);
    expect(refused.status).toBe(400);
    expect(refused.data.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'stamp', reason: 'no_stamp_field' } });
    const row = await c.row();
    expect(row.status).toBe('verified');
    expect(row.stampImage).toBeNull();
  });
});
