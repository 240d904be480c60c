/**
 * Overlapping fields are refused on every path a document takes, not only the card's own-PDF send:
 * createEnvelope (API, templates, the robot) and saving a template on an uploaded PDF.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobs, envelopes } from '../../src/db/schema/index.js';
import { createTemplate, storePdfFile } from '../../src/documents/templates/repo.js';
import { isAppError } from '../../src/lib/app-error.js';
import { createEnvelope } from '../../src/signing/envelopes.js';
import { createTestServices } from '../helpers/services.js';
import { FIELDS, samplePdf } from '../helpers/signing.js';

describe('overlapping fields on every path', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  beforeAll(async () => {
    services = await createTestServices();
  });
  afterAll(async () => {
    await services.testDb.close();
  });

  type Placed = { key: string; page?: number; box: { x: number; y: number; w: number; h: number } };
  const over = <T extends Placed>(a: T, b: T): [T, T] => [a, { ...b, page: a.page, box: { ...a.box, x: a.box.x + 10, y: a.box.y + 5 } }];
  const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (isAppError(e) ? e : Promise.reject(e)));

  it('createEnvelope refuses them in the document language, before anything is stored', async () => {
    const [a, b] = over<Placed>(FIELDS[0]!, FIELDS[1]!);
    const e = await refusal(
      createEnvelope(services, { portalId: 'prt_test', title: 'Overlap', lang: 'ru', pdf: await samplePdf(), fields: [a, b] as never, recipients: [{ party: 'client', name: 'Ivan', email: 'ivan@buyer.example' }], who: { actor: 'user:1' } }),
    );
    expect(e?.code).toBe('FIELDS_OVERLAP');
    expect(e?.message).toMatch(/перекрываются на странице 1/);
    expect(e?.details).toMatchObject({ overlaps: [{ a: { key: a.key }, b: { key: b.key }, page: 0 }] });
    expect(await services.db.select().from(envelopes).where(eq(envelopes.portalId, 'prt_test'))).toEqual([]);
    expect(await services.db.select().from(blobs)).toEqual([]);
  });

  it('a template on an uploaded PDF is refused when its fields overlap, and saved when they do not', async () => {
    const pdf = await samplePdf();
    const file = await storePdfFile(services, { portalId: 'prt_test', origin: 'upload', filename: 'nda.pdf', bytes: pdf, info: { pageCount: 2 } as never });
    const fields = FIELDS.map(({ key, type, party, page, box, label }) => ({ key, type, party, page, box, ...(label ? { label } : {}) }));
    const input = (list: unknown[]) => ({ name: 'NDA', language: 'en' as const, source: { type: 'upload' as const, fileId: file.id }, fields: list as never });
    const e = await refusal(createTemplate(services.db, services.ids, { portalId: 'prt_test', input: input(over(fields[0]!, fields[1]!)) }));
    expect(e?.code, e?.message).toBe('FIELDS_OVERLAP');
    expect((await createTemplate(services.db, services.ids, { portalId: 'prt_test', input: input(fields) })).fields).toHaveLength(fields.length);
  });
});
