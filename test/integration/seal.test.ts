import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, PDFName, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { SignPdf } from '@signpdf/signpdf';
import { loadSealIdentity } from '../../src/entry/seal-identity.js';
import { PadesSigner } from '../../src/documents/seal/pades-signer.js';
import { createSealer, sealPdf, type Sealer } from '../../src/documents/seal/sealer.js';
import { stampAndAppendCertificate } from '../../src/documents/stamp.js';
import { verifyPdf } from '../../src/documents/verify/verifier.js';
import { installHasher, portableHasher } from '../../src/lib/digest.js';
import { nodeHasher } from '../../src/entry/native-hash.js';
import { appendIncrementalUpdate, extractLastSignature, flipByte, makeTestPki, run, startOpensslTsa, type TestPki } from '../helpers/seal-pki.js';

/**
 * Sealed output judged by tools we did not write: pdfsig (poppler), mutool (mupdf), openssl cms
 * and openssl ts. pdfsig and mutool exit 0 even on failure, so their text is what we assert.
 */
let pki: TestPki;
let work: string;
let tsa: Awaited<ReturnType<typeof startOpensslTsa>>;
let devSealer: Sealer;
let devRoot: Uint8Array;
let p12Sealer: Sealer;

const file = (name: string, bytes: Uint8Array) => {
  const p = join(work, name);
  writeFileSync(p, bytes);
  return p;
};

async function contract(pages = 2): Promise<PDFDocument> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < pages; i++) doc.addPage().drawText(`Supply contract, page ${i + 1}`, { x: 60, y: 760, size: 14, font });
  return doc;
}

const stampInput = (development: boolean) => ({
  publicId: 'B24S-TEST-SEAL-0001',
  verifyUrl: 'http://b24sign.test/v/B24S-TEST-SEAL-0001',
  lang: 'en',
  title: 'Supply contract № 7 — Договор поставки — Σύμβαση',
  parties: [
    { name: 'Anna Rossi', role: 'signer', party: 'company', method: 'typed', signedAt: new Date('2026-01-15T10:00:00Z'), timeZone: 'Europe/Rome', ip: '198.51.100.4', email: 'anna@example.com' },
    { name: 'Иван Петров', role: 'signer', party: 'client', method: 'drawn', signedAt: new Date('2026-01-15T11:30:00Z'), timeZone: 'Europe/Moscow', ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (iPhone)' },
    { name: 'Γιώργος Παπαδόπουλος', role: 'approver', party: 'client', method: 'approved', signedAt: new Date('2026-01-15T12:00:00Z'), timeZone: 'Europe/Athens', ip: '192.0.2.1' },
  ],
  originalSha256: 'a'.repeat(64),
  auditHead: 'b'.repeat(64),
  development,
});

/** The file rewritten by qpdf without object streams, so dictionaries can be read as text. */
function expanded(pdf: Uint8Array): string {
  const src = file(`x-${Math.random().toString(36).slice(2)}.pdf`, pdf);
  const out = `${src}.qdf`;
  run('qpdf', ['--qdf', '--object-streams=disable', src, out]);
  return readFileSync(out, 'latin1');
}

function pdfsig(path: string) {
  const r = run('pdfsig', [path]);
  return r.stdout + r.stderr;
}
function mutoolVerify(path: string) {
  const r = run('mutool', ['sign', '-v', path]);
  return r.stdout + r.stderr;
}
function opensslCmsVerify(pdf: Uint8Array, caFile: string) {
  const { signed, cms } = extractLastSignature(pdf);
  const sig = file(`sig-${Math.random().toString(36).slice(2)}.p7s`, cms);
  const content = file(`content-${Math.random().toString(36).slice(2)}.bin`, signed);
  return run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', content, '-CAfile', caFile, '-purpose', 'any', '-out', '/dev/null']);
}

beforeAll(async () => {
  pki = makeTestPki();
  work = mkdtempSync(join(tmpdir(), 'b24-seal-'));
  tsa = await startOpensslTsa(pki);
  const dev = await loadSealIdentity({}, { dataDir: work });
  devSealer = await createSealer(dev);
  devRoot = dev.chain[dev.chain.length - 1]!;
  writeFileSync(join(work, 'devroot.der'), devRoot);
  run('openssl', ['x509', '-inform', 'DER', '-in', join(work, 'devroot.der'), '-out', join(work, 'devroot.pem')]);
  const p12 = await loadSealIdentity({ SEAL_P12_PATH: pki.rsaP12, SEAL_P12_PASSPHRASE: pki.passphrase }, { dataDir: work });
  p12Sealer = await createSealer(p12, { tsaUrl: tsa.url });
}, 120_000);

afterAll(async () => {
  await tsa?.close();
  pki?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('development seal on a stamped document (B-B)', () => {
  let sealed: Uint8Array;
  let sha256: string;
  beforeAll(async () => {
    const doc = await contract();
    await stampAndAppendCertificate(doc, stampInput(true));
    ({ bytes: sealed, sha256 } = await sealPdf(doc, devSealer));
  });

  it('returns the SHA-256 of exactly the bytes it returns', async () => {
    const { createHash } = await import('node:crypto');
    expect(sha256).toBe(createHash('sha256').update(sealed).digest('hex'));
  });

  it('hashes alike without a native hasher (Workers: WebCrypto), the signed digest and the file hash both', async () => {
    const bytes = await (async () => {
      const doc = await contract();
      await stampAndAppendCertificate(doc, stampInput(true));
      return doc.save();
    })();
    const { createHash } = await import('node:crypto');
    const results = [];
    for (const platform of [portableHasher, nodeHasher]) {
      installHasher(platform);
      try {
        const r = await sealPdf(bytes.slice(), devSealer);
        expect(r.sha256).toBe(createHash('sha256').update(r.bytes).digest('hex'));
        expect((await verifyPdf(r.bytes, { trustRoots: [] })).signatures[0]?.intact, platform === nodeHasher ? 'native' : 'portable').toBe(true);
        results.push(r);
      } finally {
        installHasher(nodeHasher);
      }
    }
    expect(results.map((r) => r.bytes.length)).toEqual([results[0]!.bytes.length, results[0]!.bytes.length]);
  });

  it('pdfsig: valid, total document signed, PAdES subfilter', () => {
    const out = pdfsig(file('dev.pdf', sealed));
    expect(out).toContain('Signature Validation: Signature is Valid.');
    expect(out).toContain('Total document signed');
    expect(out).toContain('Signature Type: ETSI.CAdES.detached');
    expect(out.match(/Signature #/g)).toHaveLength(1);
  });

  it('mutool: unchanged since signing', () => {
    expect(mutoolVerify(file('dev-m.pdf', sealed))).toContain('The document is unchanged since signing.');
  });

  it('openssl cms -verify accepts the CMS against the development root', () => {
    const r = opensslCmsVerify(sealed, join(work, 'devroot.pem'));
    expect(r.stderr).toContain('Verification successful');
    expect(r.code).toBe(0);
  });

  it('carries the PAdES B-B attributes: signing-certificate-v2, no signing-time', () => {
    const p7s = file('dev.p7s', extractLastSignature(sealed).cms);
    const printed = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', p7s]).stdout;
    expect(printed).toMatch(/signingCertificateV2|1\.2\.840\.113549\.1\.9\.16\.2\.47/);
    expect(printed).toContain('messageDigest');
    expect(printed).not.toContain('signingTime');
  });

  it('qpdf finds no structural errors', () => {
    const r = run('qpdf', ['--check', file('dev-q.pdf', sealed)]);
    expect(r.stdout).toContain('No syntax or stream encoding errors found');
  });

  it('our verifier: sealed by us and unchanged', async () => {
    const r = await verifyPdf(sealed, { trustRoots: [devRoot], ownCertificates: devSealer.certificates });
    expect(r.verdict).toBe('sealed_unchanged');
    expect(r.signatures[0]).toMatchObject({ intact: true, trusted: true, ours: true, coversWholeFile: true, padesBaseline: 'B-B' });
  });

  it('every page says "development certificate" and the certificate page renders Latin, Cyrillic and Greek', () => {
    const path = file('dev-t.pdf', sealed);
    const text = run('pdftotext', ['-layout', path, '-']).stdout;
    const pages = text.split('\f').filter((p) => p.trim());
    expect(pages.length).toBe(3);
    for (const p of pages) {
      expect(p).toContain('DEVELOPMENT CERTIFICATE');
      expect(p).toContain('B24S-TEST-SEAL-0001');
    }
    expect(text).toContain('Certificate of completion');
    expect(text).toContain('Иван Петров');
    expect(text).toContain('Γιώργος Παπαδόπουλος');
    expect(text).toContain('2026-01-15 14:30:00 GMT+03:00 (Europe/Moscow)');
    const fonts = run('pdffonts', [path]).stdout;
    expect(fonts).toContain('DejaVuSans');
    // Rasterising must not complain about fonts or glyphs.
    const ppm = run('pdftoppm', ['-r', '30', '-png', path, join(work, 'page')]);
    expect(ppm.code).toBe(0);
    expect(ppm.stderr).toBe('');
  });

  it('links the QR code and the stripe to /v/<publicId>', () => {
    const raw = expanded(sealed);
    expect(raw.match(/\/URI \(http:\/\/b24sign\.test\/v\/B24S-TEST-SEAL-0001\)/g)?.length).toBe(6);
  });

  describe('one flipped byte', () => {
    let flipped: Uint8Array;
    beforeAll(() => {
      flipped = flipByte(sealed);
    });
    it('pdfsig reports a digest mismatch', () => {
      const out = pdfsig(file('flip.pdf', flipped));
      expect(out).toContain('Digest Mismatch');
      expect(out).not.toContain('Signature is Valid');
    });
    it('mutool reports the change', () => {
      const out = mutoolVerify(file('flip-m.pdf', flipped));
      expect(out).toMatch(/invalidated by change|Digest error/);
      expect(out).not.toContain('unchanged since signing');
    });
    it('openssl cms -verify fails', () => {
      const r = opensslCmsVerify(flipped, join(work, 'devroot.pem'));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('Verification failure');
    });
    it('our verifier: signature broken', async () => {
      const r = await verifyPdf(flipped, { trustRoots: [devRoot], ownCertificates: devSealer.certificates });
      expect(r.verdict).toBe('signature_broken');
      expect(r.signatures[0]?.problem).toMatch(/changed after signing/);
    });
  });

  describe('an appended incremental update', () => {
    let appended: Uint8Array;
    beforeAll(() => {
      appended = appendIncrementalUpdate(sealed);
    });
    it('the update is well formed (qpdf reads the new Info)', () => {
      const path = file('append-q.pdf', appended);
      expect(run('qpdf', ['--check', path]).stdout).toContain('No syntax or stream encoding errors found');
      expect(run('pdfinfo', [path]).stdout).toContain('Changed after sealing');
    });
    it('pdfsig: not total document signed', () => {
      const out = pdfsig(file('append.pdf', appended));
      expect(out).toContain('Not total document signed');
    });
    it('mutool: edits since signing', () => {
      expect(mutoolVerify(file('append-m.pdf', appended))).toContain('there have been edits since signing');
    });
    it('openssl cms still verifies the declared ranges: it cannot see PDF revisions (why the PDF-level checks exist)', () => {
      const r = opensslCmsVerify(appended, join(work, 'devroot.pem'));
      expect(r.code).toBe(0);
      const { byteRange } = extractLastSignature(appended);
      expect(byteRange[2]! + byteRange[3]!).toBeLessThan(appended.length);
    });
    it('our verifier: modified after sealing', async () => {
      const r = await verifyPdf(appended, { trustRoots: [devRoot], ownCertificates: devSealer.certificates });
      expect(r.verdict).toBe('modified_after_sealing');
      expect(r.signatures[0]).toMatchObject({ intact: true, ours: true, coversWholeFile: false });
      expect(r.signatures[0]!.bytesAfter).toBe(appended.length - sealed.length);
    });
  });
});

describe('PKCS#12 seal with an RFC 3161 timestamp (B-T)', () => {
  let sealed: Uint8Array;
  beforeAll(async () => {
    const before = tsa.requests();
    ({ bytes: sealed } = await sealPdf(await (await contract(1)).save(), p12Sealer));
    expect(tsa.requests()).toBe(before + 1);
  });

  it('pdfsig and mutool accept it; openssl cms verifies against the test root', () => {
    const path = file('bt.pdf', sealed);
    expect(pdfsig(path)).toContain('Signature is Valid.');
    expect(pdfsig(path)).toContain('Total document signed');
    expect(mutoolVerify(path)).toContain('unchanged since signing');
    expect(opensslCmsVerify(sealed, pki.rootPem).code).toBe(0);
  });

  it('openssl ts -verify accepts the embedded timestamp token', () => {
    const { cms } = extractLastSignature(sealed);
    const ci = pkijs.ContentInfo.fromBER(new Uint8Array(cms).buffer);
    const sd = new pkijs.SignedData({ schema: ci.content });
    const si = sd.signerInfos[0]!;
    const token = si.unsignedAttrs!.attributes.find((a) => a.type === '1.2.840.113549.1.9.16.2.14')!.values[0] as asn1js.Sequence;
    const tokenPath = file('token.der', new Uint8Array(token.toBER(false)));
    const sigValue = file('sigvalue.bin', new Uint8Array(si.signature.valueBlock.valueHexView));
    const r = run('openssl', ['ts', '-verify', '-data', sigValue, '-in', tokenPath, '-token_in', '-CAfile', pki.rootPem, '-untrusted', join(pki.dir, 'tsa.pem')]);
    expect(r.stdout + r.stderr).toContain('Verification: OK');
  });

  it('our verifier: B-T with a verified timestamp, a valid signature from a non-own signer when trust roots differ', async () => {
    const asOurs = await verifyPdf(sealed, { trustRoots: [pki.rootDer], ownCertificates: p12Sealer.certificates });
    expect(asOurs.verdict).toBe('sealed_unchanged');
    const sig = asOurs.signatures[0]!;
    expect(sig.padesBaseline).toBe('B-T');
    expect(sig.timestamp).toMatchObject({ verified: true, trusted: true });
    expect(Math.abs(Date.parse(sig.timestamp!.time!) - Date.now())).toBeLessThan(5 * 60_000);
    const asOther = await verifyPdf(sealed, { trustRoots: [devRoot], ownCertificates: devSealer.certificates });
    expect(asOther.verdict).toBe('valid_other_signer');
    expect(asOther.signatures[0]).toMatchObject({ intact: true, trusted: false, ours: false });
  });
});

describe('timestamp authority failures', () => {
  const sealerWith = async (f: typeof fetch) => {
    const id = await loadSealIdentity({ SEAL_P12_PATH: pki.rsaP12, SEAL_P12_PASSPHRASE: pki.passphrase }, { dataDir: work });
    return createSealer(id, { tsaUrl: tsa.url, fetch: f, tsaTimeoutMs: 2000 });
  };

  it('an unreachable TSA, an HTTP error and a garbage reply fail the seal with TSA_UNAVAILABLE', async () => {
    const down = await sealerWith(async () => {
      throw new TypeError('fetch failed');
    });
    await expect(sealPdf(await contract(1), down)).rejects.toMatchObject({ code: 'TSA_UNAVAILABLE' });
    const http500 = await sealerWith(async () => new Response('no', { status: 500 }));
    await expect(sealPdf(await contract(1), http500)).rejects.toMatchObject({ code: 'TSA_UNAVAILABLE' });
    const garbage = await sealerWith(async () => new Response(new Uint8Array([1, 2, 3]), { status: 200 }));
    await expect(sealPdf(await contract(1), garbage)).rejects.toMatchObject({ code: 'TSA_UNAVAILABLE' });
  });

  it('a genuine token for a different request is refused (imprint and nonce are checked)', async () => {
    // Forward a different query (another digest, no nonce) to the real TSA and hand its valid reply back.
    const swapped = await sealerWith(async (url) => {
      const q = join(work, `other-${Math.random().toString(36).slice(2)}.tsq`);
      run('openssl', ['ts', '-query', '-digest', 'ab'.repeat(32), '-sha256', '-cert', '-no_nonce', '-out', q]);
      return fetch(url as string, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: readFileSync(q) });
    });
    const err = await sealPdf(await contract(1), swapped).catch((e) => e);
    expect(err).toMatchObject({ code: 'TSA_UNAVAILABLE' });
    expect(err.message).toMatch(/different value|nonce/);
  });
});

describe('other inputs', () => {
  it('seals with an ECDSA P-256 certificate', async () => {
    const id = await loadSealIdentity({ SEAL_P12_PATH: pki.ecP12, SEAL_P12_PASSPHRASE: pki.passphrase }, { dataDir: work });
    const { bytes } = await sealPdf(await contract(1), await createSealer(id));
    const path = file('ec.pdf', bytes);
    expect(pdfsig(path)).toContain('Signature is Valid.');
    expect(mutoolVerify(path)).toContain('unchanged since signing');
    expect(opensslCmsVerify(bytes, pki.rootPem).code).toBe(0);
  });

  it('writes large streams byte-exact (bulk copy in place of pdf-lib’s byte loop)', async () => {
    const doc = await contract(1);
    const data = new Uint8Array(300_000);
    for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
    await doc.attach(data, 'annex.bin', { mimeType: 'application/octet-stream' });
    const { bytes } = await sealPdf(await PDFDocument.load(await doc.save()), devSealer);
    const path = file('attach.pdf', bytes);
    expect(pdfsig(path)).toContain('Signature is Valid.');
    expect(run('qpdf', ['--check', path]).stdout).toContain('No syntax or stream encoding errors found');
    const out = join(work, 'annex-out.bin');
    run('pdfdetach', ['-save', '1', '-o', out, path]);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(data))).toBe(true);
  });

  it('never re-saves a signed document whole; from its bytes it is sealed incrementally instead', async () => {
    const { bytes } = await sealPdf(await contract(1), devSealer);
    // A pdf-lib document opened without an incremental snapshot would be rewritten: refused.
    await expect(sealPdf(await PDFDocument.load(bytes), devSealer)).rejects.toMatchObject({ code: 'PDF_ALREADY_SIGNED' });
    const again = await sealPdf(bytes, devSealer);
    expect(Buffer.from(again.bytes.subarray(0, bytes.length)).equals(Buffer.from(bytes))).toBe(true);
    const out = pdfsig(file('twice.pdf', again.bytes));
    expect(out.match(/Signature is Valid\./g)).toHaveLength(2);
  });

  it('refuses a file whose certification signature allows no changes (DocMDP P=1)', async () => {
    const doc = await contract(1);
    const ctx = doc.context;
    const sig = ctx.register(ctx.obj({ Type: 'Sig', Reference: [{ Type: 'SigRef', TransformMethod: 'DocMDP', TransformParams: { Type: 'TransformParams', P: 1, V: '1.2' } }] }));
    doc.catalog.set(PDFName.of('Perms'), ctx.obj({ DocMDP: sig }));
    await expect(sealPdf(await doc.save(), devSealer)).rejects.toMatchObject({ code: 'PDF_CERTIFIED_LOCKED' });
  });

  it('refuses encrypted and unreadable input with specific codes', async () => {
    const { readFileSync } = await import('node:fs');
    const encrypted = new Uint8Array(readFileSync('test/fixtures/pdfs/qpdf--V4-aes.pdf'));
    await expect(sealPdf(encrypted, devSealer)).rejects.toMatchObject({ code: 'PDF_ENCRYPTED' });
    await expect(sealPdf(new TextEncoder().encode('hello'), devSealer)).rejects.toMatchObject({ code: 'PDF_INVALID' });
  });

  it('the same CMS works through @signpdf: PadesSigner with signpdf.sign', async () => {
    const doc = await contract(1);
    pdflibAddPlaceholder({ pdfDoc: doc, reason: 'test', contactInfo: '', name: 'b24-sign', location: '', signatureLength: devSealer.contentsHexLength, subFilter: 'ETSI.CAdES.detached' });
    const signed = await new SignPdf().sign(Buffer.from(await doc.save()), new PadesSigner(devSealer));
    const out = pdfsig(file('signpdf.pdf', signed));
    expect(out).toContain('Signature is Valid.');
    expect(out).toContain('Total document signed');
  });

  it('keeps an existing rotated page readable: stamp drawn in visual space, link inside the page', async () => {
    const doc = await contract(1);
    const { degrees } = await import('pdf-lib');
    doc.getPage(0).setRotation(degrees(90));
    await stampAndAppendCertificate(doc, stampInput(false));
    const { bytes } = await sealPdf(doc, devSealer);
    const path = file('rot.pdf', bytes);
    expect(pdfsig(path)).toContain('Signature is Valid.');
    const text = run('pdftotext', ['-f', '1', '-l', '1', path, '-']).stdout;
    expect(text).toContain('B24S-TEST-SEAL-0001');
    // The stripe's link rectangle is mapped back into the rotated page's user space.
    const page = doc.getPage(0);
    const { width, height } = page.getSize();
    // Read-only load to inspect the annotations (the sealed file itself is never re-saved).
    const reread = await PDFDocument.load(bytes);
    const { PDFArray, PDFDict, PDFName } = await import('pdf-lib');
    const annots = reread.getPage(0).node.lookup(PDFName.of('Annots'), PDFArray);
    const rects = annots
      .asArray()
      .map((r) => reread.context.lookup(r, PDFDict))
      .filter((a) => a.get(PDFName.of('Subtype')) === PDFName.of('Link'))
      .map((a) => a.lookup(PDFName.of('Rect'), PDFArray).asArray().map((n) => Number(n.toString())));
    expect(rects.length).toBe(2);
    const first = rects[0]!;
    expect(first[2]).toBeLessThanOrEqual(width + 0.01);
    expect(first[0]).toBeGreaterThan(width - 80);
    expect(first[3]).toBeLessThanOrEqual(height + 0.01);
  });
});
