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
 *   the verify address and a QR code linking to it (also a clickable link);
 * - a certificate of completion (completion-page.ts) is appended, with its own stripe;
 * - with `development: true` every page says "development certificate".
 * Text is set in DejaVu Sans (Latin, Cyrillic, Greek) via fonts.ts.
 */
import { concatTransformationMatrix, PDFDocument, PDFName, PDFPage, PDFString, popGraphicsState, pushGraphicsState, rgb, type PDFFont } from 'pdf-lib';
import QRCode from 'qrcode';
import { appendCompletionPages, type CompletionInput } from './completion-page.js';
import { embedFonts } from './fonts.js';
import { STAMP_TEXT, stampLang, type StampLang } from './stamp-i18n.js';
import { fitText } from './stamp-text.js';

export type { CompletionEvent, CompletionParty } from './completion-page.js';
export type StampInput = CompletionInput;

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
  all.forEach((page, i) => stampPage(doc, page, { ...input, lang }, fonts, qr.modules, i + 1, all.length));
  if (input.development) developmentLabelled.add(doc);
}

/** Used by sealPdf with a development identity on documents the flow did not stamp. */
export async function stampDevelopmentLabel(doc: PDFDocument): Promise<void> {
  if (developmentLabelled.has(doc)) return;
  const fonts = await documentFonts(doc);
  for (const page of doc.getPages()) {
    withVisualSpace(page, (_w, h) => {
      page.drawText(STAMP_TEXT.en.developmentLabel, { x: MARGIN, y: h - MARGIN - STRIPE_FONT_SIZE, size: STRIPE_FONT_SIZE, font: fonts.bold, color: RED });
    });
  }
  developmentLabelled.add(doc);
}

type QrModules = { size: number; get(row: number, col: number): number | boolean };

function stampPage(
  doc: PDFDocument,
  page: PDFPage,
  input: StampInput & { lang: StampLang },
  fonts: { sans: PDFFont; bold: PDFFont },
  modules: QrModules,
  pageNo: number,
  pageCount: number,
) {
  const t = STAMP_TEXT[input.lang];
  const toUser = withVisualSpace(page, (w) => {
    // QR in the bottom-right corner, drawn as vector modules (crisp at any zoom, a few hundred bytes).
    const cell = QR_SIZE / modules.size;
    const qx = w - MARGIN - QR_SIZE;
    const qy = MARGIN;
    page.drawRectangle({ x: qx - 2, y: qy - 2, width: QR_SIZE + 4, height: QR_SIZE + 4, color: rgb(1, 1, 1) });
    for (let r = 0; r < modules.size; r++) {
      let c = 0;
      while (c < modules.size) {
        if (!modules.get(r, c)) {
          c++;
          continue;
        }
        const start = c;
        while (c < modules.size && modules.get(r, c)) c++;
        page.drawRectangle({ x: qx + start * cell, y: qy + QR_SIZE - (r + 1) * cell, width: (c - start) * cell + 0.01, height: cell + 0.01, color: rgb(0, 0, 0) });
      }
    }
    const textRight = qx - 6;
    const line1 = `${t.documentId}: ${input.publicId}  ·  ${t.page} ${pageNo}/${pageCount}`;
    const line2 = `${t.verifyAt}: ${input.verifyUrl}`;
    const fit = (s: string) => fitText(s, fonts.sans, STRIPE_FONT_SIZE, textRight - MARGIN);
    page.drawText(fit(line1), { x: MARGIN, y: MARGIN + 10, size: STRIPE_FONT_SIZE, font: fonts.sans, color: GREY });
    page.drawText(fit(line2), { x: MARGIN, y: MARGIN + 2, size: STRIPE_FONT_SIZE, font: fonts.sans, color: GREY });
    if (input.development) {
      page.drawText(fit(t.developmentLabel), { x: MARGIN, y: MARGIN + 18, size: STRIPE_FONT_SIZE, font: fonts.bold, color: RED });
    }
    return { qr: [qx, qy, qx + QR_SIZE, qy + QR_SIZE] as const, text: [MARGIN, MARGIN, textRight, MARGIN + 17] as const };
  });
  addLink(doc, page, toUser.map(toUser.result.qr), input.verifyUrl);
  addLink(doc, page, toUser.map(toUser.result.text), input.verifyUrl);
}

/**
 * Runs `draw` in the page's *visual* coordinates (origin at the bottom-left of the crop box as the
 * reader sees it, whatever /Rotate says) and returns the mapping back to user space for annotations.
 */
function withVisualSpace<T>(page: PDFPage, draw: (width: number, height: number) => T) {
  const box = page.getCropBox();
  const rot = ((page.getRotation().angle % 360) + 360) % 360;
  const [W, H, X, Y] = [box.width, box.height, box.x, box.y];
  // user = M · visual; see PDF 32000 §8.3 and /Rotate (clockwise on display).
  const m: [number, number, number, number, number, number] =
    rot === 90 ? [0, 1, -1, 0, X + W, Y] : rot === 180 ? [-1, 0, 0, -1, X + W, Y + H] : rot === 270 ? [0, -1, 1, 0, X, Y + H] : [1, 0, 0, 1, X, Y];
  const visualW = rot === 90 || rot === 270 ? H : W;
  const visualH = rot === 90 || rot === 270 ? W : H;
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(...m));
  const result = draw(visualW, visualH);
  page.pushOperators(popGraphicsState());
  const point = (x: number, y: number) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]] as const;
  return {
    result,
    map(r: readonly [number, number, number, number]): [number, number, number, number] {
      const a = point(r[0], r[1]);
      const b = point(r[2], r[3]);
      return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
    },
  };
}

function addLink(doc: PDFDocument, page: PDFPage, rect: [number, number, number, number], url: string) {
  const link = doc.context.register(
    doc.context.obj({ Type: 'Annot', Subtype: 'Link', Rect: rect, Border: [0, 0, 0], A: { Type: 'Action', S: 'URI', URI: PDFString.of(url) } }),
  );
  const annots = page.node.Annots();
  if (annots) annots.push(link);
  else page.node.set(PDFName.of('Annots'), doc.context.obj([link]));
}
