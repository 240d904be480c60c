import { describe, expect, it } from 'vitest';
import type { FieldDef } from '../../src/documents/fields.js';
import { renderToBytes } from '../../src/documents/render.js';
import { pdfText } from '../helpers/render-diff.js';
import { PDFDocument } from 'pdf-lib';

/**
 * Regression: fonts are parsed once per process, and fontkit caches glyphs with the code points of
 * whoever asked first. Cyrillic and Greek capitals are composites of Latin ones in DejaVu, so a
 * Russian document rendered first used to leave Latin letters without a Unicode mapping in every
 * later document ("FATTURA" extracted as "F TTUR"). This file runs in its own process, so the order
 * below is the first thing the font cache sees.
 */
const latin = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz';
const cyrillicGreek = 'АВЕКМНОРСТХ аеорсух ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ αοικ';

async function render(text: string): Promise<string> {
  const base = await PDFDocument.create();
  base.addPage([600, 200]);
  const fields: FieldDef[] = [{ key: 't', type: 'text', party: 'sender', required: false, page: 0, box: { x: 10, y: 80, w: 580, h: 20 }, fontSize: 12 }];
  const { bytes } = await renderToBytes({ pdf: await base.save(), fields, values: { t: text }, lang: 'en' });
  return pdfText(bytes).trim();
}

describe('text layer', () => {
  it('does not depend on which documents were rendered before', async () => {
    expect(await render(cyrillicGreek)).toBe(cyrillicGreek);
    expect(await render(latin)).toBe(latin);
    expect(await render(`${latin} ${cyrillicGreek}`)).toBe(`${latin} ${cyrillicGreek}`);
  });
});
