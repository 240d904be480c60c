import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FieldValues } from '../../src/documents/fields.js';
import { formatValue } from '../../src/documents/format.js';
import { renderToBytes } from '../../src/documents/render.js';
import { starterLayout, STARTER_IDS } from '../../src/documents/templates/starters/index.js';
import type { Lang } from '../../src/i18n/index.js';
import { GREEK, ITALIAN, RUSSIAN } from '../fixtures/documents/render-values.js';
import { decodePng, diffRatio, encodePng, inkRatio, pdfText, rasterize } from '../helpers/render-diff.js';

/**
 * Every starter rendered with Italian, Russian and Greek data: pdftotext proves the text (and so the
 * fonts' ToUnicode maps) is right, pdftoppm against committed references proves it *looks* right —
 * text extraction passes even when glyphs are drawn broken (pdf-signing.md §6).
 * Regenerate references after an intended layout change: UPDATE_RENDER_REFS=1 npx vitest run test/unit/render-starters.test.ts
 */
const REFS = join(import.meta.dirname, '../fixtures/render-refs');
const UPDATE = process.env.UPDATE_RENDER_REFS === '1';
/** Share of pixels allowed to differ (anti-aliasing differences between poppler builds). */
const TOLERANCE = 0.01;

const SETS: Array<{ name: string; lang: Lang; values: FieldValues }> = [
  { name: 'italian', lang: 'it', values: ITALIAN },
  { name: 'russian', lang: 'ru', values: RUSSIAN },
  // There is no Greek layout: Greek parties in an English contract is the realistic case.
  { name: 'greek', lang: 'en', values: GREEK },
];

const norm = (s: string) => s.replace(/[\s\u00a0\u202f]+/g, ' ').trim();

describe.each(STARTER_IDS)('starter %s', (id) => {
  it.each(SETS)('renders $name data with the right text and looks like its reference', async ({ name, lang, values }) => {
    const layout = starterLayout(id, lang)!;
    const { bytes, result } = await renderToBytes({ layout, values, lang });
    expect(result.overflows).toEqual([]);
    expect(result.warnings).toEqual([]);

    // Text: every value the layout uses, formatted for the language, is in the PDF.
    const text = pdfText(bytes);
    const used = new Set(JSON.stringify(layout).match(/\{\{([a-z0-9_]+)\}\}/g)!.map((m) => m.slice(2, -2)));
    let checked = 0;
    for (const f of layout.fields) {
      if (!used.has(f.key) || values[f.key] === undefined) continue;
      const expected = norm(formatValue(f.type, values[f.key], lang));
      expect(text, `${f.key} = ${expected}`).toContain(expected);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);

    // Fonts: our subsets only, embedded, with Unicode maps; never a standard font that cannot encode Cyrillic.
    const fonts = execFileSync('pdffonts', ['-'], { input: bytes }).toString();
    expect(fonts).toMatch(/DejaVuSans/);
    expect(fonts).not.toMatch(/Helvetica|Times|Courier/);
    // Columns emb, sub, uni: embedded with a Unicode map (pdf-lib names subsets without the ABCDEF+ tag, so "sub" reads no).
    for (const line of fonts.split("\n").slice(2).filter(Boolean)) expect(line).toMatch(/\byes\s+(yes|no)\s+yes\s+\d+/);

    // Marks: each party's signature box is reported where the signing flow will draw.
    const sigs = result.placements.filter((p) => p.key.endsWith('_signature'));
    expect(sigs.length).toBe(id === 'invoice' ? 1 : 2);
    for (const p of sigs) expect(p.box.w).toBeGreaterThan(50);

    // Appearance: every page against its reference image.
    const pages = rasterize(bytes, 30);
    expect(pages.length).toBe(result.pageCount);
    mkdirSync(REFS, { recursive: true });
    pages.forEach((page, i) => {
      expect(inkRatio(page)).toBeGreaterThan(0.005);
      const ref = join(REFS, `${id}-${name}-p${i + 1}.png`);
      if (UPDATE || !existsSync(ref)) {
        if (!UPDATE) throw new Error(`missing reference ${ref}; run with UPDATE_RENDER_REFS=1 and review the images`);
        writeFileSync(ref, encodePng(page));
        return;
      }
      const ratio = diffRatio(page, decodePng(readFileSync(ref)));
      expect(ratio, `${ref}: ${(ratio * 100).toFixed(2)}% of pixels differ`).toBeLessThan(TOLERANCE);
    });
  });
});

describe('reference comparison', () => {
  it('notices when a value is missing from the page (the pixel check is not vacuous)', async () => {
    const layout = starterLayout('invoice', 'ru')!;
    const { bytes } = await renderToBytes({ layout, values: { ...RUSSIAN, buyer_name: '', seller_name: '', description: '', amount: null }, lang: 'ru' });
    const page = rasterize(bytes, 30)[0]!;
    const ref = decodePng(readFileSync(join(REFS, 'invoice-russian-p1.png')));
    expect(diffRatio(page, ref)).toBeGreaterThan(0.002);
  });
});
