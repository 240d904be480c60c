import type { FieldBox } from './fields.js';

/**
 * Where a field box is, on any page, /Rotate or not. ONE convention, everywhere a box is stored or
 * sent (templates, envelopes, the API, render placements):
 *
 *   a box is in PDF points in the page's *displayed* space — origin at the bottom-left corner of the
 *   crop box as the reader sees it (after /Rotate), x to the right, y up.
 *
 * Why this one: both browsers already see that space (pdf.js viewports and the signing page's
 * images are drawn rotated, from the crop box), so the editor and the signing page map boxes with no
 * rotation at all (`boxOnPage`). Only the PDF side converts: render.ts draws each value inside
 * `visualToUser`'s matrix (visual-space.ts), so it reads upright where the reader sees the box, and
 * stamp.ts places its stripe and QR the same way. On unrotated pages whose crop box starts at 0,0
 * displayed space is plain user space.
 *
 * Pure geometry (no pdf-lib): the browser bundles `boxOnPage`.
 */

export type Rotation = 0 | 90 | 180 | 270;
export type Matrix = [a: number, b: number, c: number, d: number, e: number, f: number];
export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** /Rotate as 0, 90, 180 or 270 (it is clockwise on display; anything not a multiple of 90 is invalid and taken as 0). */
export function normalizeRotation(angle: number): Rotation {
  const r = ((Math.round(angle) % 360) + 360) % 360;
  return r === 90 || r === 180 || r === 270 ? r : 0;
}

/** The page as the reader sees it, in points: width and height swap on 90 and 270. */
export function displayedSize(crop: CropBox, rotation: Rotation): { width: number; height: number } {
  return rotation === 90 || rotation === 270 ? { width: crop.height, height: crop.width } : { width: crop.width, height: crop.height };
}

/** user = M · displayed (PDF 32000 §8.3; /Rotate turns the page clockwise for display). */
export function visualToUser(crop: CropBox, rotation: Rotation): Matrix {
  const { x: X, y: Y, width: W, height: H } = crop;
  if (rotation === 90) return [0, 1, -1, 0, X + W, Y];
  if (rotation === 180) return [-1, 0, 0, -1, X + W, Y + H];
  if (rotation === 270) return [0, -1, 1, 0, X, Y + H];
  return [1, 0, 0, 1, X, Y];
}

export function applyMatrix(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

/** A displayed box as the axis-aligned rectangle it covers in user space (annotations, overlap checks). */
export function boxToUser(box: FieldBox, crop: CropBox, rotation: Rotation): FieldBox {
  const m = visualToUser(crop, rotation);
  const [ax, ay] = applyMatrix(m, box.x, box.y);
  const [bx, by] = applyMatrix(m, box.x + box.w, box.y + box.h);
  return { x: Math.min(ax, bx), y: Math.min(ay, by), w: Math.abs(bx - ax), h: Math.abs(by - ay) };
}

/**
 * A box over a picture of the displayed page (pdf.js canvas, the signing page's image), as fractions of
 * the page's displayed width and height from its top-left corner. A box that sticks out (a template
 * placed near an edge) is moved in, one larger than the page is cut to it.
 */
export function boxOnPage(box: FieldBox, page: { widthPt: number; heightPt: number }): { left: number; top: number; width: number; height: number } {
  const { widthPt, heightPt } = page;
  const w = Math.min(box.w, widthPt);
  const h = Math.min(box.h, heightPt);
  const x = Math.min(Math.max(box.x, 0), widthPt - w);
  const top = Math.min(Math.max(heightPt - box.y - box.h, 0), heightPt - h);
  return { left: x / widthPt, top: top / heightPt, width: w / widthPt, height: h / heightPt };
}
