import { EncryptedPDFError, PDFDocument, type PDFPage } from 'pdf-lib';
import { AppError } from '../lib/app-error.js';
import type { Lang } from '../i18n/index.js';
import { drawCheck, drawFitted, drawMarkPlaceholder, fitInBox } from './box.js';
import { isMarkField, toBool, type FieldBox, type FieldDef, type FieldValue, type FieldValues } from './fields.js';
import { formatValue } from './format.js';
import { Flow, PageLimitError, type Placement, type TypedMark } from './templates/flow.js';
import type { Layout } from './templates/layout.js';
import { defaultFonts, hasGlyphs, sanitize, type DocumentFonts, type FontLoader } from './text.js';
import { withVisualSpace } from './visual-space.js';

/**
 * Rendering: fills a template with values and returns the pdf-lib document **unsaved**, so the
 * signing flow can add signature images, stamps and the seal placeholder and save exactly once.
 * `renderToBytes` is the convenience for previews.
 *
 * Never silent about what did not fit: every cut value is listed in `overflows`, every character the
 * fonts cannot draw in `warnings` (it is printed as U+FFFD).
 */
export type { Placement } from './templates/flow.js';

export interface RenderInput {
  /** A built-in layout… */
  layout?: Layout;
  /** …or a source PDF (an upload or a document-generator PDF) with fields placed by page and box. */
  pdf?: Uint8Array | PDFDocument;
  /** Fields to fill; defaults to the layout's. Fields with page + box are also drawn on layouts. */
  fields?: readonly FieldDef[];
  values: FieldValues;
  lang: Lang;
  /** How fonts get into the document; the default shares parsed fonts across documents. */
  fonts?: FontLoader;
  /** Dashed outlines where marks go, captioned with the field key (previews, the placement editor). */
  placeholders?: boolean;
  /** Built-in layouts stop growing here (default 200 pages). */
  maxPages?: number;
}

export interface Overflow {
  key: string;
  page: number;
  reason: string;
}

export interface RenderWarning {
  key: string;
  reason: 'missing_glyphs' | 'unknown_page';
  detail: string;
}

export interface RenderResult {
  doc: PDFDocument;
  /** The fonts already embedded: reuse them for stamps or a certificate page instead of embedding again. */
  fonts: DocumentFonts;
  /** Where each mark field (and, on PDFs, every field) sits; initials repeat once per page. */
  placements: Placement[];
  overflows: Overflow[];
  warnings: RenderWarning[];
  pageCount: number;
}

/** Longer values are cut (and reported): a field is not a place for a book. */
export const MAX_VALUE_CHARS = 20_000;
export const MAX_LAYOUT_PAGES = 200;

export async function renderDocument(input: RenderInput): Promise<RenderResult> {
  if (!input.layout === !input.pdf) throw new AppError('BAD_REQUEST', 'Render needs exactly one of a layout or a source PDF.');
  const fields = input.fields ?? input.layout?.fields ?? [];
  const doc = input.pdf instanceof PDFDocument ? input.pdf : input.pdf ? await loadSourcePdf(input.pdf) : await PDFDocument.create();
  const fonts = await (input.fonts ?? defaultFonts)(doc);
  const overflows: Overflow[] = [];
  const warnings: RenderWarning[] = [];

  // Format and clean every value once; layouts and boxes print the same strings.
  const texts = new Map<string, string>();
  const marks: Record<string, TypedMark | undefined> = {};
  for (const f of fields) {
    const raw: FieldValue = input.values[f.key] ?? f.defaultValue;
    if (raw === undefined || raw === null || raw === '') continue;
    if (f.type === 'checkbox') {
      texts.set(f.key, formatValue('checkbox', raw, input.lang));
      continue;
    }
    let text = formatValue(f.type, raw, input.lang);
    if (text.length > MAX_VALUE_CHARS) {
      text = `${text.slice(0, MAX_VALUE_CHARS)}…`;
      overflows.push({ key: f.key, page: -1, reason: `value longer than ${MAX_VALUE_CHARS} characters was cut` });
    }
    if (isMarkField(f.type)) {
      // Typed marks prefer the handwriting font; names it cannot write (Greek, Hebrew…) use the text font.
      const font = hasGlyphs(fonts.hand, sanitize(fonts.regular, text).text) ? fonts.hand : fonts.regular;
      const s = sanitize(font, text);
      if (s.missing.length) warnings.push({ key: f.key, reason: 'missing_glyphs', detail: s.missing.join('') });
      if (s.text.trim()) marks[f.key] = { text: s.text, font };
      continue;
    }
    const s = sanitize(fonts.regular, text, { multiline: f.type === 'multiline' || !!input.layout });
    if (s.missing.length) warnings.push({ key: f.key, reason: 'missing_glyphs', detail: s.missing.join('') });
    texts.set(f.key, s.text);
  }

  const placements: Placement[] = [];
  if (input.layout) {
    const flow = new Flow(doc, fonts, input.lang, {
      resolve: (key) => texts.get(key),
      marks,
      placeholders: input.placeholders ?? false,
      maxPages: input.maxPages ?? MAX_LAYOUT_PAGES,
    });
    try {
      for (const b of input.layout.blocks) flow.block(b);
    } catch (e) {
      if (e instanceof PageLimitError) {
        throw new AppError('VALIDATION_FAILED', `The document would be longer than ${e.maxPages} pages; shorten the longest values.`, { maxPages: e.maxPages });
      }
      throw e;
    }
    flow.footer(input.layout.footer);
    placements.push(...flow.placements);
    for (const o of flow.overflows) overflows.push({ key: o.key ?? '', page: o.page, reason: o.reason });
  }

  // Fields placed by page and box: every field of an uploaded PDF, extra fields on a layout.
  const pages = doc.getPages();
  for (const f of fields) {
    if (f.page === undefined || !f.box) continue;
    const page = pages[f.page];
    if (!page) {
      warnings.push({ key: f.key, reason: 'unknown_page', detail: `page ${f.page + 1} of ${pages.length}` });
      continue;
    }
    // Boxes are in the page's displayed space (page-space.ts): drawn there, a value reads upright
    // where the reader sees its box, /Rotate or not; the placement keeps that box as it is.
    const box = f.box;
    placements.push({ key: f.key, page: f.page, box });
    const o = withVisualSpace(page, () => drawBoxField(page, fonts, f, box, texts.get(f.key), marks[f.key], input.values[f.key] ?? f.defaultValue, input.placeholders ?? false)).result;
    if (o) overflows.push({ key: f.key, page: f.page, reason: o });
  }

  return { doc, fonts, placements, overflows, warnings, pageCount: doc.getPageCount() };
}

/** Renders and saves: for previews and for callers that add nothing afterwards. */
export async function renderToBytes(input: RenderInput): Promise<{ bytes: Uint8Array; result: RenderResult }> {
  const result = await renderDocument(input);
  // One uninterrupted save: pdf-lib otherwise yields to the event loop with a timer every 50 objects.
  const bytes = await result.doc.save({ useObjectStreams: true, objectsPerTick: Number.POSITIVE_INFINITY });
  return { bytes, result };
}

/**
 * Loads a source PDF for rendering. A saved render (renderToBytes: previews) rewrites the whole file;
 * what recipients get and the sealed file are appended to the source incrementally instead
 * (signing/seal-source.ts), so signatures a source carries stay valid there.
 */
export async function loadSourcePdf(bytes: Uint8Array): Promise<PDFDocument> {
  try {
    return await PDFDocument.load(bytes, { updateMetadata: false });
  } catch (e) {
    if (e instanceof EncryptedPDFError) throw new AppError('PDF_ENCRYPTED', 'This PDF is encrypted or password-protected; upload an unprotected copy.');
    throw new AppError('PDF_INVALID', 'This file could not be read as a PDF.', undefined, { cause: e });
  }
}

function drawBoxField(
  page: PDFPage,
  fonts: DocumentFonts,
  f: FieldDef,
  box: FieldBox,
  text: string | undefined,
  mark: TypedMark | undefined,
  raw: FieldValue,
  placeholders: boolean,
): string | undefined {
  if (f.type === 'checkbox') {
    if (raw !== undefined && raw !== null && raw !== '') drawCheck(page, box, toBool(raw));
    else if (placeholders) drawCheck(page, box, false);
    return undefined;
  }
  if (isMarkField(f.type)) {
    if (mark) {
      const fit = fitInBox(mark.font, mark.text, box, { size: Math.min(box.h * 0.6, 28), minSize: 5, multiline: false });
      drawFitted(page, mark.font, fit, box, { color: [0.05, 0.1, 0.45] });
      return fit.truncated ? 'typed mark cut to fit its box' : undefined;
    }
    if (placeholders) drawMarkPlaceholder(page, fonts.regular, box, f.label ?? f.key);
    return undefined;
  }
  if (!text) {
    if (placeholders) drawMarkPlaceholder(page, fonts.regular, box, f.label ?? f.key);
    return undefined;
  }
  const fit = fitInBox(fonts.regular, text, box, { size: f.fontSize ?? Math.min(11, box.h * 0.75), minSize: 5, multiline: f.type === 'multiline' });
  drawFitted(page, fonts.regular, fit, box);
  return fit.truncated ? `value does not fit its box even at ${fit.size} pt; cut with an ellipsis` : undefined;
}
