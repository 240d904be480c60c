import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, StandardFonts, decodePDFRawStream } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLongTermEvidence, appendDocumentTimestamp, appendDss, certificatesWithoutRevocationUrls, collectValidationData, lastSignature, LongTermEvidenceError, vriKey } from '../../src/documents/seal/long-term.js';
import { createSealer, sealPdf, type Sealer } from '../../src/documents/seal/sealer.js';
import { extractTimestampTokens } from '../../src/documents/timestamp-tokens.js';
import { verifyPdf } from '../../src/documents/verify/verifier.js';
import { publicVerifyResult } from '../../src/documents/verify/projection.js';
import { renderVerdictHtml } from '../../src/doors/verify.js';
import { createOutboundFetch } from '../../src/entry/outbound-fetch.js';
import { loadSealIdentity } from '../../src/entry/seal-identity.js';
import { makeLtvPki, type LtvPki } from '../helpers/ltv-pki.js';
import { appendIncrementalUpdate, run } from '../helpers/seal-pki.js';

/**
 * PAdES B-LT / B-LTA against live revocation services: a two-level CA whose seal certificate names
 * an `openssl ocsp` responder and whose TSA certificate names only a CRL, and a local `openssl ts`
 * TSA. Every object the DSS holds is handed to openssl on its own; the timestamps go through
 * `openssl ts -verify`, the signatures through pdfsig, the whole file through our verifier.
 */
let pki: LtvPki;
let work: string;
let sealer: Sealer;
let outbound: typeof fetch;
let bt: Uint8Array;
let lta: Awaited<ReturnType<typeof addLongTermEvidence>>;

const file = (name: string, bytes: Uint8Array | string) => {
  const p = join(work, name);
  writeFileSync(p, bytes);
  return p;
};

async function sealedContract(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < 2; i++) doc.addPage().drawText(`Supply contract, page ${i + 1}`, { x: 60, y: 760, size: 14, font });
  return (await sealPdf(doc, sealer)).bytes;
}

/** The DSS as pdf-lib reads it (a parser we did not write for this). */
async function readDss(pdf: Uint8Array) {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const dss = doc.catalog.lookup(PDFName.of('DSS'), PDFDict);
  const streams = (key: string) => {
    const arr = dss.lookupMaybe(PDFName.of(key), PDFArray);
    return (arr?.asArray() ?? []).map((r) => {
      const s = doc.context.lookup(r) as PDFRawStream;
      return s.dict.get(PDFName.of('Filter')) ? decodePDFRawStream(s).decode() : s.contents;
    });
  };
  const vri = dss.lookup(PDFName.of('VRI'), PDFDict);
  return { certs: streams('Certs'), ocsps: streams('OCSPs'), crls: streams('CRLs'), vriKeys: vri.keys().map((k) => k.asString().slice(1)), vri };
}

function byteRanges(pdf: Uint8Array): number[][] {
  return [...Buffer.from(pdf).toString('latin1').matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].map((m) => m.slice(1, 5).map(Number));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'b24-ltv-'));
  pki = await makeLtvPki();
  const identity = await loadSealIdentity({ SEAL_P12_PATH: pki.sealP12, SEAL_P12_PASSPHRASE: pki.passphrase }, { dataDir: work });
  // The service's own guarded fetch (loopback allowed, as BITRIX24_ALLOW_INSECURE_ENDPOINTS does in tests).
  outbound = createOutboundFetch({ privateHosts: [], allowLoopback: true });
  sealer = await createSealer(identity, { tsaUrl: pki.tsaUrl, fetch: outbound });
  bt = await sealedContract();
  lta = await addLongTermEvidence(new Uint8Array(bt), { tsaUrl: pki.tsaUrl, fetch: outbound });
}, 120_000);

afterAll(async () => {
  await pki?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('B-T → B-LTA on a sealed document', () => {
  it('appends to the sealed file: the B-T bytes are a prefix, and qpdf finds the result sound', () => {
    expect(Buffer.from(lta.bytes.subarray(0, bt.length)).equals(Buffer.from(bt))).toBe(true);
    expect(lta.sha256).toBe(createHash('sha256').update(lta.bytes).digest('hex'));
    const check = run('qpdf', ['--check', file('lta.pdf', lta.bytes)]);
    expect(check.stdout + check.stderr).toContain('No syntax or stream encoding errors');
  });

  it('fetched an OCSP response for the seal (AIA) and CRLs for the TSA and the issuing CA (distribution points)', () => {
    expect(lta.validation.sources).toEqual(
      expect.arrayContaining([
        { certificate: 'CN=Test LTV seal, O=b24-sign tests', kind: 'ocsp', url: pki.ocspUrl },
        { certificate: 'CN=Test LTV Issuing CA, O=b24-sign tests', kind: 'crl', url: `${pki.httpBase}/root.crl` },
        { certificate: 'CN=Test LTV TSA, O=b24-sign tests', kind: 'crl', url: `${pki.httpBase}/issuing.crl` },
      ]),
    );
    // The issuing CA appears in both chains; its revocation data is fetched once.
    expect(lta.validation.sources).toHaveLength(3);
  });

  it('the DSS holds every certificate of both chains, and /VRI is keyed by the SHA-1 of the seal /Contents', async () => {
    const dss = await readDss(lta.bytes);
    const subjects = dss.certs.map((c) => run('openssl', ['x509', '-inform', 'DER', '-in', file(`c-${createHash('sha1').update(c).digest('hex')}.der`, c), '-noout', '-subject']).stdout.trim());
    for (const cn of ['Test LTV seal', 'Test LTV Issuing CA', 'Test LTV Root CA', 'Test LTV TSA']) expect(subjects.some((s) => s.includes(`CN = ${cn}`)), cn).toBe(true);
    const { contents } = lastSignature(bt);
    expect(dss.vriKeys).toEqual([vriKey(contents)]);
    expect(vriKey(contents)).toBe(createHash('sha1').update(contents).digest('hex').toUpperCase());
    const entry = dss.vri.lookup(PDFName.of(vriKey(contents)), PDFDict);
    expect(entry.lookup(PDFName.of('OCSP'), PDFArray).size()).toBe(dss.ocsps.length);
    expect(entry.lookup(PDFName.of('CRL'), PDFArray).size()).toBe(dss.crls.length);
  });

  it('each OCSP response in the DSS is accepted by openssl ocsp -respin: signed by the issuing CA, seal certificate good', async () => {
    const dss = await readDss(lta.bytes);
    expect(dss.ocsps).toHaveLength(1);
    const resp = file('ocsp.der', dss.ocsps[0]!);
    const text = run('openssl', ['ocsp', '-respin', resp, '-resp_text', '-noverify']).stdout;
    expect(text).toContain('OCSP Response Status: successful');
    expect(text).toContain('Cert Status: good');
    const checked = run('openssl', ['ocsp', '-respin', resp, '-CAfile', pki.rootPem, '-verify_other', pki.issuingPem, '-issuer', pki.issuingPem, '-cert', join(pki.dir, 'seal.pem')]);
    expect(checked.stdout + checked.stderr).toContain('Response verify OK');
    expect(checked.stdout).toMatch(/seal\.pem: good/);
  });

  it('each CRL in the DSS verifies with openssl crl against its issuer and lists nothing we rely on', async () => {
    const dss = await readDss(lta.bytes);
    expect(dss.crls).toHaveLength(2);
    const issuers = dss.crls.map((crl, i) => {
      const p = file(`crl-${i}.der`, crl);
      const r = run('openssl', ['crl', '-inform', 'DER', '-in', p, '-CAfile', pki.chainPem, '-noout', '-issuer', '-text']);
      expect(r.stderr).toContain('verify OK');
      expect(r.stdout).toContain('No Revoked Certificates');
      return r.stdout.split('\n')[0];
    });
    expect(issuers.sort()).toEqual(['issuer=CN = Test LTV Issuing CA, O = b24-sign tests', 'issuer=CN = Test LTV Root CA, O = b24-sign tests']);
  });

  it('the signature timestamp and the document timestamp pass openssl ts -verify over what they stamp', () => {
    const tokens = extractTimestampTokens(lta.bytes);
    expect(tokens.map((t) => t.name)).toEqual(['signature-1', 'document-timestamp-2']);
    const ranges = byteRanges(lta.bytes);
    expect(ranges).toHaveLength(2);
    for (const [i, t] of tokens.entries()) {
      const [a, b, c, d] = ranges[i]!;
      const data = t.stamped ?? Buffer.concat([lta.bytes.subarray(a!, a! + b!), lta.bytes.subarray(c!, c! + d!)]);
      const ok = run('openssl', ['ts', '-verify', '-in', file(`${t.name}.tsr`, t.tsr), '-data', file(`${t.name}.data`, data), '-CAfile', pki.rootPem, '-untrusted', pki.chainPem]);
      expect(ok.stdout + ok.stderr, t.name).toContain('Verification: OK');
    }
    // The document timestamp reaches the end of the file: it covers the DSS.
    const [, b, c, d] = ranges[1]!;
    expect(c! + d!).toBe(lta.bytes.length);
    expect(b).toBeGreaterThan(bt.length);
  });

  it('pdfsig: the seal is valid over its revision; the document timestamp is the field that signs the total document', () => {
    const r = run('pdfsig', [file('lta-pdfsig.pdf', lta.bytes)]);
    const out = r.stdout + r.stderr;
    const [one, two] = out.split('Signature #2:');
    expect(one).toMatch(/Signature Field Name: b24-sign seal[\s\S]*Signature Type: ETSI\.CAdES\.detached[\s\S]*Signature Validation: Signature is Valid/);
    // poppler does not validate RFC 3161 document timestamps ("Unable to validate this type of
    // signature"); openssl ts -verify above is their check.
    expect(two).toMatch(/Signature Field Name: b24-sign document timestamp[\s\S]*Signer Certificate Common Name: Test LTV TSA[\s\S]*Total document signed/);
  });

  it('our verifier: sealed and unchanged, level B-LTA; the B-T file reads B-T and the file with only the DSS B-LT', async () => {
    const opts = { trustRoots: [pki.rootDer], ownCertificates: sealer.certificates };
    const r = await verifyPdf(lta.bytes, opts);
    expect(r.verdict).toBe('sealed_unchanged');
    expect(r.padesLevel).toBe('B-LTA');
    expect(r.signatures[0]!.padesBaseline).toBe('B-LTA');
    expect(r.signatures[1]!.kind).toBe('document-timestamp');
    expect(r.signatures[1]!.intact).toBe(true);
    expect((await verifyPdf(bt, opts)).padesLevel).toBe('B-T');
    const dssOnly = await appendDss(bt, lastSignature(bt).contents, lta.validation, new Date());
    const lt = await verifyPdf(dssOnly, opts);
    expect(lt.verdict).toBe('sealed_unchanged');
    expect(lt.padesLevel).toBe('B-LT');
  });

  it('our verifier: a DSS without revocation data for every certificate is not B-LT; a change after the timestamp is still a modification', async () => {
    const opts = { trustRoots: [pki.rootDer], ownCertificates: sealer.certificates };
    const partial = await appendDss(bt, lastSignature(bt).contents, { ...lta.validation, crls: [] }, new Date());
    const r = await verifyPdf(partial, opts);
    expect(r.padesLevel).toBe('B-T');
    expect(r.notes.join(' ')).toMatch(/no revocation data for .*Test LTV TSA/);
    // The /v page says why in its own language: the certificate names are parameters, no English sentence.
    const missing = r.signatures[0]!.codes?.longTermProblem;
    expect(missing).toMatchObject({ code: 'no_revocation_data', params: { certificates: expect.stringContaining('Test LTV TSA') } });
    const ru = await renderVerdictHtml('ru', publicVerifyResult(r));
    expect(ru).toContain(`В данных проверки файла (DSS) нет сведений об отзыве для: ${missing!.params!.certificates}.`);
    expect(ru).not.toContain('no revocation data');
    const tampered = await verifyPdf(appendIncrementalUpdate(lta.bytes), opts);
    expect(tampered.verdict).toBe('modified_after_sealing');
  });

  it('our verifier: an OCSP response signed by a CA that did not issue the certificate does not count', async () => {
    // openssl answers for the seal certificate, but signs with the root's key (not the issuer, not delegated).
    const d = pki.dir;
    expect(run('openssl', ['ocsp', '-issuer', pki.issuingPem, '-cert', join(d, 'seal.pem'), '-reqout', join(d, 'forged.req'), '-no_nonce']).code).toBe(0);
    const made = run('openssl', ['ocsp', '-index', join(d, 'issuing', 'index.txt'), '-rsigner', pki.rootPem, '-rkey', join(d, 'root.key'), '-CA', pki.issuingPem, '-reqin', join(d, 'forged.req'), '-respout', join(d, 'forged.der')]);
    expect(made.code, made.stderr).toBe(0);
    expect(run('openssl', ['ocsp', '-respin', join(d, 'forged.der'), '-resp_text', '-noverify']).stdout).toContain('Cert Status: good');
    // Only the root's CRL (for the issuing CA): the seal's status rests on the forged response alone.
    const forged = await appendDss(bt, lastSignature(bt).contents, { ...lta.validation, ocsps: [new Uint8Array(readFileSync(join(d, 'forged.der')))], crls: [new Uint8Array(readFileSync(join(d, 'root.crl')))] }, new Date());
    const r = await verifyPdf(forged, { trustRoots: [pki.rootDer], ownCertificates: sealer.certificates });
    expect(r.padesLevel).toBe('B-T');
    expect(r.signatures[0]!.longTermProblem).toMatch(/no revocation data for CN=Test LTV seal/);
  });
});

describe('B-LTA on an uploaded PDF with a cross-reference stream and object streams', () => {
  it('the DSS and the timestamp are appended as xref-stream updates; qpdf, pdfsig, openssl and our verifier agree', async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    doc.addPage().drawText('Uploaded offer', { x: 60, y: 760, size: 14, font });
    const original = await doc.save({ useObjectStreams: true });
    expect(Buffer.from(original).toString('latin1')).toContain('/Type /XRef');
    const sealed = (await sealPdf(new Uint8Array(original), sealer)).bytes;
    const out = await addLongTermEvidence(new Uint8Array(sealed), { tsaUrl: pki.tsaUrl, fetch: outbound });
    expect(Buffer.from(out.bytes.subarray(0, original.length)).equals(Buffer.from(original))).toBe(true);
    // Both new updates keep the original's kind of cross-reference section.
    expect((Buffer.from(out.bytes.subarray(sealed.length)).toString('latin1').match(/\/Type \/XRef/g) ?? []).length).toBe(2);
    const path = file('upload-lta.pdf', out.bytes);
    expect(run('qpdf', ['--check', path]).stdout).toContain('No syntax or stream encoding errors');
    expect(run('pdfsig', [path]).stdout).toMatch(/Signature #1:[\s\S]*Signature is Valid[\s\S]*Signature #2:[\s\S]*b24-sign document timestamp/);
    const r = await verifyPdf(out.bytes, { trustRoots: [pki.rootDer], ownCertificates: sealer.certificates });
    expect(r.verdict).toBe('sealed_unchanged');
    expect(r.padesLevel).toBe('B-LTA');
  });
});

describe('start-up warning', () => {
  it('names the seal certificates without an OCSP or CRL URL (the development seal), and none for a chain that has them', async () => {
    expect(certificatesWithoutRevocationUrls(sealer.certificates)).toEqual([]);
    const dev = await loadSealIdentity({}, { dataDir: mkdtempSync(join(work, 'dev-')) });
    const missing = certificatesWithoutRevocationUrls(dev.chain);
    expect(missing).toHaveLength(dev.chain.length - 1);
    expect(missing[0]).toContain(dev.subjectCommonName);
  });
});

describe('the level of files we did not make', () => {
  it("pyHanko's B-LTA files: the signature under a document timestamp reads B-LTA even though a later DSS update follows the timestamp; a signature after the last timestamp B-LT", async () => {
    const read = async (name: string) => verifyPdf(new Uint8Array(readFileSync(`test/fixtures/pdfs/${name}`)), { trustRoots: [] });
    const one = await read('pyhanko--pades-lta-dss-indirect-arrs-test.pdf');
    expect(one.signatures.map((s) => [s.kind, s.padesBaseline])).toEqual([['signature', 'B-LTA'], ['document-timestamp', null]]);
    expect(one.padesLevel).toBe('B-LTA');
    const two = await read('pyhanko--pades-lta-dss-indirect-arrs-test-2.pdf');
    expect(two.signatures.map((s) => s.padesBaseline)).toEqual(['B-LTA', null, 'B-LT']);
    expect(two.padesLevel).toBe('B-LT');
  });

  it('a document timestamp over a revision without the DSS does not make B-LTA', async () => {
    const { bytes: stamped } = await appendDocumentTimestamp(new Uint8Array(bt), { tsaUrl: pki.tsaUrl, fetch: outbound });
    const dssAfter = await appendDss(stamped, lastSignature(bt).contents, lta.validation, new Date());
    const r = await verifyPdf(dssAfter, { trustRoots: [pki.rootDer], ownCertificates: sealer.certificates });
    expect(r.verdict).toBe('sealed_unchanged');
    expect(r.padesLevel).toBe('B-LT');
  });
});

describe('when revocation data cannot be had', () => {
  it('the OCSP responder down: the seal certificate falls back to its CRL distribution point', async () => {
    await pki.stopOcsp();
    const data = await collectValidationData(lastSignature(bt).chains, { tsaUrl: pki.tsaUrl, fetch: outbound, timeoutMs: 3000 });
    expect(data.sources).toContainEqual({ certificate: 'CN=Test LTV seal, O=b24-sign tests', kind: 'crl', url: `${pki.httpBase}/issuing.crl` });
    expect(data.ocsps).toHaveLength(0);
  });

  it('neither OCSP nor the CRL: a LongTermEvidenceError naming the certificate and every URL tried', async () => {
    pki.breakPath('/issuing.crl');
    const err = await addLongTermEvidence(new Uint8Array(bt), { tsaUrl: pki.tsaUrl, fetch: outbound, timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LongTermEvidenceError);
    const e = err as LongTermEvidenceError;
    expect(e.code).toBe('LTV_UNAVAILABLE');
    expect(e.message).toContain('Test LTV seal');
    expect(e.attempts.map((a) => a.url)).toEqual([pki.ocspUrl, `${pki.httpBase}/issuing.crl`]);
    expect(e.attempts[0]!.problem).toMatch(/could not connect/);
    expect(e.attempts[1]!.problem).toBe('HTTP 404');
  });

  it('a revoked TSA certificate is refused, not written into the DSS', async () => {
    pki.repairPath('/issuing.crl');
    pki.revoke('tsa');
    const err = await collectValidationData(lastSignature(bt).chains, { tsaUrl: pki.tsaUrl, fetch: outbound, timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LongTermEvidenceError);
    expect((err as Error).message).toMatch(/Test LTV TSA.*is revoked/);
  });
});
