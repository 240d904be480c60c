import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PDFDocument, PDFName } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import type { FieldDef } from '../../src/documents/fields.js';
import { renderToBytes } from '../../src/documents/render.js';
import { inspectUpload, sniffPdf, type UploadLimits } from '../../src/documents/upload.js';
import { AppError } from '../../src/http/errors.js';
import { nodeOffThread } from '../../src/entry/worker-threads.js';
import { pdfText } from '../helpers/render-diff.js';

/** Real-world PDFs (test/fixtures/pdfs/README.md) through upload inspection and field rendering. */
const DIR = join(import.meta.dirname, '../fixtures/pdfs');
const read = (f: string) => new Uint8Array(readFileSync(join(DIR, f)));
const LIMITS: UploadLimits = { maxBytes: 25 * 1024 * 1024, maxPages: 500, timeoutMs: 20_000, memoryMb: 512 };
// inspectUpload reads the file in a worker thread through the off-thread port (its Node adapter, as the entry builds it).
const offThread = nodeOffThread({ VERIFY_TIMEOUT_MS: 20_000, VERIFY_MEMORY_MB: 256, UPLOAD_PARSE_TIMEOUT_MS: 20_000, UPLOAD_PARSE_MEMORY_MB: 512 });
const inspect = (bytes: Uint8Array, limits: UploadLimits) => inspectUpload(bytes, limits, offThread);

function qpdfCheck(pdf: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'b24-qpdf-'));
  try {
    writeFileSync(join(dir, 'out.pdf'), pdf);
    return execFileSync('qpdf', ['--check', join(dir, 'out.pdf')], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected the upload to be refused');
}

const ACCEPTED: Array<{ file: string; version: string; pages: number; features: Partial<Record<'linearized' | 'xrefStreams' | 'objectStreams', boolean>>; revisions?: number; form?: boolean }> = [
  { file: 'qpdf--minimal.pdf', version: '1.3', pages: 1, features: { linearized: false, xrefStreams: false } },
  { file: 'qpdf--lin0.pdf', version: '1.3', pages: 1, features: {} },
  { file: 'qpdf--object-stream.pdf', version: '1.5', pages: 1, features: { xrefStreams: true, objectStreams: true } },
  { file: 'pdflib--Simple_PDF_2.0_file.pdf', version: '2.0', pages: 1, features: {} },
  { file: 'pdflib--us_constitution.pdf', version: '1.3', pages: 19, features: {} },
  { file: 'pdflib--with_update_sections.pdf', version: '1.7', pages: 1, features: { xrefStreams: true }, revisions: 4 },
  { file: 'pdflib--fancy_fields.pdf', version: '1.6', pages: 1, features: {}, revisions: 11, form: true },
  // Made from the files above with qpdf 11.3 --linearize (and --object-streams=generate).
  { file: 'generated--minimal-linearized.pdf', version: '1.3', pages: 1, features: { linearized: true } },
  { file: 'generated--fancy_fields-linearized-objstm.pdf', version: '1.6', pages: 1, features: { linearized: true, xrefStreams: true, objectStreams: true }, form: true },
  // Malformed, but pdf-lib recovers it (pdf-signing.md §8): accepted, and it must render.
  { file: 'qpdf--bad-xref.pdf', version: '1.3', pages: 1, features: {} },
];

describe('uploads of real-world PDFs', () => {
  it.each(ACCEPTED)('$file is accepted, described, and takes fields', async ({ file, version, pages, features, revisions, form }) => {
    const bytes = read(file);
    const info = await inspect(bytes, LIMITS);
    expect(info.version).toBe(version);
    expect(info.pageCount).toBe(pages);
    expect(info).toMatchObject(features);
    if (revisions) expect(info.revisions).toBe(revisions);
    if (form) expect(info.formFields).toBeGreaterThan(0);
    expect(info.pages[0]!.width).toBeGreaterThan(50);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);

    // Fields drawn on the last page, with Cyrillic and Greek, then a structural check by qpdf.
    const last = pages - 1;
    const fields: FieldDef[] = [
      { key: 'name', type: 'text', party: 'sender', required: true, page: last, box: { x: 20, y: 20, w: 150, h: 14 } },
      { key: 'ok', type: 'checkbox', party: 'client', required: false, page: last, box: { x: 20, y: 40, w: 10, h: 10 } },
      { key: 'sig', type: 'signature', party: 'client', required: true, page: last, box: { x: 20, y: 60, w: 120, h: 30 } },
    ];
    const { bytes: out, result } = await renderToBytes({ pdf: bytes, fields, values: { name: 'Подпись Υπογραφή', ok: true }, lang: 'ru' });
    expect(result.overflows).toEqual([]);
    expect(result.placements.map((p) => p.key)).toEqual(['name', 'ok', 'sig']);
    expect(pdfText(out)).toContain('Подпись Υπογραφή');
    expect(qpdfCheck(out)).toMatch(/No syntax or stream encoding errors/);
  });

  it.each([
    ['qpdf--V4-aes.pdf', 'PDF_ENCRYPTED'],
    ['pdflib--encrypted_new.pdf', 'PDF_ENCRYPTED'],
    ['pyhanko--minimal-aes256.pdf', 'PDF_ENCRYPTED'],
    ['pyhanko--broken-objstream1.pdf', 'PDF_INVALID'],
  ])('%s is refused with %s', async (file, code) => {
    const e = await refusal(inspect(read(file), LIMITS));
    expect(e.code).toBe(code);
    expect(e.message.length).toBeGreaterThan(30);
  });

  it.each([
    ['qpdf--digitally-signed.pdf', 1],
    ['pyhanko--minimal-two-fields-signed-twice.pdf', 2],
    ['pyhanko--sig-with-ski-sid.pdf', 1],
    ['pyhanko--coverage-anomalies_tail-uncovered.pdf', 1],
  ])('%s, already signed, is accepted and says it carries %i signature(s) (later additions are incremental)', async (file, n) => {
    const info = await inspect(read(file), LIMITS);
    expect(info.signatures).toBe(n);
  });

  it('refuses a certified file that allows no changes (DocMDP P=1)', async () => {
    const doc = await PDFDocument.load(read('qpdf--minimal.pdf'));
    const ctx = doc.context;
    const sig = ctx.register(ctx.obj({ Type: 'Sig', ByteRange: [0, 10, 20, 30], Reference: [{ Type: 'SigRef', TransformMethod: 'DocMDP', TransformParams: { P: 1 } }] }));
    doc.catalog.set(PDFName.of('Perms'), ctx.obj({ DocMDP: sig }));
    const e = await refusal(inspect(await doc.save({ useObjectStreams: false }), LIMITS));
    expect(e.code).toBe('PDF_CERTIFIED_LOCKED');
  });

  it('refuses oversized files, too many pages, non-PDFs and unknown versions with specific codes', async () => {
    const us = read('pdflib--us_constitution.pdf');
    expect((await refusal(inspect(us, { ...LIMITS, maxBytes: 100_000 }))).code).toBe('PDF_TOO_LARGE');
    const pages = await refusal(inspect(us, { ...LIMITS, maxPages: 5 }));
    expect(pages.code).toBe('PDF_TOO_MANY_PAGES');
    expect(pages.details).toMatchObject({ pages: 19, limit: 5 });
    expect((await refusal(inspect(new TextEncoder().encode('<html>not a pdf</html>'), LIMITS))).code).toBe('PDF_INVALID');
    const v3 = new TextEncoder().encode('%PDF-3.0\n%%EOF\n');
    expect((await refusal(inspect(v3, LIMITS))).message).toMatch(/version 3.0/);
  });

  it('sniffs signatures without counting unsigned signature placeholders', () => {
    const placeholder = new TextEncoder().encode('%PDF-1.7\n1 0 obj << /Type /Sig /ByteRange [0 /********** /********** /**********] >> endobj\n%%EOF');
    expect(sniffPdf(placeholder).signatures).toBe(0);
    expect(sniffPdf(read('qpdf--digitally-signed.pdf')).signatures).toBe(1);
    expect(sniffPdf(read('qpdf--V4-aes.pdf')).encrypted).toBe(true);
    expect(sniffPdf(read('pdflib--fancy_fields.pdf')).encrypted).toBe(false);
  });
});

describe('hostile uploads are bounded in time and memory', () => {
  const enc = new TextEncoder();
  const skeleton = (objs: string) =>
    `%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n${objs}\ntrailer << /Root 1 0 R /Size 9 >>\n%%EOF\n`;

  it('a huge object count hits the memory cap and is refused as PDF_TOO_COMPLEX', async () => {
    const objs: string[] = [];
    for (let i = 4; i < 200_000; i++) objs.push(`${i} 0 obj [${i} 0 R /Name (string)] endobj`);
    const started = performance.now();
    const e = await refusal(inspect(enc.encode(skeleton(objs.join('\n'))), { ...LIMITS, memoryMb: 48, timeoutMs: 15_000 }));
    expect(e.code).toBe('PDF_TOO_COMPLEX');
    // Bounded by the cap or, at worst, the timeout (plus slack for a busy machine).
    expect(performance.now() - started).toBeLessThan(25_000);
  }, 40_000);

  it('a decompression bomb in an object stream is refused by size, however generous the time limit', async () => {
    // 128 MiB of spaces deflate to ~130 KB; pdf-lib would inflate all of it while parsing, here and
    // again on the main thread when rendering. The budget stops it in the worker, without the clock.
    const z = deflateSync(Buffer.alloc(128 * 1024 * 1024, 0x20), { level: 9 });
    const [head, tail] = skeleton('@@').split('@@') as [string, string];
    const bomb = Buffer.concat([enc.encode(`${head}4 0 obj << /Type /ObjStm /N 1 /First 2 /Filter /FlateDecode /Length ${z.length} >>\nstream\n`), z, enc.encode(`\nendstream\nendobj${tail}`)]);
    const e = await refusal(inspect(bomb, { ...LIMITS, timeoutMs: 60_000, memoryMb: 96 }));
    expect(e.code).toBe('PDF_TOO_COMPLEX');
    expect(e.message).toMatch(/expand to more than 64 MB/);
  }, 40_000);

  it('deep nesting neither crashes nor hangs, and the process still serves the next upload', async () => {
    const deep = skeleton(`4 0 obj ${'['.repeat(200_000)}${']'.repeat(200_000)} endobj\n5 0 obj ${'<< /A '.repeat(50_000)}1${' >>'.repeat(50_000)} endobj`);
    const started = performance.now();
    await inspect(enc.encode(deep), { ...LIMITS, timeoutMs: 10_000 }).catch((e: unknown) => {
      expect(e).toBeInstanceOf(AppError);
      expect(['PDF_INVALID', 'PDF_TOO_COMPLEX']).toContain((e as AppError).code);
    });
    expect(performance.now() - started).toBeLessThan(20_000);
    const ok = await inspect(read('qpdf--minimal.pdf'), LIMITS);
    expect(ok.pageCount).toBe(1);
  }, 40_000);
});

describe('fields on rotated pages', () => {
  it('are drawn in the displayed page space, with no warning (test/integration/render-rotated.test.ts checks where)', async () => {
    const { PDFDocument, degrees } = await import('pdf-lib');
    const doc = await PDFDocument.create();
    doc.addPage([300, 200]).setRotation(degrees(90));
    const { result } = await renderToBytes({ pdf: await doc.save(), fields: [{ key: 'a', type: 'text', party: 'sender', required: false, page: 0, box: { x: 10, y: 10, w: 100, h: 14 } }], values: { a: 'x' }, lang: 'en' });
    expect(result.warnings).toEqual([]);
  });
});
