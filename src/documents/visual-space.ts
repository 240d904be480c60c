import { concatTransformationMatrix, popGraphicsState, pushGraphicsState, type PDFImage, type PDFPage } from 'pdf-lib';
import type { FieldBox } from './fields.js';
import { applyMatrix, boxToUser, displayedSize, normalizeRotation, visualToUser, type CropBox, type Rotation } from './page-space.js';

type Rect = readonly [x0: number, y0: number, x1: number, y1: number];

export function pageRotation(page: PDFPage): Rotation {
  return normalizeRotation(page.getRotation().angle);
}

function cropOf(page: PDFPage): CropBox {
  const b = page.getCropBox();
  return { x: b.x, y: b.y, width: b.width, height: b.height };
}

/**
 * Runs `draw` in the page's displayed coordinates (page-space.ts: origin at the bottom-left of the crop
 * box as the reader sees it, whatever /Rotate says), so whatever it draws reads upright there; returns
 * its result and the mapping of displayed rectangles back to user space (for annotations).
 */
export function withVisualSpace<T>(page: PDFPage, draw: (width: number, height: number, toVisual: (r: Rect) => Rect) => T) {
  const crop = cropOf(page);
  const rot = pageRotation(page);
  const m = visualToUser(crop, rot);
  const { width, height } = displayedSize(crop, rot);
  // M is a rotation plus a shift, so its inverse is the transposed rotation applied after unshifting.
  const inverse = (x: number, y: number): [number, number] => [m[0] * (x - m[4]) + m[1] * (y - m[5]), m[2] * (x - m[4]) + m[3] * (y - m[5])];
  const rect = (f: (x: number, y: number) => [number, number], r: Rect): [number, number, number, number] => {
    const a = f(r[0], r[1]);
    const b = f(r[2], r[3]);
    return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
  };
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(...m));
  try {
    const result = draw(width, height, (r) => rect(inverse, r));
    return { result, map: (r: Rect) => rect((x, y) => applyMatrix(m, x, y), r) };
  } finally {
    page.pushOperators(popGraphicsState());
  }
}

/** Draws an image inside a displayed box (page-space.ts), aspect ratio kept, centred, upright for the reader. */
export function drawImageInBox(page: PDFPage, img: PDFImage, box: FieldBox) {
  const scale = Math.min(box.w / img.width, box.h / img.height);
  const w = img.width * scale;
  const h = img.height * scale;
  withVisualSpace(page, () => page.drawImage(img, { x: box.x + (box.w - w) / 2, y: box.y + (box.h - h) / 2, width: w, height: h }));
}

/** A displayed box (a placement, a stored field box) as the user-space rectangle it covers on `page`. */
export function userBox(page: PDFPage, box: FieldBox): FieldBox {
  return boxToUser(box, cropOf(page), pageRotation(page));
}
