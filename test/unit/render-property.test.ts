import fc from 'fast-check';
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockHeight, fitInBox } from '../../src/documents/box.js';
import type { FieldDef, FieldValue } from '../../src/documents/fields.js';
import { renderDocument, renderToBytes } from '../../src/documents/render.js';
import { starterLayout, STARTER_IDS } from '../../src/documents/templates/starters/index.js';
import { defaultFonts, sanitize, textWidth, type DocumentFonts } from '../../src/documents/text.js';
import { LANGS } from '../../src/i18n/index.js';

/**
 * Random values — long, non-Latin, emoji, right-to-left, control characters, lone surrogates — never
 * crash rendering, and whatever does not fit its box is reported, never drawn past the edge.
 */
const scripts = [
  'Договор подписан',
  'Ελληνικά γράμματα',
  'Perché così è più facile',
  'שלום עולם',
  'مرحبا بالعالم',
  '合同已签署',
  '👩‍👩‍👧‍👦🎉🇮🇹',
  'e\u0301\u200b\u200d\ufeff',
  '\u0000\u0007\t\r\n',
  'x'.repeat(300),
];
const piece = fc.oneof(
  fc.constantFrom(...scripts),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.lorem({ maxCount: 30 }),
);
const text = fc.array(piece, { maxLength: 12 }).map((a) => a.join(' '));
const longText = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.string({ minLength: 2000, maxLength: 8000 }) });
const value: fc.Arbitrary<FieldValue> = fc.oneof(
  longText,
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.record({ amount: fc.double({ min: -1e15, max: 1e15, noNaN: true }), currency: fc.constantFrom('EUR', 'RUB', 'USD', 'XXX', 'ZZZ') }),
  fc.date({ min: new Date(-8e15), max: new Date(8e15), noInvalidDate: false }),
);

describe('rendering never crashes on random values', () => {
  it('starter layouts, any language, any values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...STARTER_IDS), fc.constantFrom(...LANGS), fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), value, { maxKeys: 4 }), fc.array(value, { minLength: 30, maxLength: 30 }), async (id, lang, extra, vals) => {
        const layout = starterLayout(id, lang)!;
        const values = Object.fromEntries(layout.fields.map((f, i) => [f.key, vals[i % vals.length]]));
        const { bytes, result } = await renderToBytes({ layout, values: { ...extra, ...values }, lang, placeholders: true });
        expect(bytes.byteLength).toBeGreaterThan(1000);
        expect(result.pageCount).toBeGreaterThanOrEqual(1);
        expect(result.pageCount).toBeLessThanOrEqual(200);
        // Reload: the saved file is a PDF pdf-lib (and so the seal step) can read back.
        const again = await PDFDocument.load(bytes);
        expect(again.getPageCount()).toBe(result.pageCount);
      }),
      { numRuns: 40 },
    );
  }, 180_000);

  it('boxed fields on a PDF, any size and value: drawn inside the box or reported', async () => {
    const base = await PDFDocument.create();
    base.addPage([300, 300]);
    base.addPage([200, 400]);
    const source = await base.save();
    const box = fc.record({
      x: fc.double({ min: 0, max: 250, noNaN: true }),
      y: fc.double({ min: 0, max: 250, noNaN: true }),
      w: fc.double({ min: 0.5, max: 400, noNaN: true }),
      h: fc.double({ min: 0.5, max: 400, noNaN: true }),
    });
    const field = fc.record({
      type: fc.constantFrom<FieldDef['type']>('text', 'multiline', 'number', 'money', 'date', 'checkbox', 'signature', 'initials', 'stamp'),
      page: fc.integer({ min: 0, max: 2 }),
      box,
      fontSize: fc.option(fc.double({ min: 4, max: 72, noNaN: true }), { nil: undefined }),
      value,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(field, { minLength: 1, maxLength: 6 }), async (specs) => {
        const fields: FieldDef[] = specs.map((s, i) => ({ key: `f${i}`, type: s.type, party: s.type === 'signature' || s.type === 'initials' || s.type === 'stamp' ? 'client' : 'sender', required: false, page: s.page, box: s.box, fontSize: s.fontSize }));
        const values = Object.fromEntries(specs.map((s, i) => [`f${i}`, s.value]));
        const result = await renderDocument({ pdf: source, fields, values, lang: 'en', placeholders: true });
        // Page 3 does not exist: reported as a warning, not a crash.
        for (const [i, s] of specs.entries()) {
          if (s.page === 2) expect(result.warnings).toContainEqual(expect.objectContaining({ key: `f${i}`, reason: 'unknown_page' }));
        }
        await result.doc.save();
      }),
      { numRuns: 60 },
    );
  }, 180_000);
});

describe('fitInBox never overflows silently', () => {
  let fonts: DocumentFonts;
  beforeAll(async () => {
    fonts = await defaultFonts(await PDFDocument.create());
  });

  it('every line fits the width, the lines fit the height, or the result says truncated', () => {
    fc.assert(
      fc.property(
        longText,
        fc.double({ min: 1, max: 600, noNaN: true }),
        fc.double({ min: 1, max: 300, noNaN: true }),
        fc.double({ min: 4, max: 40, noNaN: true }),
        fc.boolean(),
        (raw, w, h, size, multiline) => {
          const t = sanitize(fonts.regular, raw, { multiline }).text;
          const fit = fitInBox(fonts.regular, t, { x: 0, y: 0, w, h }, { size, minSize: 5, multiline });
          const pad = Math.min(2, w / 10);
          const inner = Math.max(1, w - 2 * pad);
          for (const line of fit.lines) {
            // A single character wider than the box can only be drawn by cutting it: that must be reported.
            if (textWidth(fonts.regular, line, fit.size) > inner + 1e-6) expect(fit.truncated).toBe(true);
          }
          const innerH = Math.max(1, h - 2 * Math.min(1, h / 10));
          if (blockHeight(fit.lines.length, fit.size) > innerH + 1e-6) expect(fit.truncated).toBe(true);
          if (!fit.truncated) expect(fit.lines.join('').replace(/\s/g, '')).toBe(t.replace(/\s/g, ''));
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);
});
