import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipients } from '../../src/db/schema/recipients.js';
import { blankPng } from '../helpers/hostile.js';
import { createTestServices } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

/** Issue 14: signature and stamp images are refused by their pixels when submitted, not at sealing. */
describe('signature and stamp images at the signing door', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let http: ReturnType<typeof client>;
  beforeAll(async () => {
    services = await createTestServices();
    http = client(services);
  });
  afterAll(() => services.testDb.close());

  async function verifiedClient() {
    const fields = FIELDS.filter((f) => f.party !== 'company');
    const pdfBase64 = Buffer.from(await samplePdf()).toString('base64');
    const recipientsIn = [{ party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' }];
    const created = await http.req('POST', '/api/envelopes', { bearer: await sessionFor(services), body: { title: 'Contract', lang: 'en', pdfBase64, fields, recipients: recipientsIn, send: true } });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const id = created.data.recipients[0].id as string;
    const token = tokenFromBody((await lastMessage(services, id, 'invitation'))!.body)!;
    expect((await http.req('POST', `/api/sign/${token}/code`)).status).toBe(200);
    const code = codeFromBody((await lastMessage(services, id, 'code'))!.body);
    const v = await http.req('POST', `/api/sign/${token}/verify`, { body: { code } });
    expect(v.status, JSON.stringify(v.data)).toBe(200);
    return { id, token, action: v.data.actionToken as string };
  }

  it('a 6000×6000 PNG (35 KB) is refused with IMAGE_TOO_LARGE and nothing is written; a small one signs', async () => {
    const { id, token, action } = await verifiedClient();
    const huge = Buffer.from(blankPng(6000, 6000)).toString('base64');
    const sign = (image: string, stamp?: string) =>
      http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: { client_vat: 'IT0123' }, signature: { method: 'uploaded', image }, ...(stamp ? { stamp } : {}) }, headers: { 'x-sign-action': action } });

    const t0 = performance.now();
    const refused = await sign(`data:image/png;base64,${huge}`);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(refused.status).toBe(422);
    expect(refused.data.error).toMatchObject({ code: 'IMAGE_TOO_LARGE', details: { field: 'signature', width: 6000, height: 6000 } });
    const stampRefused = await sign(TINY_PNG_B64, huge);
    expect(stampRefused.data.error).toMatchObject({ code: 'IMAGE_TOO_LARGE', details: { field: 'stamp' } });

    const [row] = await services.db.select().from(recipients).where(and(eq(recipients.portalId, 'prt_test'), eq(recipients.id, id)));
    expect(row!.status).toBe('verified');
    expect(row!.signatureImage).toBeNull();

    const ok = await sign(`data:image/png;base64,${Buffer.from(blankPng(1200, 300)).toString('base64')}`);
    expect(ok.status, JSON.stringify(ok.data)).toBe(200);
  });
});
