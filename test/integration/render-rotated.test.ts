import { execFileSync } from 'node:child_process';
import { degrees, PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import type { FieldBox, FieldDef } from '../../src/documents/fields.js';
import { displayedSize, normalizeRotation } from '../../src/documents/page-space.js';
import { renderDocument } from '../../src/documents/render.js';
import { drawImageInBox } from '../../src/documents/visual-space.js';
import { encodePng, pdfText } from '../helpers/render-diff.js';

/**
 * Fields on pages with /Rotate (a landscape scan saved as portrait + /Rotate 90): boxes are in the
 * page's displayed space (src/documents/page-space.ts), so the value must land in the box where the
 * reader sees it and read upright there. Checked with poppler, which shows pages rotated as any
 * viewer does (-cropbox: cut as viewers cut): pdftotext for the words (in order, horizontal, inside the box) and pdftoppm at 72 dpi
 * (one pixel per point) for a signature image (inside its box, its dark half on the reader's left).
 */

const MEDIA: [number, number] = [220, 340];
const CROP = { x: 10, y: 20, width: 200, height: 300 };

/** A 60×20 "signature": dark left half, white right half, so a turned or mirrored image shows. */
function halfDarkPng(): Uint8Array {
  const width = 60;
  const height = 20;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = x < width / 2 ? 0 : 255;
  return new Uint8Array(encodePng({ width, height, data }));
}

/**
 * Words of page 1 in displayed space, y up. Not test/helpers' pdfWords: poppler's -bbox gives word
 * coordinates on the displayed page but the *unrotated* page height, so its y flip is off on 90/270.
 */
function displayedWords(pdf: Uint8Array, displayedHeight: number) {
  const html = execFileSync('pdftotext', ['-bbox', '-cropbox', '-f', '1', '-l', '1', '-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8');
  const re = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  return [...html.matchAll(re)].map((m) => ({ text: m[5]!, x0: Number(m[1]), x1: Number(m[3]), y0: displayedHeight - Number(m[4]), y1: displayedHeight - Number(m[2]) }));
}

/** Page 1 as poppler shows it (rotated, cut to the crop box) at 72 dpi: one grey pixel per point. */
function rasterizeShown(pdf: Uint8Array) {
  const pgm = execFileSync('pdftoppm', ['-gray', '-r', '72', '-cropbox', '-singlefile', '-'], { input: pdf });
  const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 40).toString('latin1'))!;
  return { width: Number(m[1]), height: Number(m[2]), data: new Uint8Array(pgm.subarray(m[0].length)) };
}

async function renderRotated(rotate: number, cropped: boolean) {
  const base = await PDFDocument.create();
  const page = base.addPage(MEDIA);
  if (cropped) page.setCropBox(CROP.x, CROP.y, CROP.width, CROP.height);
  page.setRotation(degrees(rotate));
  const crop = cropped ? CROP : { x: 0, y: 0, width: MEDIA[0], height: MEDIA[1] };
  const shown = displayedSize(crop, normalizeRotation(rotate));
  // Text near the displayed top-left, the signature near the displayed bottom-right.
  const text: FieldBox = { x: 15, y: shown.height - 50, w: 150, h: 24 };
  const sign: FieldBox = { x: shown.width - 110, y: 15, w: 90, h: 40 };
  const fields: FieldDef[] = [
    { key: 'name', type: 'text', party: 'client', required: false, page: 0, box: text, fontSize: 12 },
    { key: 'sig', type: 'signature', party: 'client', required: true, page: 0, box: sign },
  ];
  const rendered = await renderDocument({ pdf: await base.save(), fields, values: { name: 'Upright Hello' }, lang: 'en' });
  // As completion.ts does: the image goes where the render placed the signature field.
  const at = rendered.placements.find((p) => p.key === 'sig')!;
  drawImageInBox(rendered.doc.getPage(at.page), await rendered.doc.embedPng(halfDarkPng()), at.box);
  const bytes = await rendered.doc.save();
  return { bytes, rendered, shown, text, sign };
}

describe.each([
  [0, false],
  [0, true],
  [90, false],
  [180, false],
  [270, false],
  [90, true],
  [270, true],
])('a page with /Rotate %i (crop box moved: %s)', (rotate, cropped) => {
  it('shows a text value upright inside its displayed box, and a signature image in its box, not turned', async () => {
    const { bytes, rendered, shown, text, sign } = await renderRotated(rotate, cropped);
    expect(rendered.warnings).toEqual([]);
    // Placements stay in the stored convention (they become the envelope's field boxes).
    expect(rendered.placements.map((p) => p.box)).toEqual([text, sign]);

    // Text: extracted in reading order, laid horizontally, inside the box as displayed.
    expect(pdfText(bytes)).toContain('Upright Hello');
    const words = displayedWords(bytes, shown.height);
    expect(words.map((w) => w.text)).toEqual(['Upright', 'Hello']);
    const found = { x0: Math.min(...words.map((w) => w.x0)), x1: Math.max(...words.map((w) => w.x1)), y0: Math.min(...words.map((w) => w.y0)), y1: Math.max(...words.map((w) => w.y1)) };
    expect(words[0]!.x1, 'left to right').toBeLessThan(words[1]!.x0);
    expect(found!.x1 - found!.x0).toBeGreaterThan(3 * (found!.y1 - found!.y0));
    expect(found!.x0).toBeGreaterThanOrEqual(text.x - 0.5);
    expect(found!.x1).toBeLessThanOrEqual(text.x + text.w + 0.5);
    expect(found!.y0).toBeGreaterThanOrEqual(text.y - 0.5);
    expect(found!.y1).toBeLessThanOrEqual(text.y + text.h + 0.5);

    // Signature: at 72 dpi a pixel is a point of the displayed page (rows from its top).
    const img = rasterizeShown(bytes);
    expect([img!.width, img!.height]).toEqual([Math.round(shown.width), Math.round(shown.height)]);
    const px = (x: number, yUp: number) => img!.data[(img!.height - 1 - Math.floor(yUp)) * img!.width + Math.floor(x)]!;
    const mean = (x0: number, y0: number, x1: number, y1: number) => {
      let sum = 0;
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) (sum += px(x, y)), n++;
      return sum / n;
    };
    // The 60×20 image fits the 90×40 box at 1.5×: 90×30, centred, so 5 pt free above and below.
    const drawn = { x: sign.x, y: sign.y + 5, w: 90, h: 30 };
    expect(mean(drawn.x + 3, drawn.y + 3, drawn.x + drawn.w / 2 - 3, drawn.y + drawn.h - 3), 'dark half on the left').toBeLessThan(40);
    expect(mean(drawn.x + drawn.w / 2 + 3, drawn.y + 3, drawn.x + drawn.w - 3, drawn.y + drawn.h - 3), 'white half on the right').toBeGreaterThan(215);
    // Nothing dark anywhere else on the page.
    let stray = 0;
    const inside = (x: number, y: number, b: FieldBox) => x >= b.x - 1 && x <= b.x + b.w + 1 && y >= b.y - 1 && y <= b.y + b.h + 1;
    for (let y = 0; y < img!.height; y++) {
      for (let x = 0; x < img!.width; x++) if (px(x, y) < 128 && !inside(x, y, sign) && !inside(x, y, text)) stray++;
    }
    expect(stray, 'dark pixels outside both boxes').toBe(0);
  });
});
