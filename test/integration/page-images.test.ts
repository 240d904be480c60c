/**
 * Page images of the signing page (src/signing/page-images.ts): made by the job the send enqueues,
 * served only under a live signer link at the two widths, drawn into the page with the signer's boxes,
 * and gone with the links when the envelope ends.
 */
import { and, eq } from 'drizzle-orm';
import { degrees, grayscale, PDFDocument, rgb } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopePages } from '../../src/db/schema/envelope-pages.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { handlersFrom } from '../../src/jobs/queue.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { PAGE_IMAGE_WIDTHS, PAGE_IMAGES_KIND, PAGE_IMAGES_MAX_PAGES } from '../../src/signing/page-images.js';
import { SIGNING_JOBS } from '../../src/signing/jobs.js';
import { createTestServices } from '../helpers/services.js';
import { client, FIELDS, lastMessage, samplePdf, sessionFor, tokenFromBody } from '../helpers/signing.js';

const PNG = [0x89, 0x50, 0x4e, 0x47];

describe('page images of the signing page', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let http: ReturnType<typeof client>;
  beforeAll(async () => {
    services = await createTestServices();
    http = client(services);
  });
  afterAll(async () => {
    await services.testDb.close();
  });

  const runJobs = () =>
    createJobRunner({ db: services.db, handlers: handlersFrom(SIGNING_JOBS as never), services, logger: services.logger, clock: services.clock, concurrency: 1, pollMs: 20, leaseMs: 60_000, workerId: 'page-images-test' }).runUntilIdle();
  const get = async (path: string) => {
    const res = await http.app.request(path);
    return { status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control'), body: new Uint8Array(await res.arrayBuffer()) };
  };

  it('are made at send, served at both widths under the link, drawn with the boxes, and deleted when the envelope ends', async () => {
    const bearer = await sessionFor(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer,
      body: { title: 'Contract', lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: FIELDS.filter((f) => f.party !== 'company'), recipients: [{ party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' }], send: true },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const envelopeId = created.data.envelope.id as string;
    const token = tokenFromBody((await lastMessage(services, created.data.recipients[0].id, 'invitation'))!.body)!;
    const [job] = await services.db.select().from(jobs).where(eq(jobs.dedupeKey, `${PAGE_IMAGES_KIND}:${envelopeId}`));
    expect(job?.status).toBe('queued');

    // Before the job: the page says it is loading and its script will draw the PDF itself.
    const before = await get(`/s/${token}`);
    expect(new TextDecoder().decode(before.body)).not.toContain('data-images');
    expect((await get(`/api/sign/${token}/pages/1/800`)).status).toBe(404);

    await runJobs();
    const rows = await services.db.select({ page: envelopePages.page, px: envelopePages.px, type: envelopePages.type }).from(envelopePages).where(eq(envelopePages.envelopeId, envelopeId));
    expect(rows.map((r) => `${r.page}/${r.px}`).sort()).toEqual(['0/1240', '0/800', '1/1240', '1/800']);

    for (const px of PAGE_IMAGE_WIDTHS) {
      const img = await get(`/api/sign/${token}/pages/2/${px}`);
      expect(img.status).toBe(200);
      // The sample PDF is black text on white: a 2-bit greyscale PNG of exactly the asked width.
      expect(img.type).toBe('image/png');
      expect([...img.body.subarray(0, 4)]).toEqual(PNG);
      expect(Buffer.from(img.body).readUInt32BE(16)).toBe(px);
      expect([img.body[24], img.body[25]]).toEqual([2, 0]);
      expect(img.cache).toBe('no-store');
    }
    expect((await get(`/api/sign/${token}/pages/3/800`)).status).toBe(404);
    expect((await get(`/api/sign/${token}/pages/1/640`)).status).toBe(404);
    expect((await get(`/api/sign/not-a-token/pages/1/800`)).status).toBeGreaterThanOrEqual(400);

    const html = new TextDecoder().decode((await get(`/s/${token}`)).body);
    expect(html).toContain('data-images="true"');
    expect(html).toMatch(/srcset="[^"]+\/pages\/1\/800 800w, [^"]+\/pages\/1\/1240 1240w"/);
    // Page 1 is asked for first; page 2 waits until it is near the screen.
    expect(html).toMatch(/<img src="[^"]+\/pages\/1\/800"[^>]*fetchpriority="high"/);
    expect(html).toMatch(/<img src="[^"]+\/pages\/2\/800"[^>]*loading="lazy"/);
    // The client's field box, drawn by the server on page 1 (0-based page 0) and inside it.
    const box = /<button type="button" class="fbox" data-key="client_vat"[^>]*style="left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%;height:([\d.]+)%"/.exec(html);
    expect(box, html.slice(html.indexOf('id="pages"'), html.indexOf('id="pages"') + 800)).not.toBeNull();
    const [left, top, width, height] = box!.slice(1).map(Number) as [number, number, number, number];
    expect(left + width).toBeLessThanOrEqual(100);
    expect(top + height).toBeLessThanOrEqual(100);
    expect(left).toBeCloseTo((50 / 595.28) * 100, 1);
    // The page itself travels compressed when the browser accepts it.
    const zipped = await http.app.request(`/s/${token}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.headers.get('content-encoding')).toMatch(/^(gzip|br|deflate)$/);
    expect(zipped.headers.get('cache-control')).toBe('no-store');
    // No pdf.js and no handwriting face named up front.
    expect(html).not.toMatch(/pdfjs|@font-face/);

    // The envelope ends: the links and the images go together.
    const voided = await http.req('POST', `/api/envelopes/${envelopeId}/void`, { bearer, body: { reason: 'wrong price' } });
    expect(voided.status, JSON.stringify(voided.data)).toBe(200);
    expect(await services.db.select().from(envelopePages).where(and(eq(envelopePages.portalId, 'prt_test'), eq(envelopePages.envelopeId, envelopeId)))).toEqual([]);
    expect((await get(`/api/sign/${token}/pages/1/800`)).status).toBeGreaterThanOrEqual(400);
  });

  it('keeps grey areas in 16 levels and colour in WebP', async () => {
    const doc = await PDFDocument.create();
    const shades = doc.addPage([595.28, 841.89]);
    for (let i = 0; i < 16; i++) shades.drawRectangle({ x: 0, y: i * 52, width: 595.28, height: 52, color: grayscale(0.2 + i * 0.04) });
    doc.addPage([595.28, 841.89]).drawRectangle({ x: 100, y: 400, width: 200, height: 100, color: rgb(0.8, 0.1, 0.1) });
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title: 'Shades', lang: 'en', pdfBase64: Buffer.from(await doc.save()).toString('base64'), fields: [], recipients: [{ party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' }], send: true },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    await runJobs();
    const token = tokenFromBody((await lastMessage(services, created.data.recipients[0].id, 'invitation'))!.body)!;
    const grey = await get(`/api/sign/${token}/pages/1/800`);
    expect(grey.type).toBe('image/png');
    expect([grey.body[24], grey.body[25]]).toEqual([4, 0]);
    const colour = await get(`/api/sign/${token}/pages/2/800`);
    expect(colour.type).toBe('image/webp');
    expect(Buffer.from(colour.body.subarray(8, 12)).toString('latin1')).toBe('WEBP');
  });

  it('draws a page with /Rotate 90 as shown and puts the box where the editor placed it (displayed space, documents/page-space.ts)', async () => {
    // A landscape scan saved as portrait + /Rotate 90: shown 841.89 wide, 595.28 high.
    const doc = await PDFDocument.create();
    doc.addPage([595.28, 841.89]).setRotation(degrees(90));
    const box = { x: 600, y: 400, w: 200, h: 50 };
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: {
        title: 'Landscape', lang: 'en', pdfBase64: Buffer.from(await doc.save()).toString('base64'),
        fields: [{ key: 'client_sig', type: 'signature', label: 'Client signature', page: 0, box, party: 'client', required: true }],
        recipients: [{ party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' }], send: true,
      },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    await runJobs();
    const rows = await services.db.select({ px: envelopePages.px, w: envelopePages.widthPt, h: envelopePages.heightPt }).from(envelopePages).where(eq(envelopePages.envelopeId, created.data.envelope.id));
    expect(rows.map((r) => [Math.round(r.w), Math.round(r.h)])).toEqual([[842, 595], [842, 595]]);
    const token = tokenFromBody((await lastMessage(services, created.data.recipients[0].id, 'invitation'))!.body)!;
    const img = await get(`/api/sign/${token}/pages/1/800`);
    // The image is landscape: 800 wide, 800 × 595.28 / 841.89 high.
    expect([Buffer.from(img.body).readUInt32BE(16), Buffer.from(img.body).readUInt32BE(20)]).toEqual([800, Math.round((800 * 595.28) / 841.89)]);
    const html = new TextDecoder().decode((await get(`/s/${token}`)).body);
    const at = /data-key="client_sig"[^>]*style="left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%;height:([\d.]+)%"/.exec(html);
    const [left, top, width, height] = at!.slice(1).map(Number) as [number, number, number, number];
    expect(left).toBeCloseTo((600 / 841.89) * 100, 1);
    expect(top).toBeCloseTo(((595.28 - 450) / 595.28) * 100, 1);
    expect(width).toBeCloseTo((200 / 841.89) * 100, 1);
    expect(height).toBeCloseTo((50 / 595.28) * 100, 1);
  });

  it('leaves a document longer than the cap to pdf.js whole rather than showing part of it', async () => {
    const doc = await PDFDocument.create();
    for (let i = 0; i <= PAGE_IMAGES_MAX_PAGES; i++) doc.addPage([595.28, 841.89]).drawText(`page ${i + 1}`, { x: 50, y: 780, size: 12 });
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title: 'Long', lang: 'en', pdfBase64: Buffer.from(await doc.save()).toString('base64'), fields: [], recipients: [{ party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' }], send: true },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    await runJobs();
    const [job] = await services.db.select().from(jobs).where(eq(jobs.dedupeKey, `${PAGE_IMAGES_KIND}:${created.data.envelope.id}`));
    expect(job?.status).toBe('done');
    expect(await services.db.select().from(envelopePages).where(eq(envelopePages.envelopeId, created.data.envelope.id))).toEqual([]);
    const token = tokenFromBody((await lastMessage(services, created.data.recipients[0].id, 'invitation'))!.body)!;
    expect(new TextDecoder().decode((await get(`/s/${token}`)).body)).not.toContain('data-images');
  });
});
