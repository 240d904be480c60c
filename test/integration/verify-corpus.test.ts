import * as asn1js from 'asn1js';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { scanPdf } from '../../src/documents/verify/scan.js';
import { verifyPdf, type Verdict } from '../../src/documents/verify/verifier.js';
import { CORPUS } from '../helpers/signed-corpus.js';
import { mutoolSummary, pdfsigSummary } from '../helpers/signature-tools.js';

/**
 * Regression suite: every signed PDF of pyHanko's and qpdf's test corpora (test/fixtures/pdfs,
 * README there), our verdict next to what poppler's pdfsig (22.12) and `mutool sign -v` (1.21) say.
 * The tools' summaries are recorded and re-checked, so the table cannot drift from reality. Where our
 * class of verdict differs from a tool's, the row says why we are right, and where it can, the test
 * proves it with an independent check:
 *   openssl — `openssl cms -verify` over the extracted ranges and CMS succeeds;
 *   eddsa   — node:crypto (OpenSSL's EdDSA, not the @noble/curves code the verifier uses) verifies the
 *             signature over the signed attributes, and message-digest equals the ranges' digest.
 */
type Cls = 'valid' | 'modified' | 'broken' | 'failure' | 'none' | 'other';
const oursClass = (v: Verdict): Cls => (v === 'valid_other_signer' || v === 'sealed_unchanged' ? 'valid' : v === 'modified_after_sealing' ? 'modified' : v === 'signature_broken' ? 'broken' : 'other');
function pdfsigClass(s: string): Cls {
  if (s === '' || s === 'no signatures') return 'none';
  const parts = s.split(' · ');
  if (parts.some((p) => p.startsWith('digest mismatch'))) return 'broken';
  if (parts.some((p) => !p.startsWith('valid'))) return 'failure';
  return parts.includes('valid') ? 'valid' : 'modified';
}
function mutoolClass(s: string): Cls {
  if (s === 'no signatures') return 'none';
  const parts = s.split(' · ');
  if (parts.some((p) => /invalidated by change/.test(p))) return 'broken';
  if (parts.some((p) => p !== 'unchanged' && p !== 'edits since signing')) return 'failure';
  return parts.includes('unchanged') ? 'valid' : 'modified';
}
/** "broken" from us and a tool failing on the same file agree; everything else must match exactly. */
const agrees = (ours: Cls, tool: Cls) => ours === tool || (ours === 'broken' && tool === 'failure');

const path = (f: string) => join('test/fixtures/pdfs', f);

function parts(file: string, index: number) {
  const pdf = readFileSync(path(file));
  const s = scanPdf(pdf).signatures[index]!;
  const br = s.byteRange!;
  const ranges: Buffer[] = [];
  for (let i = 0; i < br.length; i += 2) ranges.push(pdf.subarray(br[i]!, br[i]! + br[i + 1]!));
  const asn = asn1js.fromBER(new Uint8Array(s.contents!).slice().buffer);
  const der = new Uint8Array(asn.result.toBER(false)); // without the zero padding
  return { signed: Buffer.concat(ranges), der };
}

function opensslVerifies(file: string, index: number): boolean {
  const { signed, der } = parts(file, index);
  const dir = mkdtempSync(join(tmpdir(), 'b24-corpus-'));
  writeFileSync(join(dir, 'signed.bin'), signed);
  writeFileSync(join(dir, 'sig.der'), der);
  try {
    execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'signed.bin'), '-noverify', '-out', '/dev/null'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function eddsaVerifies(file: string, index: number): boolean {
  const { signed, der } = parts(file, index);
  const sd = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: asn1js.fromBER(der.slice().buffer).result }).content });
  const si = sd.signerInfos[0]!;
  const ed448 = si.signatureAlgorithm.algorithmId === '1.3.101.113';
  const digest = ed448 ? createHash('shake256', { outputLength: 64 }).update(signed).digest() : createHash('sha512').update(signed).digest();
  const md = si.signedAttrs!.attributes.find((a) => a.type === '1.2.840.113549.1.9.4')!.values[0] as asn1js.OctetString;
  if (!Buffer.from(md.valueBlock.valueHexView).equals(digest)) return false;
  const sid = si.sid as pkijs.IssuerAndSerialNumber;
  const cert = (sd.certificates as pkijs.Certificate[]).find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber))!;
  const key = createPublicKey({ key: Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false)), format: 'der', type: 'spki' });
  return nodeVerify(null, Buffer.from(si.signedAttrs!.encodedValue), key, Buffer.from(si.signature.valueBlock.valueHexView));
}

describe('third-party signed PDFs: ours vs pdfsig vs mutool', () => {
  it('the corpus is big enough to mean something', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CORPUS.map((r) => [r.file, r] as const))('%s', async (file, row) => {
    const r = await verifyPdf(new Uint8Array(readFileSync(path(file))), { trustRoots: [] });
    expect(r.verdict).toBe(row.ours);
    expect(pdfsigSummary(path(file))).toBe(row.pdfsig);
    expect(mutoolSummary(path(file))).toBe(row.mutool);
    const differs = !agrees(oursClass(row.ours), pdfsigClass(row.pdfsig)) || !agrees(oursClass(row.ours), mutoolClass(row.mutool));
    // Every disagreement is explained; an explanation without a disagreement is stale.
    expect(Boolean(row.why)).toBe(differs);
    if (row.evidence) {
      expect(r.signatures[row.evidence.signature]!.intact).toBe(true);
      expect(row.evidence.kind === 'openssl' ? opensslVerifies(file, row.evidence.signature) : eddsaVerifies(file, row.evidence.signature)).toBe(true);
    }
  });
});
