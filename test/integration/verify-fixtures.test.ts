import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealPdf, type Sealer } from '../../src/documents/seal/sealer.js';
import { scanPdf } from '../../src/documents/verify/scan.js';
import { verifyPdf, type Verdict } from '../../src/documents/verify/verifier.js';
import { testSealer } from '../helpers/sealer.js';

/**
 * Verdicts on third-party files (test/fixtures/pdfs/README.md), the pyHanko-style coverage attacks
 * that fool pdfsig, and hostile input: the verifier must always answer, quickly, and never throw.
 */
const fixture = (name: string) => new Uint8Array(readFileSync(join('test/fixtures/pdfs', name)));

let sealer: Sealer;
let sealed: Uint8Array;
const opts = () => ({ trustRoots: sealer.trustRoots, ownCertificates: sealer.certificates });

beforeAll(async () => {
  sealer = await testSealer();
  const doc = await PDFDocument.create();
  doc.addPage().drawText('Hostile input test', { x: 50, y: 700 });
  ({ bytes: sealed } = await sealPdf(doc, sealer));
});

describe('third-party fixtures', () => {
  const cases: [string, Verdict][] = [
    ['qpdf--digitally-signed.pdf', 'valid_other_signer'],
    ['pyhanko--minimal-two-fields-signed-twice.pdf', 'valid_other_signer'],
    ['pyhanko--coverage-anomalies_tail-uncovered.pdf', 'coverage_anomaly'],
    ['pyhanko--sig-with-ski-sid.pdf', 'valid_other_signer'],
    ['qpdf--minimal.pdf', 'no_signature'],
    ['qpdf--object-stream.pdf', 'no_signature'],
    ['qpdf--lin0.pdf', 'no_signature'],
    ['pdflib--Simple_PDF_2.0_file.pdf', 'no_signature'],
    ['pdflib--us_constitution.pdf', 'no_signature'],
    ['pdflib--with_update_sections.pdf', 'no_signature'],
    ['pdflib--fancy_fields.pdf', 'no_signature'],
    ['qpdf--V4-aes.pdf', 'no_signature'],
    ['pdflib--encrypted_new.pdf', 'no_signature'],
    ['pyhanko--minimal-aes256.pdf', 'no_signature'],
    ['qpdf--bad-xref.pdf', 'no_signature'],
    ['pyhanko--broken-objstream1.pdf', 'no_signature'],
  ];
  it.each(cases)('%s → %s', async (name, verdict) => {
    const r = await verifyPdf(fixture(name), opts());
    expect(r.verdict).toBe(verdict);
    expect(r.record).toBeNull();
  });

  it('reports detail: the SKI-identified signer is found and intact, two revisions are told apart, encryption is flagged', async () => {
    const ski = await verifyPdf(fixture('pyhanko--sig-with-ski-sid.pdf'), opts());
    expect(ski.signatures[0]).toMatchObject({ intact: true, trusted: false, ours: false, coversWholeFile: true });
    expect(ski.signatures[0]!.signer?.commonName).toBeTruthy();
    const twice = await verifyPdf(fixture('pyhanko--minimal-two-fields-signed-twice.pdf'), opts());
    expect(twice.signatures.map((s) => s.coversWholeFile)).toEqual([false, true]);
    const tail = await verifyPdf(fixture('pyhanko--coverage-anomalies_tail-uncovered.pdf'), opts());
    expect(tail.signatures[0]).toMatchObject({ intact: true, coversWholeFile: false });
    expect(tail.signatures[0]!.bytesAfter).toBeGreaterThan(0);
    expect((await verifyPdf(fixture('qpdf--V4-aes.pdf'), opts())).encrypted).toBe(true);
  });

  it('where pdfsig and mutool fail (a signer identified by key id), we are right', async () => {
    const { spawnSync } = await import('node:child_process');
    const path = join('test/fixtures/pdfs', 'pyhanko--sig-with-ski-sid.pdf');
    const pdfsig = spawnSync('pdfsig', [path]).stdout.toString();
    const mutool = spawnSync('mutool', ['sign', '-v', path]);
    expect(pdfsig).toContain('Unknown Validation Failure');
    expect(mutool.stdout.toString() + mutool.stderr.toString()).toContain('Digest error');
    const ours = await verifyPdf(fixture('pyhanko--sig-with-ski-sid.pdf'), opts());
    expect(ours.signatures[0]).toMatchObject({ intact: true, coversWholeFile: true });
  });

  it('not a PDF', async () => {
    expect((await verifyPdf(new TextEncoder().encode('PK\u0003\u0004 a zip file'), opts())).verdict).toBe('not_a_pdf');
    expect((await verifyPdf(new Uint8Array(0), opts())).verdict).toBe('not_a_pdf');
  });
});

/** Rewrites the /ByteRange of our sealed file to other numbers of the same width (what pdfsig trusts blindly). */
function withByteRange(pdf: Uint8Array, range: number[]): Uint8Array {
  const out = new Uint8Array(pdf);
  const b = Buffer.from(out.buffer);
  const at = b.lastIndexOf('/ByteRange [');
  const close = b.indexOf(']', at);
  const text = `/ByteRange [${range.join(' ')}]`.padEnd(close + 1 - at, ' ');
  b.write(text, at, 'latin1');
  return out;
}

describe('trust', () => {
  it('a self-signed seal certificate configured as a trust root is trusted directly; otherwise intact but untrusted', async () => {
    const leaf = sealer.certificates[0]!;
    const direct = await verifyPdf(sealed, { trustRoots: [leaf] });
    expect(direct.signatures[0]).toMatchObject({ intact: true, trusted: true });
    const none = await verifyPdf(sealed, { trustRoots: [] });
    expect(none.verdict).toBe('valid_other_signer');
    expect(none.signatures[0]).toMatchObject({ intact: true, trusted: false });
  });
});

describe('coverage attacks', () => {
  it('our own seal verifies first', async () => {
    expect((await verifyPdf(sealed, opts())).verdict).toBe('sealed_unchanged');
  });

  it('a ByteRange covering almost nothing ([0 10 20 30]) over our CMS is broken (its digest no longer matches), not valid', async () => {
    const r = await verifyPdf(withByteRange(sealed, [0, 10, 20, 30]), opts());
    expect(r.verdict).toBe('signature_broken');
    expect(r.signatures[0]!.coverageAnomaly).toMatch(/gap/);
    expect(r.signatures[0]!.problem).toMatch(/digest/);
  });

  it('a gap wider than /Contents is broken', async () => {
    const [, b, c, d] = scanPdf(sealed).signatures[0]!.byteRange! as [number, number, number, number];
    const r = await verifyPdf(withByteRange(sealed, [0, b - 20, c, d]), opts());
    expect(r.verdict).toBe('signature_broken');
  });

  it('a ByteRange pointing past the end of the file is broken', async () => {
    const [, b, c] = scanPdf(sealed).signatures[0]!.byteRange! as [number, number, number, number];
    const r = await verifyPdf(withByteRange(sealed, [0, b, c, 99999999]), opts());
    expect(r.verdict).toBe('signature_broken');
  });
});

describe('hostile input', () => {
  const verdicts = new Set<Verdict>(['sealed_unchanged', 'valid_other_signer', 'modified_after_sealing', 'coverage_anomaly', 'cannot_check', 'signature_broken', 'no_signature', 'not_a_pdf']);

  it('thousands of /ByteRange keys: bounded, answered as broken', async () => {
    const junk = new TextEncoder().encode('%PDF-1.7\n' + '1 0 obj << /ByteRange [0 10 20 30] /Contents <00> >> endobj\n'.repeat(20000));
    const t = performance.now();
    const r = await verifyPdf(junk, opts());
    expect(performance.now() - t).toBeLessThan(2000);
    expect(r.verdict).toBe('signature_broken');
    expect(r.signatures.length).toBeLessThanOrEqual(32);
  });

  it('a huge /Contents is refused without decoding', async () => {
    const hex = '30'.repeat(2 * 1024 * 1024);
    const head = '%PDF-1.7\n1 0 obj << /Type /Sig /ByteRange [0 ';
    const pre = `${head}0000000000 0000000000 0000000000] /Contents `;
    const b = pre.length;
    const c = b + hex.length + 2;
    const text = `${head}${String(b).padStart(10, '0')} ${String(c).padStart(10, '0')} ${String(10).padStart(10, '0')}] /Contents <${hex}> >>endobj\n`;
    const r = await verifyPdf(new TextEncoder().encode(text), opts());
    expect(r.verdict).toBe('signature_broken');
    expect(r.signatures[0]!.problem).toMatch(/implausibly large/);
  });

  it('random corruption of a sealed file never throws, never hangs, and is never "sealed and unchanged"', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (edits, cut) => {
          let bytes = new Uint8Array(sealed);
          let changed = false;
          for (const e of edits) {
            const i = e.at % bytes.length;
            if (bytes[i] !== e.value) changed = true;
            bytes[i] = e.value;
          }
          if (cut !== undefined && cut % bytes.length > 0) {
            bytes = bytes.subarray(0, cut % bytes.length);
            changed = true;
          }
          const t = performance.now();
          const r = await verifyPdf(bytes, opts());
          expect(performance.now() - t).toBeLessThan(2000);
          expect(verdicts.has(r.verdict)).toBe(true);
          // Changing only padding zeros inside /Contents can leave the seal intact; anything else must not.
          if (changed && r.verdict === 'sealed_unchanged') {
            const [, b, c] = scanPdf(sealed).signatures[0]!.byteRange! as [number, number, number, number];
            for (const e of edits) expect((e.at % sealed.length) > b && (e.at % sealed.length) < c - 1).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('work bounds', () => {
  it('many signatures each claiming the whole file stop being hashed after a budget', async () => {
    // 32 copies of a signature dictionary whose ByteRange covers a 4 MB file each: without a
    // budget that is 32 full hashes; with it, the surplus is reported as not checked.
    const pad = 'x'.repeat(4 * 1024 * 1024);
    const hex = '00'.repeat(16);
    const parts: string[] = ['%PDF-1.7\n'];
    let text = parts.join('');
    const dicts: { at: number }[] = [];
    for (let i = 0; i < 32; i++) {
      const head = `${i + 1} 0 obj << /Type /Sig /ByteRange [0 BBBBBBBBBB CCCCCCCCCC DDDDDDDDDD] /Contents `;
      dicts.push({ at: text.length + head.length });
      text += `${head}<${hex}> >> endobj\n`;
    }
    text += pad + '\n%%EOF\n';
    const len = text.length;
    for (const d of dicts) {
      const b = d.at;
      const c = d.at + hex.length + 2;
      const range = `${String(b).padStart(10, '0')} ${String(c).padStart(10, '0')} ${String(len - c).padStart(10, '0')}`;
      text = text.replace('BBBBBBBBBB CCCCCCCCCC DDDDDDDDDD', range);
    }
    const t = performance.now();
    const r = await verifyPdf(new TextEncoder().encode(text), opts());
    expect(performance.now() - t).toBeLessThan(3000);
    expect(r.verdict).toBe('signature_broken');
    expect(r.signatures.some((s) => s.problem?.includes('too many large signatures'))).toBe(true);
  });
});
