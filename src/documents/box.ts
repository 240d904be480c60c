import { rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { FieldBox } from './fields.js';
import { ellipsize, textWidth, wrapText } from './text.js';

/**
 * Drawing a value inside a fixed box (fields on uploaded PDFs, signature boxes in layouts).
 * Strategy: wrap (multiline) or keep on one line, shrink the font step by step down to `minSize`,
 * and only then cut with an ellipsis — which is reported, never silent.
 */
export interface BoxFit {
  size: number;
  lines: string[];
  /** True when even the smallest size could not show everything. */
  truncated: boolean;
}

export const LEADING = 1.2;

/** Height of n lines at `size`: the first line takes its size, each further line one leading. */
export const blockHeight = (n: number, size: number) => size * (1 + Math.max(0, n - 1) * LEADING);

export function fitInBox(font: PDFFont, text: string, box: FieldBox, opts: { size: number; minSize?: number; multiline: boolean }): BoxFit {
  const minSize = Math.min(opts.minSize ?? 6, opts.size);
  const pad = Math.min(2, box.w / 10);
  const w = Math.max(1, box.w - 2 * pad);
  const h = Math.max(1, box.h - 2 * Math.min(1, box.h / 10));
  const maxSize = Math.min(opts.size, h);
  // Wrapping breaks words by characters, but one character wider than the box still cannot fit.
  const fitsWidth = (lines: string[], size: number) => lines.every((l) => textWidth(font, l, size) <= w);
  // Shrink in 0.5 pt steps; the loop is bounded by (72 - 4) * 2 iterations at most.
  for (let size = maxSize; size >= minSize; size -= 0.5) {
    if (!opts.multiline) {
      if (!text.includes('\n') && textWidth(font, text, size) <= w) return { size, lines: [text], truncated: false };
      // A one-line field that cannot fit at any size may still wrap if the box is tall enough.
      const lines = wrapText(font, text, size, w);
      if (lines.length > 1 && blockHeight(lines.length, size) <= h && fitsWidth(lines, size)) return { size, lines, truncated: false };
      continue;
    }
    const lines = wrapText(font, text, size, w);
    if (blockHeight(lines.length, size) <= h && fitsWidth(lines, size)) return { size, lines, truncated: false };
  }
  const size = Math.max(Math.min(minSize, h), 1);
  const maxLines = Math.max(1, Math.floor((h - size) / (size * LEADING)) + 1);
  const all = opts.multiline || text.includes('\n') ? wrapText(font, text, size, w) : [text];
  const lines = all.slice(0, maxLines);
  const last = lines.length - 1;
  lines[last] = ellipsize(font, all.length > maxLines ? `${lines[last]}…` : lines[last]!, size, w);
  return { size, lines, truncated: true };
}

/** Draws a fitted text, top-aligned for multi-line values and vertically centred for one line. */
export function drawFitted(page: PDFPage, font: PDFFont, fit: BoxFit, box: FieldBox, opts: { align?: 'left' | 'center'; color?: [number, number, number] } = {}) {
  const pad = Math.min(2, box.w / 10);
  const lineH = fit.size * LEADING;
  const total = blockHeight(fit.lines.length, fit.size);
  // Baseline of the first line: centre the block in the box.
  let y = box.y + box.h / 2 + total / 2 - fit.size * 0.95;
  const color = opts.color ? rgb(...opts.color) : rgb(0.05, 0.05, 0.2);
  for (const line of fit.lines) {
    const x = opts.align === 'center' ? box.x + (box.w - textWidth(font, line, fit.size)) / 2 : box.x + pad;
    if (line) page.drawText(line, { x, y, size: fit.size, font, color });
    y -= lineH;
  }
}

/** A checkbox mark drawn with lines, so it does not depend on a font having ☒. */
export function drawCheck(page: PDFPage, box: FieldBox, on: boolean) {
  const s = Math.min(box.w, box.h);
  const x = box.x + (box.w - s) / 2;
  const y = box.y + (box.h - s) / 2;
  page.drawRectangle({ x, y, width: s, height: s, borderColor: rgb(0.2, 0.2, 0.2), borderWidth: Math.max(0.5, s / 20) });
  if (!on) return;
  const m = s * 0.2;
  const thickness = Math.max(0.8, s / 10);
  page.drawLine({ start: { x: x + m, y: y + m }, end: { x: x + s - m, y: y + s - m }, thickness, color: rgb(0.05, 0.05, 0.2) });
  page.drawLine({ start: { x: x + m, y: y + s - m }, end: { x: x + s - m, y: y + m }, thickness, color: rgb(0.05, 0.05, 0.2) });
}

/** A light dashed outline with a caption: where a signature, initials or stamp will go (previews). */
export function drawMarkPlaceholder(page: PDFPage, font: PDFFont, box: FieldBox, caption: string) {
  page.drawRectangle({ x: box.x, y: box.y, width: box.w, height: box.h, borderColor: rgb(0.55, 0.6, 0.75), borderWidth: 0.6, borderDashArray: [3, 2], color: rgb(0.95, 0.96, 1), opacity: 0.6 });
  const size = Math.max(4, Math.min(7, box.h / 3));
  page.drawText(ellipsize(font, caption, size, Math.max(1, box.w - 4)), { x: box.x + 2, y: box.y + 2, size, font, color: rgb(0.4, 0.45, 0.6) });
}
