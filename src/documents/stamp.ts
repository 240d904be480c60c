/**
 * Page stamps for a finished document. Contract (called by the signing flow before `sealPdf`;
 * keep stable):
 *
 *   await stampAndAppendCertificate(pdfDoc, {
 *     publicId, verifyUrl, lang, title,
 *     parties: [{ name, role, party, method, signedAt, timeZone, ip, userAgent?, email? }],
 *     events?, originalSha256, auditHead, development,
 *   })
 *
 * Mutates the pdf-lib document (the same one then passed to `sealPdf`, saved once):
 * - every existing page gets a discreet stripe along its bottom edge with the public document id,
 *   the page number out of the sealed total, the verify address and a QR code linking to it (also a
 *   clickable link); the QR keeps a 4-module quiet zone and stays clear of `keepClear` boxes
 *   (signature, initials and other field boxes), moving or shrinking if it must;
 * - a certificate of completion (completion-page.ts) is appended, with its own stripe;
 * - with `development: true` every page says "development certificate" along its top edge, away
 *   from any footer a template prints at the bottom.
 * Text is set in DejaVu Sans (Latin, Cyrillic, Greek) via fonts.ts.
 */
import { PDFDocument, PDFName, PDFPage, PDFString, rgb, type PDFFont } from 'pdf-lib';
import QRCode from 'qrcode';
import { appendCompletionPages, type CompletionInput } from './completion-page.js';
import { embedFonts } from './fonts.js';
import type { FieldBox } from './fields.js';
import { pageOf, STAMP_TEXT, stampLang, type StampLang } from './stamp-i18n.js';
import { fitText } from './stamp-text.js';
import { withVisualSpace } from './visual-space.js';

export type { CompletionEvent, CompletionParty } from './completion-page.js';
export type StampInput = CompletionInput & {
  /** Boxes the stamp must not cover (0-based page, box in user space): the render's placements through `userBox` (visual-space.ts). */
  keepClear?: ReadonlyArray<{ page: number; box: FieldBox }>;
};

const STRIPE_FONT_SIZE = 6.5;
const QR_SIZE = 42;
const MARGIN = 10;
const GREY = rgb(0.35, 0.35, 0.35);
const RED = rgb(0.75, 0.05, 0.05);

/** Documents already labelled "development certificate" (so sealPdf does not label them twice). */
const developmentLabelled = new WeakSet<PDFDocument>();
const fontCache = new WeakMap<PDFDocument, Promise<{ sans: PDFFont; bold: PDFFont }>>();

export function documentFonts(doc: PDFDocument): Promise<{ sans: PDFFont; bold: PDFFont }> {
  let p = fontCache.get(doc);
  if (!p) {
    p = embedFonts(doc, ['sans', 'sansBold']).then((f) => ({ sans: f.sans!, bold: f.sansBold! }));
    fontCache.set(doc, p);
  }
  return p;
}

export async function stampAndAppendCertificate(doc: PDFDocument, input: StampInput): Promise<void> {
  const lang = stampLang(input.lang);
  const fonts = await documentFonts(doc);
  const qr = QRCode.create(input.verifyUrl, { errorCorrectionLevel: 'M' });
  const original = doc.getPages();
  const added = await appendCompletionPages(doc, input, fonts);
  const all = [...original, ...added];
  all.forEach((page, i) => {
    const clear = (input.keepClear ?? []).filter((k) => k.page === i).map((k) => k.box);
    stampPage(doc, page, { ...input, lang }, fonts, qr.modules, i + 1, all.length, clear);
  });
  if (input.development) developmentLabelled.add(doc);
}

/** Used by sealPdf with a development identity on documents the flow did not stamp. */
export async function stampDevelopmentLabel(doc: PDFDocument): Promise<void> {
  if (developmentLabelled.has(doc)) return;
  const fonts = await documentFonts(doc);
  for (const page of doc.getPages()) {
    withVisualSpace(page, (w, h) => drawDevelopmentLabel(page, STAMP_TEXT.en.developmentLabel, fonts.bold, w, h));
  }
  developmentLabelled.add(doc);
}

type QrModules = { size: number; get(row: number, col: number): number | boolean };
type Rect = readonly [x0: number, y0: number, x1: number, y1: number];

/** Quiet zone around the QR code, in modules (ISO/IEC 18004 asks for 4). */
const QUIET_MODULES = 4;
/** Smallest module we print: 0.9 pt ≈ 0.32 mm, still read by phone cameras from a printout. */
const MIN_MODULE_PT = 0.9;
/** Room kept around a box: a signature line's caption is printed just under it (flow.ts). */
const BOX_MARGIN = { side: 2, below: 12, above: 2 };

/** Drawn along the top edge: bottoms of pages carry the stripe and templates' footers. */
function drawDevelopmentLabel(page: PDFPage, text: string, font: PDFFont, w: number, h: number, right = w - MARGIN) {
  page.drawText(fitText(text, font, STRIPE_FONT_SIZE, right - MARGIN), { x: MARGIN, y: h - MARGIN - STRIPE_FONT_SIZE, size: STRIPE_FONT_SIZE, font, color: RED });
}

const overlaps = (a: Rect, b: Rect) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/**
 * Where the QR goes on a page of visual size w×h: its square plus the quiet zone must lie on the page
 * and clear every box. Tried in order: the bottom-right corner, shrinking down to MIN_MODULE_PT;
 * then sliding left along the bottom (to mid-page); then the same along the top edge. None fits → no
 * QR on that page (the printed id and address still lead to the verify page).
 */
export function placeQr(w: number, h: number, modules: number, boxes: readonly Rect[]): { x: number; y: number; size: number; quiet: number } | undefined {
  const sizes: number[] = [];
  for (let s = QR_SIZE; s / modules >= MIN_MODULE_PT; s -= 2) sizes.push(s);
  const free = (x: number, y: number, size: number) => {
    const q = (QUIET_MODULES * size) / modules;
    const r: Rect = [x - q, y - q, x + size + q, y + size + q];
    return r[0] >= 0 && r[1] >= 0 && r[2] <= w && r[3] <= h && !boxes.some((b) => overlaps(r, b));
  };
  for (const top of [false, true]) {
    const yOf = (size: number) => (top ? h - MARGIN - size : MARGIN);
    for (const size of sizes) if (free(w - MARGIN - size, yOf(size), size)) return { x: w - MARGIN - size, y: yOf(size), size, quiet: (QUIET_MODULES * size) / modules };
    for (const size of sizes) {
      for (let x = w - MARGIN - size; x >= w / 2; x -= 2) {
        if (free(x, yOf(size), size)) return { x, y: yOf(size), size, quiet: (QUIET_MODULES * size) / modules };
      }
    }
  }
  return undefined;
}

function stampPage(
  doc: PDFDocument,
  page: PDFPage,
  input: StampInput & { lang: StampLang },
  fonts: { sans: PDFFont; bold: PDFFont },
  modules: QrModules,
  pageNo: number,
  pageCount: number,
  keepClear: readonly FieldBox[],
) {
  const t = STAMP_TEXT[input.lang];
  const toUser = withVisualSpace(page, (w, h, toVisual) => {
    const boxes = keepClear.map((b) => {
      const r = toVisual([b.x, b.y, b.x + b.w, b.y + b.h]);
      return [r[0] - BOX_MARGIN.side, r[1] - BOX_MARGIN.below, r[2] + BOX_MARGIN.side, r[3] + BOX_MARGIN.above] as const;
    });
    const qr = placeQr(w, h, modules.size, boxes);
    if (qr) {
      // Drawn as vector modules (crisp at any zoom, a few hundred bytes) on a white quiet zone.
      const { x: qx, y: qy, size, quiet } = qr;
      const cell = size / modules.size;
      page.drawRectangle({ x: qx - quiet, y: qy - quiet, width: size + 2 * quiet, height: size + 2 * quiet, color: rgb(1, 1, 1) });
      for (let r = 0; r < modules.size; r++) {
        let c = 0;
        while (c < modules.size) {
          if (!modules.get(r, c)) {
            c++;
            continue;
          }
          const start = c;
          while (c < modules.size && modules.get(r, c)) c++;
          page.drawRectangle({ x: qx + start * cell, y: qy + size - (r + 1) * cell, width: (c - start) * cell + 0.01, height: cell + 0.01, color: rgb(0, 0, 0) });
        }
      }
    }
    const qrAtBottom = qr && qr.y < h / 2;
    // The two lines stop short of the QR's quiet zone and of any box in their band.
    const band: Rect = [MARGIN, MARGIN, w, MARGIN + 17];
    let textRight = qrAtBottom ? qr.x - qr.quiet - 2 : w - MARGIN;
    for (const b of boxes) if (b[0] > MARGIN + 60 && overlaps(band, [b[0], b[1], w, b[3]])) textRight = Math.min(textRight, b[0] - 2);
    const line1 = `${t.documentId}: ${input.publicId}  ·  ${pageOf(input.lang, pageNo, pageCount)}`;
    const line2 = `${t.verifyAt}: ${input.verifyUrl}`;
    const fit = (s: string) => fitText(s, fonts.sans, STRIPE_FONT_SIZE, textRight - MARGIN);
    page.drawText(fit(line1), { x: MARGIN, y: MARGIN + 10, size: STRIPE_FONT_SIZE, font: fonts.sans, color: GREY });
    page.drawText(fit(line2), { x: MARGIN, y: MARGIN + 2, size: STRIPE_FONT_SIZE, font: fonts.sans, color: GREY });
    if (input.development) drawDevelopmentLabel(page, t.developmentLabel, fonts.bold, w, h, qr && !qrAtBottom ? qr.x - qr.quiet - 2 : w - MARGIN);
    return { qr: qr ? ([qr.x, qr.y, qr.x + qr.size, qr.y + qr.size] as const) : undefined, text: [MARGIN, MARGIN, textRight, MARGIN + 17] as const };
  });
  if (toUser.result.qr) addLink(doc, page, toUser.map(toUser.result.qr), input.verifyUrl);
  addLink(doc, page, toUser.map(toUser.result.text), input.verifyUrl);
}

function addLink(doc: PDFDocument, page: PDFPage, rect: [number, number, number, number], url: string) {
  const link = doc.context.register(
    doc.context.obj({ Type: 'Annot', Subtype: 'Link', Rect: rect, Border: [0, 0, 0], A: { Type: 'Action', S: 'URI', URI: PDFString.of(url) } }),
  );
  const annots = page.node.Annots();
  if (annots) annots.push(link);
  else page.node.set(PDFName.of('Annots'), doc.context.obj([link]));
}
