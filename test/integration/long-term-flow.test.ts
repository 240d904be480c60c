import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { envelopePdf } from '../helpers/blobs.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { sealedDocuments } from '../../src/db/schema/sealed-documents.js';
import { createSealer } from '../../src/documents/seal/sealer.js';
import { createSealedDocumentLookup } from '../../src/documents/verify/sealed-documents.js';
import { verifyPdf } from '../../src/documents/verify/verifier.js';
import { createOutboundFetch } from '../../src/entry/outbound-fetch.js';
import { loadSealIdentity } from '../../src/entry/seal-identity.js';
import { JobPermanentFailure } from '../../src/jobs/queue.js';
import { runLongTermRetry } from '../../src/signing/long-term.js';
import { fromPeer } from '../helpers/peer.js';
import { makeLtvPki, type LtvPki } from '../helpers/ltv-pki.js';
import { run } from '../helpers/seal-pki.js';
import { createTestServices, drainJobs } from '../helpers/services.js';
import { client, codeFromBody, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

/**
 * Long-term evidence in the signing flow: with revocation services up, the stored document is
 * B-LTA at completion and its evidence package carries both timestamp tokens; the completion
 * e-mail links the package. With them down, the B-T seal is stored and sent anyway, the audit
 * trail says why, a retry job is queued, and the retry later turns the stored file into B-LTA
 * (the B-T copy staying findable) — or, for a revoked certificate, records that it gave up.
 */
const FIELDS = [{ key: 'client_sig', type: 'signature', label: 'Client signature', page: 1, box: { x: 320, y: 200, w: 180, h: 50 }, party: 'client', required: true }];

describe('long-term evidence at completion (local CA with OCSP and CRLs, local TSA)', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let http: ReturnType<typeof client>;
  let pki: LtvPki;
  let work: string;
  let bearer: string;
  let trust: { trustRoots: Uint8Array[]; ownCertificates: readonly Uint8Array[] };

  const get = (path: string, auth?: string) => http.app.request(path, { headers: auth ? { authorization: `Bearer ${auth}` } : {} }, fromPeer('203.0.113.7'));

  /** Creates, signs and completes one envelope; returns its id and the stored row. */
  async function completeOne(title: string) {
    const created = await http.req('POST', '/api/envelopes', {
      bearer,
      body: { title, lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: FIELDS, recipients: [{ party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' }], send: true },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const envelopeId = created.data.envelope.id as string;
    const rid = created.data.recipients[0].id as string;
    const token = tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
    await http.req('POST', `/api/sign/${token}/code`);
    const code = codeFromBody((await lastMessage(services, rid, 'code'))!.body);
    const { actionToken } = (await http.req('POST', `/api/sign/${token}/verify`, { body: { code } })).data;
    const signed = await http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: {}, signature: { method: 'drawn', image: TINY_PNG_B64 } }, headers: { 'x-sign-action': actionToken } });
    expect(signed.data.envelopeStatus).toBe('completed');
    await drainJobs(services);
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelopeId));
    return { envelopeId, env: env!, rid };
  }

  const auditOf = (envelopeId: string) => services.db.select().from(auditEvents).where(eq(auditEvents.envelopeId, envelopeId)).orderBy(auditEvents.seq);

  beforeAll(async () => {
    pki = await makeLtvPki();
    work = mkdtempSync(join(tmpdir(), 'b24-ltv-flow-'));
    services = await createTestServices();
    const id = await loadSealIdentity({ SEAL_P12_PATH: pki.sealP12, SEAL_P12_PASSPHRASE: pki.passphrase }, { dataDir: work });
    services.sealer = await createSealer(id, { tsaUrl: pki.tsaUrl, fetch: createOutboundFetch({ privateHosts: [], allowLoopback: true }) });
    trust = { trustRoots: [pki.rootDer], ownCertificates: services.sealer.certificates };
    http = client(services);
    bearer = await sessionFor(services);
  }, 120_000);

  afterAll(async () => {
    await services?.testDb.close();
    await pki?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('services up: the stored document is B-LTA, the audit says so and names the sources, the package holds both tokens, the e-mail links it', async () => {
    const { envelopeId, env, rid } = await completeOne('Long-term contract');
    const sealedEvent = (await auditOf(envelopeId)).find((e) => e.type === 'sealed')!;
    // Under load a slow responder would defer the step: the event says why.
    expect(sealedEvent.data.longTermDeferred, JSON.stringify(sealedEvent.data)).toBeUndefined();
    const r = await verifyPdf((await envelopePdf(services, env, 'sealed'))!, { ...trust, lookupBySha256: createSealedDocumentLookup(services.db).bySha256 });
    expect(r.verdict).toBe('sealed_unchanged');
    expect(r.padesLevel).toBe('B-LTA');
    expect(r.record?.sha256).toBe(env.sealedSha256);

    expect(sealedEvent.data).toMatchObject({ sha256: env.sealedSha256, padesLevel: 'B-LTA' });
    expect((sealedEvent.data.revocationSources as { kind: string }[]).map((s) => s.kind).sort()).toEqual(['crl', 'crl', 'ocsp']);
    expect(sealedEvent.data.longTermDeferred).toBeUndefined();

    const mail = (await lastMessage(services, rid, 'completed'))!;
    const link = /(\/s\/final\/[A-Za-z0-9._-]+\/evidence\.zip)/.exec(mail.body)?.[1];
    expect(link, mail.body).toBeDefined();
    const res = await get(link!);
    expect(res.status).toBe(200);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).filter((f) => f.startsWith('timestamps/')).sort()).toEqual(['timestamps/document-timestamp-2.tsr', 'timestamps/signature-1.sig', 'timestamps/signature-1.tsr']);
    // The document timestamp token verifies with openssl over the ranges it signs in sealed.pdf.
    const pdf = Buffer.from(files['sealed.pdf']!);
    const ranges = [...pdf.toString('latin1').matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].map((m) => m.slice(1, 5).map(Number));
    const [a, b, c, d] = ranges[1]!;
    writeFileSync(join(work, 'dts.tsr'), files['timestamps/document-timestamp-2.tsr']!);
    writeFileSync(join(work, 'dts.data'), Buffer.concat([pdf.subarray(a!, a! + b!), pdf.subarray(c!, c! + d!)]));
    const ok = run('openssl', ['ts', '-verify', '-in', join(work, 'dts.tsr'), '-data', join(work, 'dts.data'), '-CAfile', pki.rootPem, '-untrusted', pki.chainPem]);
    expect(ok.stdout + ok.stderr).toContain('Verification: OK');

    // The verify door names the level with its one-line explanation, in the visitor's language; JSON carries it too.
    const upload = (path: string, bytes: Uint8Array) => {
      const form = new FormData();
      form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), 'doc.pdf');
      return http.app.request(path, { method: 'POST', body: form }, fromPeer('203.0.113.8'));
    };
    const lines = {
      en: 'that proof is itself timestamped, so the file stays checkable after the certificates expire',
      it: 'quella prova è a sua volta marcata',
      ru: 'эти доказательства сами заверены меткой времени',
    };
    for (const [lang, line] of Object.entries(lines)) {
      const html = await (await upload(`/v?lang=${lang}`, pdf)).text();
      expect(html).toContain('data-verdict="sealed_unchanged"');
      expect(html).toMatch(/data-level="B-LTA"[^>]*>[^<]*<strong>B-LTA<\/strong>/);
      expect(html, lang).toContain(line);
    }
    const json = await (await upload('/api/verify', pdf)).json();
    expect(json).toMatchObject({ verdict: 'sealed_unchanged', padesLevel: 'B-LTA', signatures: [{ padesBaseline: 'B-LTA', longTermProblem: null }, { kind: 'document-timestamp', intact: true }] });
  }, 120_000);

  it('services down: sealed and sent at B-T anyway, the reason recorded, a retry queued; the retry makes it B-LTA and the B-T copy stays findable', async () => {
    await pki.stopOcsp();
    pki.breakPath('/issuing.crl');
    const { envelopeId, env, rid } = await completeOne('Contract sealed during an outage');
    const bt = (await envelopePdf(services, env, 'sealed'))!;
    expect((await verifyPdf(bt, trust)).padesLevel).toBe('B-T');
    const form = new FormData();
    form.append('file', new Blob([bt as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), 'doc.pdf');
    const page = await (await http.app.request('/v?lang=en', { method: 'POST', body: form }, fromPeer('203.0.113.9'))).text();
    expect(page).toContain('data-level="B-T"');
    expect(page).toContain('an independent timestamp authority confirms the signature existed at that time');
    // The document was not held back.
    expect(await lastMessage(services, rid, 'completed')).toBeDefined();
    const sealedEvent = (await auditOf(envelopeId)).find((e) => e.type === 'sealed')!;
    expect(sealedEvent.data).toMatchObject({ sha256: env.sealedSha256, padesLevel: 'B-T' });
    expect(sealedEvent.data.longTermDeferred).toMatch(/No revocation data for "CN=Test LTV seal.*could not connect.*HTTP 404/);
    const [job] = await services.db.select().from(jobs).where(and(eq(jobs.kind, 'signing.long-term'), eq(jobs.portalId, 'prt_test')));
    expect(job!.payload).toEqual({ envelopeId, fromSha256: env.sealedSha256 });
    // drainJobs already ran it once: it failed (still down) and waits for its backoff.
    expect(job!.attempts).toBeGreaterThanOrEqual(1);
    expect(job!.lastError).toMatch(/No revocation data/);

    pki.repairPath('/issuing.crl');
    expect(await runLongTermRetry(services, { portalId: 'prt_test', envelopeId, fromSha256: env.sealedSha256! })).toBe('added');
    const [after] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelopeId));
    const lta = (await envelopePdf(services, after!, 'sealed'))!;
    expect(after!.sealedSha256).not.toBe(env.sealedSha256);
    expect(Buffer.from(lta.subarray(0, bt.length)).equals(Buffer.from(bt))).toBe(true);
    const lookup = createSealedDocumentLookup(services.db);
    const r = await verifyPdf(lta, { ...trust, lookupBySha256: lookup.bySha256 });
    expect(r.padesLevel).toBe('B-LTA');
    expect(r.record?.sha256).toBe(after!.sealedSha256);
    // The B-T file a party may have downloaded still finds its record.
    expect((await verifyPdf(bt, { ...trust, lookupBySha256: lookup.bySha256 })).record?.publicId).toBe(r.record?.publicId);
    const [row] = await services.db.select().from(sealedDocuments).where(eq(sealedDocuments.envelopeId, envelopeId));
    expect(row).toMatchObject({ sha256: after!.sealedSha256, earlierSha256: env.sealedSha256, sizeBytes: lta.length });
    const added = (await auditOf(envelopeId)).find((e) => e.type === 'long_term_added')!;
    expect(added.data).toMatchObject({ fromSha256: env.sealedSha256, sha256: after!.sealedSha256, padesLevel: 'B-LTA' });
    // A second run (the queued job, once its backoff passes) finds nothing to do.
    expect(await runLongTermRetry(services, { portalId: 'prt_test', envelopeId, fromSha256: env.sealedSha256! })).toBe('not-needed');
  }, 120_000);

  it('a certificate revoked meanwhile: the retry records long_term_failed and stops for good; the B-T document stays', async () => {
    pki.breakPath('/issuing.crl');
    const { envelopeId, env } = await completeOne('Contract whose TSA is revoked');
    pki.repairPath('/issuing.crl');
    pki.revoke('tsa');
    const err = await runLongTermRetry(services, { portalId: 'prt_test', envelopeId, fromSha256: env.sealedSha256! }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobPermanentFailure);
    expect((err as Error).message).toMatch(/Test LTV TSA.*is revoked/);
    const failed = (await auditOf(envelopeId)).find((e) => e.type === 'long_term_failed')!;
    expect(failed.data).toMatchObject({ sha256: env.sealedSha256 });
    const [after] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelopeId));
    expect(after!.sealedSha256).toBe(env.sealedSha256);
  }, 120_000);
});
