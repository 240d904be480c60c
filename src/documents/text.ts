import type { PDFDocument, PDFFont } from 'pdf-lib';
import { fontBytes, fontkitAdapter, type FontName } from './fonts.js';

/**
 * Fonts for rendering, and the text measuring/wrapping every layout uses.
 *
 * Speed matters here (a 2-page contract should render in well under 30 ms): parsing a 750 KB TTF
 * and shaping every string through fontkit's OpenType engine cost ~50 ms per document. So the parsed
 * fontkit font is kept per process, and its `layout` is replaced by a one-glyph-per-code-point
 * mapping for the scripts we print (Latin, Cyrillic, Greek need no shaping; DejaVu has precomposed
 * letters and we NFC-normalise). Text that is entirely right-to-left still goes through fontkit's
 * shaper, which joins Arabic letters and orders the run. Mixed-direction text is not reordered
 * (no bidi algorithm) — a known limit.
 */
export interface DocumentFonts {
  regular: PDFFont;
  bold: PDFFont;
  hand: PDFFont;
}

/** How a caller provides fonts: embed them into a document. The default shares parsed fonts process-wide. */
export type FontLoader = (doc: PDFDocument) => Promise<DocumentFonts>;

type Glyph = { id: number; advanceWidth: number; codePoints: number[] };
type KitFont = {
  unitsPerEm: number;
  layout(text: string, features?: unknown): { glyphs: Glyph[]; positions: unknown[] };
  glyphForCodePoint(cp: number): Glyph;
  hasGlyphForCodePoint(cp: number): boolean;
};

const RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;
const LTR_LETTER = /[A-Za-z\u00C0-\u024F\u0370-\u03FF\u0400-\u052F]/;

const parsed = new Map<Uint8Array, KitFont>();

/** fontkit-compatible object for pdf-lib that returns the process-wide parsed font for the same bytes. */
const sharedFontkit = {
  create(data: Uint8Array, postscriptName?: string) {
    let font = parsed.get(data);
    if (!font) {
      font = fontkitAdapter.create(data, postscriptName) as unknown as KitFont;
      const shaped = font.layout.bind(font);
      const f = font;
      memoiseGlyphDecoding(f);
      // fontkit caches one glyph object per glyph id, with the code points of whoever asked first; a
      // subset that pulls in a composite's component (Cyrillic А → Latin A) caches it with none, and
      // the next document's ToUnicode map would lose that letter. So hand pdf-lib our own views, one
      // per code point, whose codePoints never change.
      const views = new Map<number, Glyph>();
      const glyphOf = (cp: number): Glyph => {
        let g = views.get(cp);
        if (!g) {
          const base = f.glyphForCodePoint(cp);
          g = Object.create(base, { codePoints: { value: [cp], enumerable: true } }) as Glyph;
          views.set(cp, g);
        }
        return g;
      };
      font.layout = (text: string, features?: unknown) => {
        if (RTL.test(text) && !LTR_LETTER.test(text)) return shaped(text, features);
        const glyphs: Glyph[] = [];
        for (const ch of text) glyphs.push(glyphOf(ch.codePointAt(0)!));
        return { glyphs, positions: [] };
      };
      parsed.set(data, font);
    }
    return font;
  },
};

/**
 * Subsetting decodes every included glyph's outline (only to learn whether it is a composite), each
 * time a document is saved: most of a subset's cost. Outlines never change, so decode each glyph
 * once per process. (DejaVu and Caveat are not variable fonts, whose outlines would vary.)
 */
function memoiseGlyphDecoding(font: KitFont) {
  const f = font as KitFont & { getGlyph(id: number, cps?: number[]): { _decode(): unknown } | null };
  const getGlyph = f.getGlyph.bind(f);
  f.getGlyph = (id: number, cps?: number[]) => {
    const g = getGlyph(id, cps);
    if (g && !Object.hasOwn(g, '_decode')) {
      const decode = g._decode.bind(g);
      let done = false;
      let decoded: unknown;
      g._decode = () => {
        if (!done) {
          decoded = decode();
          done = true;
        }
        return decoded;
      };
    }
    return g;
  };
}

async function embed(doc: PDFDocument, name: FontName): Promise<PDFFont> {
  return doc.embedFont(await fontBytes(name), { subset: true });
}

export const defaultFonts: FontLoader = async (doc) => {
  doc.registerFontkit(sharedFontkit as never);
  const [regular, bold, hand] = [await embed(doc, 'sans'), await embed(doc, 'sansBold'), await embed(doc, 'handwriting')];
  return { regular, bold, hand };
};

// ---------------------------------------------------------------------------------------------------
// Measuring

const kitOf = (font: PDFFont): KitFont => (font as unknown as { embedder: { font: KitFont } }).embedder.font;

const widthCache = new WeakMap<KitFont, Map<number, number>>();

/** Advance of one code point in font units per 1 pt of size (i.e. already divided by unitsPerEm). */
function advance(kit: KitFont, cp: number): number {
  let m = widthCache.get(kit);
  if (!m) widthCache.set(kit, (m = new Map()));
  let w = m.get(cp);
  if (w === undefined) {
    w = kit.glyphForCodePoint(cp).advanceWidth / kit.unitsPerEm;
    m.set(cp, w);
  }
  return w;
}

export function textWidth(font: PDFFont, text: string, size: number): number {
  const kit = kitOf(font);
  if (RTL.test(text)) return font.widthOfTextAtSize(text, size);
  let w = 0;
  for (const ch of text) w += advance(kit, ch.codePointAt(0)!);
  return w * size;
}

export function hasGlyphs(font: PDFFont, text: string): boolean {
  const kit = kitOf(font);
  for (const ch of text) if (!kit.hasGlyphForCodePoint(ch.codePointAt(0)!)) return false;
  return true;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}]/gu;
// Controls other than newline; the C1 range and the BOM included.
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g;

/**
 * Text safe to hand to the font: well-formed UTF-16, NFC, no control or invisible formatting
 * characters, and every code point the font lacks replaced by U+FFFD (reported as `missing`).
 */
export function sanitize(font: PDFFont, text: string, opts: { multiline?: boolean } = {}): { text: string; missing: string[] } {
  let s = text.replace(LONE_SURROGATE, '\uFFFD').normalize('NFC').replace(/\r\n?/g, '\n').replace(/\t/g, '    ').replace(CONTROL, ' ').replace(IGNORABLE, '');
  if (!opts.multiline) s = s.replace(/\n+/g, ' ');
  const kit = kitOf(font);
  const missing = new Set<string>();
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\n' || kit.hasGlyphForCodePoint(cp)) out += ch;
    else {
      missing.add(ch);
      out += kit.hasGlyphForCodePoint(0xfffd) ? '\uFFFD' : '?';
    }
  }
  return { text: out, missing: [...missing] };
}

/**
 * Greedy word wrap. Words longer than the line are broken by characters, so no input, however
 * long or space-free, can run past `maxWidth`. Explicit newlines are kept.
 */
export function wrapText(font: PDFFont, text: string, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  const space = textWidth(font, ' ', size);
  for (const para of text.split('\n')) {
    let line = '';
    let lineW = 0;
    for (const word of para.split(/ +/)) {
      if (word === '') continue;
      let w = textWidth(font, word, size);
      if (line && lineW + space + w <= maxWidth) {
        line += ` ${word}`;
        lineW += space + w;
        continue;
      }
      if (line) lines.push(line);
      line = '';
      lineW = 0;
      if (w <= maxWidth) {
        line = word;
        lineW = w;
        continue;
      }
      // Break an over-long word into chunks that fit.
      let chunk = '';
      let chunkW = 0;
      for (const ch of word) {
        const cw = textWidth(font, ch, size);
        if (chunk && chunkW + cw > maxWidth) {
          lines.push(chunk);
          chunk = '';
          chunkW = 0;
        }
        chunk += ch;
        chunkW += cw;
      }
      line = chunk;
      lineW = chunkW;
      w = chunkW;
    }
    lines.push(line);
  }
  return lines;
}

/** Cuts a single line to fit, ending in an ellipsis. */
export function ellipsize(font: PDFFont, text: string, size: number, maxWidth: number): string {
  if (textWidth(font, text, size) <= maxWidth) return text;
  const chars = [...text];
  const ell = '…';
  const ellW = textWidth(font, ell, size);
  let w = 0;
  let out = '';
  for (const ch of chars) {
    const cw = textWidth(font, ch, size);
    if (w + cw + ellW > maxWidth) break;
    out += ch;
    w += cw;
  }
  return out.trimEnd() + ell;
}
