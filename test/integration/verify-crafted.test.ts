import * as asn1js from 'asn1js';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealPdf, type Sealer } from '../../src/documents/seal/sealer.js';
import { scanPdf } from '../../src/documents/verify/scan.js';
import { verifyPdf } from '../../src/documents/verify/verifier.js';
import { testSealer } from '../helpers/sealer.js';

/**
 * Crafted files for the verdict rules of issue 16 item 1: a CMS is checked against the signed
 * byte ranges and never against an encapsulated eContent (except adbe.pkcs7.sha1, where the eContent
 * is the SHA-1 of the ranges); algorithms we cannot check are not "broken"; only validation data may
 * follow a signature. CMS structures come from `openssl cms -sign` or from our seal edited with pkijs.
 */
let sealer: Sealer;
let sealed: Uint8Array;
let dir: string;
const opts = () => ({ trustRoots: sealer.trustRoots, ownCertificates: sealer.certificates });

beforeAll(async () => {
  sealer = await testSealer();
  const doc = await PDFDocument.create();
  doc.addPage().drawText('Crafted verdicts', { x: 50, y: 700 });
  ({ bytes: sealed } = await sealPdf(doc, sealer));
  dir = mkdtempSync(join(tmpdir(), 'b24-verify-crafted-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=Mallory', '-days', '2'], { stdio: 'ignore' });
});

const range = (pdf: Uint8Array) => scanPdf(pdf).signatures.at(-1)!.byteRange! as [number, number, number, number];
const signedBytes = (pdf: Uint8Array) => {
  const [, b, c, d] = range(pdf);
  return Buffer.concat([pdf.subarray(0, b), pdf.subarray(c, c + d)]);
};
const cmsOf = (pdf: Uint8Array) => scanPdf(pdf).signatures.at(-1)!.contents!;

/** Puts `der` into the last signature's /Contents gap (zero-padded); the signed ranges are untouched. */
function spliceCms(pdf: Uint8Array, der: Uint8Array): Uint8Array {
  const [a, len, c] = range(pdf);
  const b = a + len;
  const hex = Buffer.from(der).toString('hex').toUpperCase();
  if (hex.length > c - b - 2) throw new Error('CMS larger than the placeholder');
  const out = new Uint8Array(pdf);
  Buffer.from(out.buffer).write(hex.padEnd(c - b - 2, '0'), b + 1, 'latin1');
  return out;
}

/** `openssl cms -sign` with the throwaway Mallory key; attached (-nodetach) unless said otherwise. */
function opensslSign(content: Uint8Array, extra: string[] = ['-nodetach']): Uint8Array {
  writeFileSync(join(dir, 'in.bin'), content);
  execFileSync('openssl', ['cms', '-sign', '-binary', '-in', join(dir, 'in.bin'), '-signer', join(dir, 'c.pem'), '-inkey', join(dir, 'k.pem'), '-md', 'sha256', '-outform', 'DER', '-out', join(dir, 'out.der'), ...extra]);
  return new Uint8Array(readFileSync(join(dir, 'out.der')));
}

/** Our seal's CMS, edited with pkijs and re-encoded. */
function editCms(pdf: Uint8Array, edit: (sd: pkijs.SignedData) => void): Uint8Array {
  const asn = asn1js.fromBER(new Uint8Array(cmsOf(pdf)).slice().buffer);
  const ci = new pkijs.ContentInfo({ schema: asn.result });
  const sd = new pkijs.SignedData({ schema: ci.content });
  edit(sd);
  return new Uint8Array(new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) }).toSchema().toBER(false));
}

function flipInFirstRange(pdf: Uint8Array): Uint8Array {
  const out = new Uint8Array(pdf);
  const at = Buffer.from(out.buffer).indexOf('/ModDate (D:') + 12; // inside the first signed range
  out[at] = out[at] === 0x31 ? 0x32 : 0x31;
  return out;
}

describe('an encapsulated eContent never stands in for the signed ranges', () => {
  it('a changed file whose /Contents is an attached CMS over some other message is broken, not "intact" with that signer', async () => {
    const attack = spliceCms(flipInFirstRange(sealed), opensslSign(new TextEncoder().encode('an unrelated message')));
    // The CMS is sound on its own: a verifier that follows eContent (pkijs' default) accepts it.
    const asn = asn1js.fromBER(new Uint8Array(cmsOf(attack)).slice().buffer);
    const sd = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: asn.result }).content });
    expect((await sd.verify({ signer: 0, checkChain: false, extendedMode: true })).signatureVerified).toBe(true);

    const r = await verifyPdf(attack, opts());
    expect(r.verdict).toBe('signature_broken');
    expect(r.signatures[0]).toMatchObject({ intact: false });
    expect(r.signatures[0]!.problem).toMatch(/do not match the signed digest/);
  });

  it('the same attack on an unchanged file is still broken (the digest is of the other message)', async () => {
    const r = await verifyPdf(spliceCms(sealed, opensslSign(new TextEncoder().encode('an unrelated message'))), opts());
    expect(r.verdict).toBe('signature_broken');
  });

  it('a detached openssl CMS over the real ranges is an intact signature by someone else', async () => {
    const r = await verifyPdf(spliceCms(sealed, opensslSign(signedBytes(sealed), [])), opts());
    expect(r.verdict).toBe('valid_other_signer');
    expect(r.signatures[0]!.signer?.commonName).toBe('Mallory');
  });

  it('an empty eContent on an unchanged file is not "changed"', async () => {
    const withEmpty = spliceCms(sealed, editCms(sealed, (sd) => (sd.encapContentInfo.eContent = new asn1js.OctetString({ valueHex: new ArrayBuffer(0) }))));
    const r = await verifyPdf(withEmpty, opts());
    expect(r.verdict).toBe('sealed_unchanged');
    expect(r.signatures[0]).toMatchObject({ intact: true, ours: true });
  });
});

describe('adbe.pkcs7.sha1: the eContent is SHA-1 of the ranges, and the signature covers that eContent', () => {
  /** The sealed file re-labelled adbe.pkcs7.sha1 (same length, padded with spaces) and signed that way by openssl. */
  const sha1File = (eContent?: (ranges: Buffer) => Uint8Array) => {
    const text = Buffer.from(sealed);
    const at = text.indexOf('/ETSI.CAdES.detached');
    const relabelled = new Uint8Array(sealed);
    Buffer.from(relabelled.buffer).write('/adbe.pkcs7.sha1'.padEnd('/ETSI.CAdES.detached'.length, ' '), at, 'latin1');
    const inner = eContent ? eContent(signedBytes(relabelled)) : createHash('sha1').update(signedBytes(relabelled)).digest();
    return spliceCms(relabelled, opensslSign(inner));
  };

  it('verifies when the eContent is SHA-1 of the ranges', async () => {
    const r = await verifyPdf(sha1File(), opts());
    expect(r.verdict).toBe('valid_other_signer');
    expect(r.signatures[0]).toMatchObject({ subFilter: 'adbe.pkcs7.sha1', intact: true });
  });

  it('is broken when the ranges change afterwards, or when the eContent is another digest', async () => {
    expect((await verifyPdf(flipInFirstRange(sha1File()), opts())).verdict).toBe('signature_broken');
    expect((await verifyPdf(sha1File(() => createHash('sha1').update('other').digest()), opts())).verdict).toBe('signature_broken');
  });
});

describe('algorithms this runtime cannot check', () => {
  it('an unknown signature algorithm OID is "cannot be checked here", not broken', async () => {
    const unknown = spliceCms(sealed, editCms(sealed, (sd) => (sd.signerInfos[0]!.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: '1.3.6.1.4.1.99999.1' }))));
    const r = await verifyPdf(unknown, opts());
    expect(r.verdict).toBe('cannot_check');
    expect(r.signatures[0]!.unsupported).toMatch(/1\.3\.6\.1\.4\.1\.99999\.1/);
  });

  it('an unknown digest algorithm (SM3) is "cannot be checked here"', async () => {
    const sm3 = spliceCms(sealed, editCms(sealed, (sd) => (sd.signerInfos[0]!.digestAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.156.10197.1.401' }))));
    expect((await verifyPdf(sm3, opts())).verdict).toBe('cannot_check');
  });

  it('Ed448 (RFC 8419, SHAKE256) from pyHanko verifies, and a changed byte breaks it', async () => {
    const ed448 = new Uint8Array(readFileSync('test/fixtures/pdfs/pyhanko--ed448-shake256-nolen.pdf'));
    const ok = await verifyPdf(ed448, opts());
    expect(ok.verdict).toBe('valid_other_signer');
    expect(ok.signatures[0]).toMatchObject({ intact: true, digestAlgorithm: 'SHAKE256' });
    const bad = new Uint8Array(ed448);
    bad[100] = bad[100] === 0x20 ? 0x0a : 0x20;
    expect((await verifyPdf(bad, opts())).verdict).toBe('signature_broken');
  });
});

/** Appends one classic incremental update re-issuing or adding `objects` (the trailer keeps /Root 2 0 R). */
function appendUpdate(pdf: Uint8Array, objects: Record<number, string>): Uint8Array {
  const base = Buffer.from(pdf);
  const prev = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(base.toString('latin1', base.length - 64))![1];
  const size = Number(/\/Size (\d+)/.exec(base.toString('latin1', base.lastIndexOf('trailer')))![1]);
  let text = '\n';
  const offsets: [number, number][] = [];
  for (const [num, body] of Object.entries(objects)) {
    offsets.push([Number(num), base.length + text.length]);
    text += `${num} 0 obj\n${body}\nendobj\n`;
  }
  const xrefAt = base.length + text.length;
  text += 'xref\n' + offsets.map(([n, o]) => `${n} 1\n${String(o).padStart(10, '0')} 00000 n \n`).join('');
  const newSize = Math.max(size, ...offsets.map(([n]) => n + 1));
  text += `trailer\n<<\n/Size ${newSize}\n/Root 2 0 R\n/Info 3 0 R\n/Prev ${prev}\n>>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return new Uint8Array(Buffer.concat([base, Buffer.from(text, 'latin1')]));
}

describe('coverage anomalies are their own verdict', () => {
  it('a ByteRange not starting at 0, honestly signed over what it declares, is a coverage anomaly, not intact and not broken', async () => {
    const [, b, c, d] = range(sealed);
    const out = new Uint8Array(sealed);
    const buf = Buffer.from(out.buffer);
    const at = buf.lastIndexOf('/ByteRange [');
    const width = buf.indexOf(']', at) + 1 - at;
    buf.write(`/ByteRange [5 ${b - 5} ${c} ${d}]`.padEnd(width, ' '), at, 'latin1');
    const cms = opensslSign(Buffer.concat([out.subarray(5, b), out.subarray(c, c + d)]), []);
    const r = await verifyPdf(spliceCms(out, cms), opts());
    expect(r.verdict).toBe('coverage_anomaly');
    expect(r.signatures[0]).toMatchObject({ intact: true, coverageAnomaly: 'the ByteRange does not start at the beginning of the file' });
  });
});

describe('third-party revisions', () => {
  const fixture = (name: string) => new Uint8Array(readFileSync(join('test/fixtures/pdfs', name)));

  it('Ed25519 (RFC 8419, SHA-512) verifies, and a changed byte breaks it', async () => {
    const ed = fixture('pyhanko--extensions-direct.pdf');
    const ok = await verifyPdf(ed, opts());
    expect(ok.signatures[1]).toMatchObject({ intact: true, digestAlgorithm: 'SHA-512' });
    const bad = new Uint8Array(ed);
    bad[100] = bad[100] === 0x20 ? 0x0a : 0x20;
    const r = await verifyPdf(bad, opts());
    expect(r.verdict).toBe('signature_broken');
    expect(r.signatures[1]!.intact).toBe(false);
  });

  it('a signature followed by a DSS and a document timestamp is not "modified"; earlier signatures are named', async () => {
    const lta = await verifyPdf(fixture('pyhanko--pades-lta-dss-indirect-arrs-test.pdf'), opts());
    expect(lta.verdict).toBe('valid_other_signer');
    expect(lta.signatures[0]!.laterUpdates).toEqual({ validationOnly: true, detail: 'only validation data (DSS, document timestamp)' });
    expect(lta.signatures[1]).toMatchObject({ kind: 'document-timestamp', intact: true });
    const twice = await verifyPdf(fixture('pyhanko--minimal-signed-twice-both-created.pdf'), opts());
    expect(twice.verdict).toBe('valid_other_signer');
    expect(twice.notes.join(' ')).toMatch(/Signature 1 does not cover the final file \(\d+ bytes follow it: /);
  });
});

describe('updates after the seal', () => {
  const catalog = (extra: string) => `<<\n/Type /Catalog\n/Pages 1 0 R\n/AcroForm 12 0 R\n${extra}>>`;
  const certStream = () => {
    const der = Buffer.from(sealer.certificates[0]!);
    return `<< /Length ${der.length} >>\nstream\n${der.toString('latin1')}\nendstream`;
  };

  it('a DSS with certificates (catalog gains only /DSS) is not a modification', async () => {
    expect(Buffer.from(sealed).toString('latin1')).toContain('2 0 obj\n<<\n/Type /Catalog\n/Pages 1 0 R\n/AcroForm 12 0 R\n>>');
    const dss = appendUpdate(sealed, { 2: catalog('/DSS 30 0 R\n'), 30: '<< /Certs [31 0 R] /VRI 32 0 R >>', 31: certStream(), 32: '<< /ABCDEF0123456789ABCDEF0123456789ABCDEF01 << /Cert [31 0 R] >> >>' });
    const r = await verifyPdf(dss, opts());
    expect(r.verdict).toBe('sealed_unchanged');
    expect(r.signatures[0]).toMatchObject({ coversWholeFile: false, laterUpdates: { validationOnly: true } });
    expect(r.notes.join(' ')).toMatch(/only gained validation data \(only validation data \(DSS\)\)/);
  });

  it('a large file with a DSS of 2000 certificates is judged in linear time', async () => {
    const doc = await PDFDocument.create();
    doc.addPage().drawText('Big', { x: 50, y: 700 });
    await doc.attach(new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 7919) & 0xff), 'noise.bin', { mimeType: 'application/octet-stream' });
    const { bytes: big } = await sealPdf(doc, sealer);
    const catalogMatch = /(\d+) 0 obj\s*<<\s*\/Type \/Catalog([\s\S]*?)>>\s*endobj/.exec(Buffer.from(big).toString('latin1'))!;
    const objects: Record<number, string> = { [Number(catalogMatch[1])]: `<<\n/Type /Catalog${catalogMatch[2]}/DSS 9000 0 R\n>>` };
    const refs: string[] = [];
    for (let i = 0; i < 2000; i++) {
      objects[9001 + i] = certStream();
      refs.push(`${9001 + i} 0 R`);
    }
    objects[9000] = `<< /Certs [${refs.join(' ')}] >>`;
    const withDss = appendUpdate(big, objects);
    const t = performance.now();
    const r = await verifyPdf(withDss, opts());
    expect(performance.now() - t).toBeLessThan(3000);
    expect(r.verdict).toBe('sealed_unchanged');
  });

  it('a DSS update that also changes anything else is a modification', async () => {
    const openAction = appendUpdate(sealed, { 2: catalog('/DSS 30 0 R\n/OpenAction 33 0 R\n'), 30: '<< /Certs [31 0 R] >>', 31: certStream(), 33: '<< /S /JavaScript /JS (app.alert(1)) >>' });
    expect((await verifyPdf(openAction, opts())).verdict).toBe('modified_after_sealing');
    // A DSS that "references" an existing content stream re-issued with new content.
    const page = Buffer.from(sealed).toString('latin1');
    const contentNum = Number(/\/Contents\s*\[?\s*(\d+) 0 R/.exec(page)![1]);
    const sneaky = appendUpdate(sealed, { 2: catalog('/DSS 30 0 R\n'), 30: `<< /Certs [${contentNum} 0 R] >>`, [contentNum]: '<< /Length 20 >>\nstream\nBT (forged) Tj ET\nendstream' });
    const r = await verifyPdf(sneaky, opts());
    expect(r.verdict).toBe('modified_after_sealing');
    expect(r.notes.join(' ')).toMatch(new RegExp(`object ${contentNum}`));
  });

  it('what a DSS references must be validation data, and a new trailer may not swap the catalog', async () => {
    // An annotation smuggled in as a DSS "certificate".
    const annot = appendUpdate(sealed, { 2: catalog('/DSS 30 0 R\n'), 30: '<< /Certs [34 0 R] >>', 34: '<< /Type /Annot /Subtype /FreeText /Rect [0 0 600 800] /Contents (void) >>' });
    const a = await verifyPdf(annot, opts());
    expect(a.verdict).toBe('modified_after_sealing');
    expect(a.notes.join(' ')).toMatch(/object 34: a new object that is not validation data/);
    // A new catalog reachable from the DSS, made the document's root by the update's trailer.
    const swapped = Buffer.from(appendUpdate(sealed, { 30: '<< /Certs [35 0 R] >>', 35: catalog('/OpenAction 33 0 R\n'), 33: '<< /S /JavaScript /JS (app.alert(1)) >>' })).toString('latin1');
    const tail = swapped.lastIndexOf('/Root 2 0 R');
    const r = await verifyPdf(new Uint8Array(Buffer.from(swapped.slice(0, tail) + '/Root 35 0 R' + swapped.slice(tail + 11), 'latin1')), opts());
    expect(r.verdict).toBe('modified_after_sealing');
    expect(r.notes.join(' ')).toMatch(/another document catalog/);
  });
});

describe('a prepared but never signed field', () => {
  it('is broken with a plain reason (pyHanko coverage-anomalies/base.pdf: /Contents all zeros)', async () => {
    const r = await verifyPdf(new Uint8Array(readFileSync('test/fixtures/pdfs/pyhanko--coverage-anomalies_base.pdf')), opts());
    expect(r.verdict).toBe('signature_broken');
    expect(r.signatures[0]!.problem).toBe('the signature is empty (its placeholder was never filled)');
  });
});

describe('hostile updates after a seal', () => {
  it('thousands of objects, a huge array and an unclosed string after the seal: bounded, answered as modified', async () => {
    const parts = [Buffer.from(sealed), Buffer.from('\n30 0 obj\n<< /Certs [' + '31 0 R '.repeat(300_000) + '] >>\nendobj\n')];
    for (let i = 0; i < 20_000; i++) parts.push(Buffer.from(`${100 + i} 0 obj\n<< /Type /VRI /Cert [${100 + i} 0 R] >>\nendobj\n`));
    parts.push(Buffer.from('99 0 obj\n(' + 'x'.repeat(4_000_000) + '\n'));
    const t = performance.now();
    const r = await verifyPdf(new Uint8Array(Buffer.concat(parts)), opts());
    expect(performance.now() - t).toBeLessThan(3000);
    expect(r.verdict).toBe('modified_after_sealing');
    expect(r.notes.join(' ')).toMatch(/too large to inspect/);
  });
});
