import { readFileSync } from 'node:fs';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { sealPdf } from '../../src/documents/seal/sealer.js';
import { stampAndAppendCertificate } from '../../src/documents/stamp.js';
import { recordSealedDocument, retentionUntil } from '../../src/documents/verify/sealed-documents.js';
import { fromPeer } from '../helpers/peer.js';
import { createTestServices } from '../helpers/services.js';
import { appendIncrementalUpdate, flipByte } from '../helpers/seal-pki.js';

/** The public verify door, as an anonymous visitor (no session) uses it. */
let services: Awaited<ReturnType<typeof createTestServices>>;
let app: ReturnType<typeof createApp>;
let sealed: Uint8Array;
const PUBLIC_ID = 'B24S-DOOR-TEST-0001';
const SECRET_EMAIL = 'maria.secret@example.com';
const SECRET_IP = '203.0.113.77';

beforeAll(async () => {
  services = await createTestServices({ env: { UPLOAD_MAX_BYTES: '400000', VERIFY_RATE_PER_MINUTE: '1000' } });
  app = createApp(services);
  const doc = await PDFDocument.create();
  doc.addPage().drawText('Contract', { x: 50, y: 700 });
  const signedAt = new Date('2026-01-15T10:00:00Z');
  await stampAndAppendCertificate(doc, {
    publicId: PUBLIC_ID,
    verifyUrl: `http://b24sign.test/v/${PUBLIC_ID}`,
    lang: 'it',
    title: 'Contratto di fornitura',
    parties: [
      { name: 'Maria Bianchi', role: 'signer', party: 'client', method: 'drawn', signedAt, timeZone: 'Europe/Rome', ip: SECRET_IP, email: SECRET_EMAIL },
      { name: 'Олег Смирнов', role: 'signer', party: 'company', method: 'typed', signedAt, timeZone: 'Europe/Moscow', ip: SECRET_IP },
    ],
    originalSha256: 'e'.repeat(64),
    auditHead: 'f'.repeat(64),
    development: services.sealer.development,
  });
  const result = await sealPdf(doc, services.sealer);
  sealed = result.bytes;
  await recordSealedDocument(services.db, {
    id: services.ids.newId('doc'),
    portalId: 'prt_test',
    envelopeId: 'env_test',
    publicId: PUBLIC_ID,
    sha256: result.sha256,
    title: 'Contratto di fornitura',
    lang: 'it',
    parties: [
      { name: 'Maria Bianchi', role: 'signer', party: 'client', signedAt: signedAt.toISOString() },
      { name: 'Олег Смирнов', role: 'signer', party: 'company', signedAt: signedAt.toISOString() },
    ],
    signerName: services.sealer.signerName,
    development: services.sealer.development,
    timestamped: false,
    sealedAt: signedAt,
    retentionUntil: retentionUntil(signedAt, services.config.RETENTION_YEARS),
    pdf: sealed,
    sizeBytes: sealed.length,
  });
});
afterAll(() => services.testDb.close());

const upload = (bytes: Uint8Array, path = '/api/verify', headers: Record<string, string> = {}) => {
  const form = new FormData();
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), 'doc.pdf');
  return app.request(path, { method: 'POST', body: form, headers });
};

describe('pages', () => {
  it('GET /v shows the upload form and the id field, in the visitor’s language', async () => {
    const en = await app.request('/v');
    expect(en.status).toBe(200);
    const html = await en.text();
    expect(html).toContain('enctype="multipart/form-data"');
    expect(html).toContain('name="id"');
    const ru = await (await app.request('/v', { headers: { 'accept-language': 'ru-RU,ru;q=0.9' } })).text();
    expect(ru).toContain('lang="ru"');
    expect(ru).toContain('Проверка подписанного документа');
    const it_ = await (await app.request('/v?lang=it')).text();
    expect(it_).toContain('Verifica un documento firmato');
  });

  it('GET /v?id=… redirects to /v/<publicId>, normalising what people type', async () => {
    const res = await app.request('/v?id=%20b24s-door-test-0001%20');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/v/${PUBLIC_ID}`);
  });

  it('GET /v/<publicId> shows the public summary and nothing private', async () => {
    const res = await app.request(`/v/${PUBLIC_ID}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('lang="it"'); // the document's language when the visitor states none
    expect(html).toContain('Contratto di fornitura');
    expect(html).toContain('Maria Bianchi');
    expect(html).toContain('Олег Смирнов');
    expect(html).not.toContain(SECRET_EMAIL);
    expect(html).not.toContain(SECRET_IP);
    expect(html).not.toContain('prt_test');
    expect(html).not.toContain('env_test');
  });

  it('an unknown id is a friendly 404 page', async () => {
    const res = await app.request('/v/B24S-NOPE-NOPE-NOPE', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('No document with this ID');
  });

  it('POST /v renders the verdict in plain words, details folded', async () => {
    const res = await upload(sealed, '/v?lang=en');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-verdict="sealed_unchanged"');
    expect(html).toContain('Sealed by b24-sign and unchanged');
    expect(html).toContain('<details>');
    expect(html).toContain('Maria Bianchi');
    expect(html).not.toContain(SECRET_EMAIL);
    expect(html).not.toContain(SECRET_IP);
  });

  it('the new verdicts (coverage anomaly, cannot be checked here) are said in every language, with their reason in JSON', async () => {
    const weird = new Uint8Array(readFileSync('test/fixtures/pdfs/pyhanko--coverage-anomalies_weird-byterange.pdf'));
    const ed448 = new Uint8Array(readFileSync('test/fixtures/pdfs/pyhanko--ed448-disallowed-hash.pdf'));
    const cases = [
      [weird, 'coverage_anomaly', { en: 'Signature does not cover the document', it: 'La firma non copre il documento', ru: 'Подпись не охватывает документ' }],
      [ed448, 'cannot_check', { en: 'Cannot be checked here', it: 'Non verificabile qui', ru: 'Здесь проверить нельзя' }],
    ] as const;
    for (const [bytes, verdict, titles] of cases) {
      for (const [lang, title] of Object.entries(titles)) {
        const html = await (await upload(bytes, `/v?lang=${lang}`)).text();
        expect(html).toContain(`data-verdict="${verdict}"`);
        expect(html).toContain(title);
      }
    }
    const anomaly = await (await upload(weird)).json();
    expect(anomaly).toMatchObject({ verdict: 'coverage_anomaly', signatures: [{ intact: true, coverageAnomaly: expect.stringMatching(/gap/) }] });
    const unchecked = await (await upload(ed448)).json();
    expect(unchecked).toMatchObject({ verdict: 'cannot_check', signatures: [{ intact: false, problem: null, unsupported: expect.stringMatching(/RFC 8419/) }] });
  });
});

describe('POST /api/verify', () => {
  it('sealed and unchanged, with the minimal public projection', async () => {
    const res = await app.request('/api/verify', { method: 'POST', body: sealed as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/pdf' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.verdict).toBe('sealed_unchanged');
    expect(body.document).toMatchObject({ publicId: PUBLIC_ID, title: 'Contratto di fornitura', status: 'completed' });
    expect(body.document.parties).toEqual([
      { name: 'Maria Bianchi', role: 'signer', party: 'client', signedAt: '2026-01-15T10:00:00.000Z' },
      { name: 'Олег Смирнов', role: 'signer', party: 'company', signedAt: '2026-01-15T10:00:00.000Z' },
    ]);
    expect(text).not.toContain(SECRET_EMAIL);
    expect(text).not.toContain(SECRET_IP);
    expect(text).not.toContain('env_test');
    expect(body.signatures[0]).toMatchObject({ intact: true, ours: true, coversWholeFile: true });
  });

  it('tampered copies get the matching verdicts', async () => {
    expect((await (await upload(flipByte(sealed))).json()).verdict).toBe('signature_broken');
    const appended = await (await upload(appendIncrementalUpdate(sealed))).json();
    expect(appended.verdict).toBe('modified_after_sealing');
    expect(appended.document).toBeNull();
    expect((await (await upload(new TextEncoder().encode('just text'))).json()).verdict).toBe('not_a_pdf');
    const enc = await (await upload(new Uint8Array(readFileSync('test/fixtures/pdfs/qpdf--V4-aes.pdf')))).json();
    expect(enc).toMatchObject({ verdict: 'no_signature', file: { encrypted: true } });
  });

  it('refuses uploads over the limit with PDF_TOO_LARGE', async () => {
    const big = new Uint8Array(500_000);
    big.set(new TextEncoder().encode('%PDF-1.7\n'));
    const res = await upload(big);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('PDF_TOO_LARGE');
    const raw = await app.request('/api/verify', { method: 'POST', body: big, headers: { 'content-type': 'application/pdf' } });
    expect(raw.status).toBe(413);
  });

  it('refuses other content types and a missing file', async () => {
    const res = await app.request('/api/verify', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(415);
    const form = new FormData();
    form.append('other', 'x');
    expect((await app.request('/api/verify', { method: 'POST', body: form })).status).toBe(400);
  });
});

describe('rate limit', () => {
  it('limits each client IP, not everyone', async () => {
    const limited = await createTestServices({ env: { VERIFY_RATE_PER_MINUTE: '3' } });
    try {
      const a = createApp(limited);
      const from = (ip: string) => a.request('/v/B24S-NOPE-NOPE-NOPE', {}, fromPeer(ip));
      for (let i = 0; i < 3; i++) expect((await from('192.0.2.10')).status).toBe(404);
      const blocked = await from('192.0.2.10');
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await blocked.json()).error.code).toBe('RATE_LIMITED');
      expect((await from('192.0.2.11')).status).toBe(404);
    } finally {
      await limited.testDb.close();
    }
  });
});
