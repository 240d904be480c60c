import * as pkijs from 'pkijs';
import { envelopePdf } from '../helpers/blobs.js';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { messages } from '../../src/db/schema/messages.js';
import { loadSealIdentity } from '../../src/entry/seal-identity.js';
import { createSealer } from '../../src/documents/seal/sealer.js';
import { renderEnvelopeListFragment } from '../../src/doors/placement-pages.js';
import { issueFinalToken } from '../../src/signing/tokens.js';
import { getCardEnvelope } from '../../src/card/card-data.js';
import { fromPeer } from '../helpers/peer.js';
import { extractLastSignature, makeTestPki, run, startOpensslTsa, type TestPki } from '../helpers/seal-pki.js';
import { createTestServices, drainJobsUntil } from '../helpers/services.js';
import { client, codeFromBody, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

/**
 * The evidence package, checked with tools that are not ours: python's zipfile unpacks it,
 * `sha256sum -c` checks hashes.txt, `openssl ts -verify` checks the TSA token against the local
 * TSA's CA, and the audit chain is recomputed here from the schema the README documents.
 */
const FIELDS = [{ key: 'client_sig', type: 'signature', label: 'Client signature', page: 1, box: { x: 320, y: 200, w: 180, h: 50 }, party: 'client', required: true }];

/** Our own canonical JSON (sorted keys at every depth, no spaces), written from the README, not imported. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

type Ev = { seq: number; envelopeId: string; type: string; actor: string; recipientId: string | null; ip: string | null; userAgent: string | null; at: string; data: unknown; prevHash: string; hash: string };

/** The first seq whose hash, link or order is wrong, or null when the whole chain holds. */
function firstBadRow(events: Ev[]): number | null {
  let prev = '0'.repeat(64);
  for (const [i, e] of events.entries()) {
    if (e.seq !== i + 1 || e.prevHash !== prev) return e.seq;
    const { hash, ...content } = e;
    if (createHash('sha256').update(canonical(content)).digest('hex') !== hash) return e.seq;
    prev = hash;
  }
  return null;
}

describe('evidence package of a sealed envelope (B-T seal with a local openssl TSA)', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let http: ReturnType<typeof client>;
  let pki: TestPki;
  let tsa: Awaited<ReturnType<typeof startOpensslTsa>>;
  let work: string;
  let envelopeId: string;
  let finalToken: string;
  let signerToken: string;
  let zip: Uint8Array;
  let dir: string;

  const get = (path: string, bearer?: string) => http.app.request(path, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} }, fromPeer('203.0.113.7'));

  beforeAll(async () => {
    pki = makeTestPki();
    tsa = await startOpensslTsa(pki);
    work = mkdtempSync(join(tmpdir(), 'b24-evidence-'));
    services = await createTestServices();
    const id = await loadSealIdentity({ SEAL_P12_PATH: pki.rsaP12, SEAL_P12_PASSPHRASE: pki.passphrase }, { dataDir: work });
    services.sealer = await createSealer(id, { tsaUrl: tsa.url });
    http = client(services);

    const bearer = await sessionFor(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer,
      body: { title: 'Evidence contract', lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: FIELDS, recipients: [{ party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' }], send: true },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    envelopeId = created.data.envelope.id;

    // Before sealing there is nothing to package: a clear conflict, not an empty ZIP.
    const early = await get(`/api/envelopes/${envelopeId}/evidence.zip`, bearer);
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: { code: 'CONFLICT' } });

    const rid = created.data.recipients[0].id as string;
    signerToken = tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
    await http.req('POST', `/api/sign/${signerToken}/code`);
    const code = codeFromBody((await lastMessage(services, rid, 'code'))!.body);
    const { actionToken } = (await http.req('POST', `/api/sign/${signerToken}/verify`, { body: { code } })).data;
    const signed = await http.req('POST', `/api/sign/${signerToken}/sign`, { body: { acceptTerms: true, values: {}, signature: { method: 'drawn', image: TINY_PNG_B64 } }, headers: { 'x-sign-action': actionToken } });
    expect(signed.data.envelopeStatus).toBe('completed');
    const finalMessage = () => services.db.select().from(messages).where(and(eq(messages.envelopeId, envelopeId), eq(messages.template, 'completed')));
    await drainJobsUntil(services, async () => (await finalMessage()).length > 0);

    const [final] = await finalMessage();
    finalToken = /\/s\/final\/([A-Za-z0-9._-]+)/.exec(final!.body)![1]!;

    const res = await get(`/api/envelopes/${envelopeId}/evidence.zip`, bearer);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="[A-Za-z0-9_-]+-evidence\.zip"$/);
    zip = new Uint8Array(await res.arrayBuffer());
    dir = join(work, 'unpacked');
    writeFileSync(join(work, 'evidence.zip'), zip);
    // Python's zipfile, not fflate: an independent reader checks every member's CRC and unpacks.
    const py = run('python3', ['-c', 'import sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nz.extractall(sys.argv[2])\nprint("\\n".join(sorted(z.namelist())))', join(work, 'evidence.zip'), dir]);
    expect(py.code, py.stderr).toBe(0);
    expect(py.stdout.trim().split('\n')).toEqual(['audit.json', 'hashes.txt', 'original.pdf', 'sealed.pdf', 'timestamps/signature-1.sig', 'timestamps/signature-1.tsr']);
  }, 120_000);

  afterAll(async () => {
    await services?.testDb.close();
    await tsa?.close();
    pki?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('sealed.pdf and original.pdf are the stored bytes, and sha256sum -c hashes.txt passes (and fails on a changed byte)', async () => {
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelopeId));
    expect(Buffer.from(readFileSync(join(dir, 'sealed.pdf'))).equals(Buffer.from((await envelopePdf(services, env!, 'sealed'))!))).toBe(true);
    expect(Buffer.from(readFileSync(join(dir, 'original.pdf'))).equals(Buffer.from((await envelopePdf(services, env!, 'source'))!))).toBe(true);
    const hashes = readFileSync(join(dir, 'hashes.txt'), 'utf8');
    expect(hashes).toBe(`${env!.sourceSha256}  original.pdf\n${env!.sealedSha256}  sealed.pdf\n`);
    const ok = run('sha256sum', ['-c', 'hashes.txt'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('original.pdf: OK');
    expect(ok.stdout).toContain('sealed.pdf: OK');

    const copy = join(work, 'tampered');
    run('cp', ['-r', dir, copy]);
    const bytes = readFileSync(join(copy, 'sealed.pdf'));
    bytes[200] = bytes[200]! ^ 0x01;
    writeFileSync(join(copy, 'sealed.pdf'), bytes);
    const bad = run('sha256sum', ['-c', 'hashes.txt'], { cwd: copy });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain('sealed.pdf: FAILED');
  });

  it('audit.json: every row re-hashes from the documented schema, links to the previous one, and the last is the envelope head', async () => {
    const audit = JSON.parse(readFileSync(join(dir, 'audit.json'), 'utf8')) as { format: string; chain: { ok: boolean; head: string }; events: Ev[] };
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelopeId));
    expect(audit.format).toBe('b24-sign.audit/1');
    expect(audit.events.length).toBe(env!.auditCount);
    expect(audit.events.map((e) => e.type)).toEqual(expect.arrayContaining(['created', 'sent', 'signed', 'completed']));
    expect(firstBadRow(audit.events)).toBeNull();
    expect(audit.events.at(-1)!.hash).toBe(env!.auditHead);
    expect(audit.chain).toMatchObject({ ok: true, head: env!.auditHead });
    expect(JSON.stringify(audit)).not.toContain('prt_test');

    // The re-implementation can fail: an edited IP or a dropped row is caught at that row.
    const edited = structuredClone(audit.events);
    edited[1]!.ip = '198.51.100.1';
    expect(firstBadRow(edited)).toBe(2);
    expect(firstBadRow([audit.events[0]!, ...audit.events.slice(2)])).toBe(audit.events[2]!.seq);
  });

  it('the .tsr verifies with openssl ts -verify against the local TSA CA, over the signature value in the sealed PDF', () => {
    const tsr = join(dir, 'timestamps/signature-1.tsr');
    const sig = join(dir, 'timestamps/signature-1.sig');
    // The .sig is the seal's own signature value, read here independently from the PDF's CMS.
    const { cms } = extractLastSignature(readFileSync(join(dir, 'sealed.pdf')));
    const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(new Uint8Array(cms).buffer).content });
    expect(Buffer.from(readFileSync(sig)).equals(Buffer.from(sd.signerInfos[0]!.signature.valueBlock.valueHexView))).toBe(true);

    const ok = run('openssl', ['ts', '-verify', '-in', tsr, '-data', sig, '-CAfile', pki.rootPem, '-untrusted', join(pki.dir, 'tsa.pem')]);
    expect(ok.stdout + ok.stderr).toContain('Verification: OK');
    // A readable TimeStampResp with status granted, as `openssl ts -reply -in` prints it.
    expect(run('openssl', ['ts', '-reply', '-in', tsr, '-text']).stdout).toContain('Status: Granted.');
    // Against other data the same token fails: the check is real.
    writeFileSync(join(work, 'other.bin'), 'not the signature');
    const bad = run('openssl', ['ts', '-verify', '-in', tsr, '-data', join(work, 'other.bin'), '-CAfile', pki.rootPem, '-untrusted', join(pki.dir, 'tsa.pem')]);
    expect(bad.stdout + bad.stderr).not.toContain('Verification: OK');
  });

  it('the CRM card offers "Download evidence" beside "Download" for the sealed envelope, pointing at the session route', async () => {
    const card = await getCardEnvelope(services.db, services.config.publicUrl, { portalId: 'prt_test', envelopeId });
    expect(card!.evidencePath).toBe(`/api/envelopes/${envelopeId}/evidence.zip`);
    const html = renderEnvelopeListFragment('en', [card!]);
    expect(html).toContain(`data-href="/api/envelopes/${envelopeId}/sealed.pdf"`);
    expect(html).toMatch(new RegExp(`data-action="download"[^>]*data-href="/api/envelopes/${envelopeId}/evidence\\.zip"[^>]*data-ext="zip"[^>]*>\\s*Download evidence`));
  });

  it("another portal's session cannot download this envelope's package", async () => {
    const res = await get(`/api/envelopes/${envelopeId}/evidence.zip`, await sessionFor(services, 'prt_other'));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).not.toBe('application/zip');
    expect((await get(`/api/envelopes/${envelopeId}/evidence.zip`)).status).toBe(401);
  });

  it("the signer's final-link token downloads the same package; a signing-link, forged, other-portal or altered token does not", async () => {
    const res = await get(`/s/final/${finalToken}/evidence.zip`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const session = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(Object.keys(session).sort());
    for (const name of Object.keys(files)) expect(Buffer.from(files[name]!).equals(Buffer.from(session[name]!)), name).toBe(true);

    const secret = services.config.sessionSecret;
    const now = new Date();
    const rejected = [
      signerToken, // the signing link is not the final link (another audience)
      await issueFinalToken('another-secret-that-is-long-enough-0123456789', { portalId: 'prt_test', envelopeId, recipientId: 'x' }, now),
      await issueFinalToken(secret, { portalId: 'prt_other', envelopeId, recipientId: 'x' }, now),
      `${finalToken.slice(0, -2)}${finalToken.endsWith('AA') ? 'BB' : 'AA'}`,
    ];
    for (const t of rejected) {
      const r = await get(`/s/final/${t}/evidence.zip`);
      expect(r.status, t).toBe(404);
      expect(r.headers.get('content-type')).not.toBe('application/zip');
    }
  });
});
