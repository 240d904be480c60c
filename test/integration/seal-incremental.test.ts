import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openIncremental, readLastXref, saveIncremental } from '../../src/documents/seal/incremental.js';
import { xrefChainIsSound } from '../../src/documents/seal/lazy-pdf.js';
import { loadSealIdentity } from '../../src/entry/seal-identity.js';
import { createSealer, sealPdf, sealWithoutFullParse, type Sealer } from '../../src/documents/seal/sealer.js';
import { stampAndAppendCertificate } from '../../src/documents/stamp.js';
import { verifyPdf } from '../../src/documents/verify/verifier.js';
import { makeTestPki, run, type TestPki } from '../helpers/seal-pki.js';
import { testSealer } from '../helpers/sealer.js';

/**
 * Sealing an existing file appends one incremental update: the original is a byte-identical prefix,
 * signatures it carries stay valid, and qpdf, pdfsig, mutool and our verifier accept the result.
 * pdfsig and mutool exit 0 even on failure, so their text is what we assert.
 */
const FIXTURES = join(import.meta.dirname, '../fixtures/pdfs');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

let work: string;
let pki: TestPki;
/** Development sealer: labels every page, so it takes the full pdf-lib load. */
let devSealer: Sealer;
/** A configured (PKCS#12) sealer: the seal alone, through the lazy reader. */
let p12Sealer: Sealer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'b24-incr-'));
  pki = makeTestPki();
  devSealer = await testSealer();
  p12Sealer = await createSealer(await loadSealIdentity({ SEAL_P12_PATH: pki.rsaP12, SEAL_P12_PASSPHRASE: pki.passphrase }, { dataDir: work }));
}, 60_000);
afterAll(() => {
  pki?.close();
  rmSync(work, { recursive: true, force: true });
});

const sealers = () => ({ dev: devSealer, p12: p12Sealer });
const ownVerify = (bytes: Uint8Array, sealer: Sealer) =>
  verifyPdf(bytes, { trustRoots: [sealer.trustRoots[0]!], ownCertificates: [sealer.certificates[0]!] });

const file = (name: string, bytes: Uint8Array) => {
  const p = join(work, name);
  writeFileSync(p, bytes);
  return p;
};
const pdfsig = (p: string) => {
  const r = run('pdfsig', [p]);
  return r.stdout + r.stderr;
};
const mutoolVerify = (p: string) => {
  const r = run('mutool', ['sign', '-v', p]);
  return r.stdout + r.stderr;
};
const isPrefix = (original: Uint8Array, sealed: Uint8Array) =>
  sealed.length > original.length && Buffer.compare(Buffer.from(sealed.subarray(0, original.length)), Buffer.from(original)) === 0;

/** The per-signature blocks of pdfsig's report, in its order. */
const pdfsigBlocks = (out: string) => out.split(/Signature #\d+:/).slice(1);

const ORIGINALS = [
  ['qpdf--minimal.pdf', 'classic xref table', false],
  ['qpdf--object-stream.pdf', 'xref stream and object streams', true],
  ['generated--minimal-linearized.pdf', 'linearized', false],
  ['generated--fancy_fields-linearized-objstm.pdf', 'linearized, object streams, a form', true],
  ['pdflib--with_update_sections.pdf', 'three prior incremental updates', false],
  ['pdflib--us_constitution.pdf', 'many pages', false],
  ['pdflib--fancy_fields.pdf', 'ten prior updates with xref streams, a form', true],
  ['pdflib--Simple_PDF_2.0_file.pdf', 'PDF 2.0', false],
] as const;

describe.each(ORIGINALS.flatMap(([n, w, x]) => (['p12', 'dev'] as const).map((k) => [n, w, x, k] as const)))('sealing %s (%s) from its bytes', (name, _what, xrefStream, kind) => {
  let original: Uint8Array;
  let sealed: Uint8Array;
  let sha256: string;
  let sealer: Sealer;
  beforeAll(async () => {
    original = fixture(name);
    sealer = sealers()[kind];
    ({ bytes: sealed, sha256 } = await sealPdf(original, sealer));
  });

  it(kind === 'p12' ? 'takes the lazy path (no full parse)' : 'takes the full pdf-lib path (the development label)', async () => {
    const lazy = await sealWithoutFullParse(original, p12Sealer);
    expect(lazy).toBeDefined();
    // The lazy path writes only the seal: no content stream, so far fewer objects than the labelled one.
    const objects = (b: Uint8Array) => (Buffer.from(b.subarray(original.length)).toString('latin1').match(/\d+ \d+ obj/g) ?? []).length;
    if (kind === 'p12') expect(objects(sealed)).toBe(objects(lazy!.bytes));
    else expect(objects(sealed)).toBeGreaterThan(objects(lazy!.bytes));
  });

  it('keeps the original as a byte-identical prefix', () => {
    expect(isPrefix(original, sealed)).toBe(true);
  });

  it('appends a cross-reference section of the original kind, pointing back with /Prev', () => {
    const before = readLastXref(original);
    const after = readLastXref(sealed);
    expect(before.xrefStream).toBe(xrefStream);
    expect(after.xrefStream).toBe(xrefStream);
    expect(after.prevXref).toBeGreaterThan(original.length);
    const update = Buffer.from(sealed.subarray(original.length)).toString('latin1');
    expect(update).toContain(`/Prev ${before.prevXref}`);
    expect(after.size).toBeGreaterThan(before.size);
  });

  it('qpdf --check finds no errors', () => {
    const r = run('qpdf', ['--check', file(`q-${name}`, sealed)]);
    expect(r.stdout + r.stderr).toContain('No syntax or stream encoding errors found');
    expect(r.stdout + r.stderr).not.toMatch(/WARNING/);
  });

  it('pdfsig and mutool: the seal is valid and covers the whole file', () => {
    const p = file(`s-${name}`, sealed);
    const blocks = pdfsigBlocks(pdfsig(p));
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toContain('Signature Validation: Signature is Valid.');
    expect(blocks[0]).toContain('Total document signed');
    expect(mutoolVerify(p)).toContain('The document is unchanged since signing.');
  });

  it('our verifier: sealed and unchanged', async () => {
    const v = await ownVerify(sealed, sealer);
    expect(v.verdict).toBe('sealed_unchanged');
    expect(v.sha256).toBe(sha256);
  });
});

describe.each([
  ['qpdf--digitally-signed.pdf', 1, 'p12'],
  ['qpdf--digitally-signed.pdf', 1, 'dev'],
  ['pyhanko--minimal-two-fields-signed-twice.pdf', 2, 'p12'],
  ['pyhanko--minimal-two-fields-signed-twice.pdf', 2, 'dev'],
] as const)('sealing %s, which already carries %i signature(s), with the %s sealer', (name, prior, kind) => {
  let original: Uint8Array;
  let sealed: Uint8Array;
  let sealer: Sealer;
  beforeAll(async () => {
    original = fixture(name);
    sealer = sealers()[kind];
    ({ bytes: sealed } = await sealPdf(original, sealer));
  });

  it('keeps the original as a prefix', () => expect(isPrefix(original, sealed)).toBe(true));

  it('pdfsig: every earlier signature is still valid, and the seal is valid over the whole file', () => {
    const before = pdfsigBlocks(pdfsig(file(`o-${name}`, original)));
    const after = pdfsigBlocks(pdfsig(file(`s-${name}`, sealed)));
    expect(after).toHaveLength(prior + 1);
    const valid = (b: string) => b.includes('Signature Validation: Signature is Valid.');
    expect(before.filter(valid)).toHaveLength(prior);
    expect(after.filter(valid)).toHaveLength(prior + 1);
    // Exactly one signature, the seal, covers the new whole file.
    expect(after.filter((b) => b.includes('Total document signed') && !b.includes('Not total'))).toHaveLength(1);
  });

  it('mutool: the seal is unchanged since signing, the earlier ones only saw later edits', () => {
    const out = mutoolVerify(file(`m-${name}`, sealed));
    expect(out).toContain('The document is unchanged since signing.');
    expect(out).not.toMatch(/digest mismatch|signature is not valid/i);
  });

  it('qpdf --check', () => {
    const r = run('qpdf', ['--check', file(`q-${name}`, sealed)]);
    expect(r.stdout + r.stderr).toContain('No syntax or stream encoding errors found');
  });

  it('our verifier: sealed and unchanged, with the earlier signatures intact', async () => {
    const v = await ownVerify(sealed, sealer);
    expect(v.verdict).toBe('sealed_unchanged');
    expect(v.signatures).toHaveLength(prior + 1);
    expect(v.signatures.every((s) => s.intact)).toBe(true);
  });
});

describe('stamps and the certificate page on an uploaded original', () => {
  it.each([
    ['qpdf--object-stream.pdf', 0],
    ['qpdf--digitally-signed.pdf', 1],
  ])('are appended with the seal in one update after the untouched original (%s, %i earlier signatures)', async (name, prior) => {
    const original = fixture(name);
    const { doc, base } = await openIncremental(original);
    const pagesBefore = doc.getPageCount();
    await stampAndAppendCertificate(doc, {
      publicId: 'B24S-INCR-0001',
      verifyUrl: 'http://b24sign.test/v/B24S-INCR-0001',
      lang: 'en',
      title: 'Incremental',
      parties: [{ name: 'Anna Rossi', role: 'signer', party: 'company', method: 'typed', signedAt: new Date('2026-01-15T10:00:00Z'), timeZone: 'UTC', ip: '198.51.100.4' }],
      originalSha256: 'a'.repeat(64),
      auditHead: 'b'.repeat(64),
      development: true,
    });
    const { bytes } = await sealPdf(doc, devSealer, { incremental: base });
    expect(isPrefix(original, bytes)).toBe(true);
    const reread = await PDFDocument.load(bytes);
    expect(reread.getPageCount()).toBeGreaterThan(pagesBefore);
    const p = file('stamped.pdf', bytes);
    expect(run('qpdf', ['--check', p]).stdout).toContain('No syntax or stream encoding errors found');
    const blocks = pdfsigBlocks(pdfsig(p));
    expect(blocks).toHaveLength(prior + 1);
    expect(blocks.every((b) => b.includes('Signature Validation: Signature is Valid.'))).toBe(true);
    // The stripe text is drawn on the original's first page: the update changed what it shows.
    expect(run('pdftotext', ['-f', '1', '-l', '1', p, '-']).stdout).toContain('B24S-INCR-0001');
    expect((await ownVerify(bytes, devSealer)).verdict).toBe('sealed_unchanged');
  });

  it('writes nothing but the objects that changed', async () => {
    const original = fixture('pdflib--us_constitution.pdf');
    const { doc, base } = await openIncremental(original);
    const unchanged = await saveIncremental(doc, base);
    // Nothing changed: an empty update (no objects, a trailer pointing back).
    expect(Buffer.from(unchanged.subarray(original.length)).toString('latin1')).not.toMatch(/\d+ \d+ obj/);
    doc.getPage(0).drawText('x');
    const one = Buffer.from((await saveIncremental(doc, base)).subarray(original.length)).toString('latin1');
    const written = one.match(/\d+ \d+ obj/g) ?? [];
    // The page (its /Contents became an array), its new content stream(s) and the font: not the other pages.
    expect(written.length).toBeGreaterThan(1);
    expect(written.length).toBeLessThan(8);
    expect(doc.getPageCount()).toBeGreaterThan(5);
  });
});

describe('files the incremental path cannot append to', () => {
  it('a broken xref table (pdf-lib recovers the file by scanning): not appended to, sealed by the one-save path', async () => {
    const original = fixture('qpdf--bad-xref.pdf');
    expect(xrefChainIsSound(original)).toBe(false);
    expect(xrefChainIsSound(fixture('pdflib--with_update_sections.pdf'))).toBe(true);
    expect(await sealWithoutFullParse(original, p12Sealer)).toBeUndefined();
    const { bytes } = await sealPdf(original, p12Sealer);
    expect(isPrefix(original, bytes)).toBe(false);
    const p = file('bad-xref.pdf', bytes);
    expect(pdfsig(p)).toContain('Signature Validation: Signature is Valid.');
    expect((await ownVerify(bytes, p12Sealer)).verdict).toBe('sealed_unchanged');
  });

  it('an encrypted file is refused on either path', async () => {
    await expect(sealPdf(fixture('qpdf--V4-aes.pdf'), p12Sealer)).rejects.toMatchObject({ code: 'PDF_ENCRYPTED' });
    await expect(sealPdf(fixture('qpdf--V4-aes.pdf'), devSealer)).rejects.toMatchObject({ code: 'PDF_ENCRYPTED' });
  });
});
