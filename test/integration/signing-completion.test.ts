import { spawnSync } from 'node:child_process';
import { envelopePdf } from '../helpers/blobs.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { messages } from '../../src/db/schema/messages.js';
import { sealedDocuments } from '../../src/db/schema/sealed-documents.js';
import { createSealedDocumentLookup } from '../../src/documents/verify/sealed-documents.js';
import { verifyPdf } from '../../src/documents/verify/verifier.js';
import { handlersFrom } from '../../src/jobs/queue.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { runCompletion } from '../../src/signing/completion.js';
import { SIGNING_JOBS } from '../../src/signing/jobs.js';
import { fromPeer } from '../helpers/peer.js';
import { createTestServices } from '../helpers/services.js';
import { client, codeFromBody, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

/** Fields of a contract with a company stamp, typed initials and a drawn client signature. */
const FIELDS = [
  { key: 'client_vat', type: 'text', label: 'Client VAT', page: 0, box: { x: 50, y: 600, w: 220, h: 20 }, party: 'client', required: true },
  { key: 'company_sig', type: 'signature', label: 'Company signature', page: 1, box: { x: 50, y: 200, w: 180, h: 50 }, party: 'company', required: true },
  { key: 'company_initials', type: 'initials', label: 'Initials', page: 0, box: { x: 480, y: 60, w: 60, h: 24 }, party: 'company', required: true },
  { key: 'company_stamp', type: 'stamp', label: 'Stamp', page: 1, box: { x: 50, y: 100, w: 90, h: 90 }, party: 'company', required: true },
  { key: 'client_sig', type: 'signature', label: 'Client signature', page: 1, box: { x: 320, y: 200, w: 180, h: 50 }, party: 'client', required: true },
];

describe('completion: render, stamp, seal once, store, send permanent links', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let http: ReturnType<typeof client>;

  beforeAll(async () => {
    services = await createTestServices();
    http = client(services);
  });
  afterAll(() => services.testDb.close());

  async function signedEnvelope(): Promise<string> {
    const bearer = await sessionFor(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer,
      body: {
        title: 'Договор поставки',
        lang: 'ru',
        pdfBase64: Buffer.from(await samplePdf()).toString('base64'),
        fields: FIELDS,
        recipients: [
          { party: 'company', name: 'Анна Смирнова', email: 'anna@seller.example' },
          { party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' },
          { party: 'client', role: 'viewer', name: 'Archive', email: 'archive@buyer.example' },
        ],
        send: true,
      },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const [company, cli] = created.data.recipients as { id: string }[];
    const signAs = async (rid: string, body: Record<string, unknown>) => {
      const token = tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
      await http.req('POST', `/api/sign/${token}/code`);
      const code = codeFromBody((await lastMessage(services, rid, 'code'))!.body);
      const { actionToken } = (await http.req('POST', `/api/sign/${token}/verify`, { body: { code } })).data;
      const r = await http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: {}, ...body }, headers: { 'x-sign-action': actionToken } });
      expect(r.status, JSON.stringify(r.data)).toBe(200);
      return r.data.envelopeStatus as string;
    };
    await signAs(company!.id, { signature: { method: 'typed', text: 'Анна Смирнова' }, stamp: TINY_PNG_B64 });
    expect(await signAs(cli!.id, { values: { client_vat: 'IT01234567890' }, signature: { method: 'drawn', image: TINY_PNG_B64 } })).toBe('completed');
    return created.data.envelope.id;
  }

  it('the job runner seals the envelope; pdfsig and our verifier accept the result; every party gets a working permanent link', async () => {
    const envelopeId = await signedEnvelope();
    const runner = createJobRunner({ db: services.db, handlers: handlersFrom(SIGNING_JOBS as never), services, logger: services.logger, clock: services.clock, concurrency: 1, pollMs: 20, leaseMs: 60_000, workerId: 'test' });
    const { ran } = await runner.runUntilIdle();
    expect(ran).toBeGreaterThanOrEqual(1);

    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelopeId));
    expect(env!.sealedSha256).toMatch(/^[0-9a-f]{64}$/);
    const pdf = (await envelopePdf(services, env!, 'sealed'))!;
    const digest = Buffer.from(await crypto.subtle.digest('SHA-256', pdf as Uint8Array<ArrayBuffer>)).toString('hex');
    expect(digest).toBe(env!.sealedSha256);
    const [record] = await services.db.select().from(sealedDocuments).where(eq(sealedDocuments.envelopeId, envelopeId));
    expect(record!.sha256).toBe(env!.sealedSha256);
    expect(record!.publicId).toBe(env!.publicId);
    expect(record!.parties.map((p) => p.name)).toEqual(['Анна Смирнова', 'Ivan Petrov']);

    // A PDF sent directly is an existing file: sealed incrementally, its bytes a prefix of the sealed file,
    // and its hash recorded so the verify door recognises the original.
    const source = (await envelopePdf(services, env!, 'source'))!;
    expect(pdf.length).toBeGreaterThan(source.length);
    expect(Buffer.from(pdf.subarray(0, source.length)).equals(Buffer.from(source))).toBe(true);
    expect(record!.originalSha256).toBe(env!.sourceSha256);
    const asOriginal = await http.app.request('/api/verify', { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(source) }, fromPeer('203.0.113.8'));
    const known = (await asOriginal.json()) as { originalOf: { publicId: string; sealedSha256: string }[] };
    expect(known.originalOf).toEqual([expect.objectContaining({ publicId: env!.publicId, sealedSha256: env!.sealedSha256 })]);
    const page = await http.app.request('/v?lang=en', { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(source) }, fromPeer('203.0.113.9'));
    const html = await page.text();
    expect(html).toContain('This is the original of a sealed document');
    expect(html).toContain(`/v/${env!.publicId}`);
    // The sealed file itself is not "an original".
    const sealedPage = await http.app.request('/v?lang=en', { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(pdf) }, fromPeer('203.0.113.10'));
    expect(await sealedPage.text()).not.toContain('This is the original of a sealed document');

    // Independent check: poppler's pdfsig.
    const dir = mkdtempSync(join(tmpdir(), 'b24-final-'));
    const file = join(dir, 'final.pdf');
    writeFileSync(file, pdf);
    const sig = spawnSync('pdfsig', [file], { encoding: 'utf8' });
    expect(sig.stdout).toContain('Signature is Valid');
    expect(sig.stdout).toContain('Total document signed');
    // The text of the certificate page and the rendered values are there (pdftotext).
    const text = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('IT01234567890');
    expect(text).toContain(env!.publicId);
    expect(text).toContain('Анна Смирнова');

    // Our verifier: sealed by us, unchanged, with the public record.
    const v = await verifyPdf(pdf, { trustRoots: services.sealer.trustRoots, ownCertificates: services.sealer.certificates, lookupBySha256: createSealedDocumentLookup(services.db).bySha256 });
    expect(v.verdict).toBe('sealed_unchanged');
    expect(v.record?.publicId).toBe(env!.publicId);

    // Every party, the viewer included, got one permanent link that serves these exact bytes.
    const finals = await services.db.select().from(messages).where(and(eq(messages.envelopeId, envelopeId), eq(messages.template, 'completed')));
    expect(finals.map((m) => m.to).sort()).toEqual(['anna@seller.example', 'archive@buyer.example', 'ivan@buyer.example']);
    const link = /\/s\/final\/([A-Za-z0-9._-]+)/.exec(finals[0]!.body)![1]!;
    const dl = await http.req('GET', `/s/final/${link}`);
    expect(dl.status).toBe(200);
    expect(Buffer.from(dl.data as Uint8Array).equals(Buffer.from(pdf))).toBe(true);
    const api = await http.req('GET', `/api/envelopes/${envelopeId}/sealed.pdf`, { bearer: await sessionFor(services) });
    expect(Buffer.from(api.data as Uint8Array).equals(Buffer.from(pdf))).toBe(true);
    const audit = await http.req('GET', `/api/envelopes/${envelopeId}/audit`, { bearer: await sessionFor(services) });
    expect(audit.data.chain.ok).toBe(true);
    expect(audit.data.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['completed', 'sealed', 'final_sent']));
  });

  it('is idempotent: run twice, or twice at once, or after a crash mid-seal — one sealed document, one e-mail each', async () => {
    const envelopeId = await signedEnvelope();
    const portalId = 'prt_test';
    // Crash after the seal was computed but before it was stored.
    const real = services.sealer;
    let calls = 0;
    const crashing = { ...services, sealer: { ...real, development: real.development, signDigest: async (d: Uint8Array) => { calls++; throw new Error('power cut'); } } };
    await expect(runCompletion(crashing as typeof services, { portalId, envelopeId })).rejects.toThrow('power cut');
    expect(calls).toBe(1);
    expect(await services.db.select().from(sealedDocuments).where(eq(sealedDocuments.envelopeId, envelopeId))).toHaveLength(0);
    // Two runs at once, then a third.
    const [a, b] = await Promise.all([runCompletion(services, { portalId, envelopeId }), runCompletion(services, { portalId, envelopeId })]);
    const c = await runCompletion(services, { portalId, envelopeId });
    expect([a.sealedNow, b.sealedNow].filter(Boolean)).toHaveLength(1);
    expect(c.sealedNow).toBe(false);
    expect(a.sha256).toBe(b.sha256);
    expect(c.sha256).toBe(a.sha256);
    const records = await services.db.select().from(sealedDocuments).where(eq(sealedDocuments.envelopeId, envelopeId));
    expect(records).toHaveLength(1);
    expect(records[0]!.sha256).toBe(a.sha256);
    const finals = await services.db.select().from(messages).where(and(eq(messages.envelopeId, envelopeId), eq(messages.template, 'completed')));
    expect(finals).toHaveLength(3);
    expect(new Set(finals.map((m) => m.recipientId)).size).toBe(3);
  });
});
