/**
 * Where things are on a PDF's pages, read back by independent tools: words and their boxes from
 * poppler's `pdftotext -bbox`, page count from `pdfinfo`, link annotation rectangles from the file.
 * Boxes are in PDF points with the origin at the page's bottom-left (poppler's top-left y is flipped).
 */
import { execFileSync } from 'node:child_process';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber } from 'pdf-lib';
import type { Gray } from './render-diff.js';

export type Box = { x0: number; y0: number; x1: number; y1: number };
export interface Word extends Box {
  page: number;
  text: string;
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

export function pdfWords(pdf: Uint8Array): Word[] {
  const html = execFileSync('pdftotext', ['-bbox', '-enc', 'UTF-8', '-', '-'], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
  const out: Word[] = [];
  let page = -1;
  let height = 0;
  const re = /<page width="([\d.]+)" height="([\d.]+)">|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m[1]) {
      page++;
      height = Number(m[2]);
      continue;
    }
    out.push({ page, text: unescape(m[7]!), x0: Number(m[3]), x1: Number(m[5]), y0: height - Number(m[6]), y1: height - Number(m[4]) });
  }
  return out;
}

export function pdfPages(pdf: Uint8Array): number {
  const info = execFileSync('pdfinfo', ['-'], { input: pdf }).toString('utf8');
  return Number(/^Pages:\s+(\d+)/m.exec(info)![1]);
}

/** Boxes of every occurrence of `phrase` (words in reading order) on `page`. */
export function phraseBoxes(words: Word[], page: number, phrase: string): Box[] {
  const want = phrase.split(/\s+/).filter(Boolean);
  const on = words.filter((w) => w.page === page);
  const found: Box[] = [];
  for (let i = 0; i + want.length <= on.length; i++) {
    if (!want.every((t, k) => on[i + k]!.text === t)) continue;
    const ws = on.slice(i, i + want.length);
    found.push({ x0: Math.min(...ws.map((w) => w.x0)), y0: Math.min(...ws.map((w) => w.y0)), x1: Math.max(...ws.map((w) => w.x1)), y1: Math.max(...ws.map((w) => w.y1)) });
  }
  return found;
}

export const intersects = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/** Rectangles of the URI link annotations on each page. */
export async function linkRects(pdf: Uint8Array): Promise<Box[][]> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  return doc.getPages().map((p) => {
    const annots = p.node.lookupMaybe(PDFName.of('Annots'), PDFArray);
    const rects: Box[] = [];
    for (let i = 0; annots && i < annots.size(); i++) {
      const a = annots.lookup(i, PDFDict);
      if (a.get(PDFName.of('Subtype'))?.toString() !== '/Link') continue;
      const r = a.lookup(PDFName.of('Rect'), PDFArray).asArray().map((n) => (n as PDFNumber).asNumber());
      rects.push({ x0: r[0]!, y0: r[1]!, x1: r[2]!, y1: r[3]! });
    }
    return rects;
  });
}

/**
 * The QR code's quiet zone as printed: the dark bounding box inside `near` (page points, bottom-left
 * origin, page height `pageH`), the module size from its top-left finder pattern (7 modules wide), and
 * the widest light ring around the box, in modules. Measured on pixels, not on our own numbers.
 */
export function measureQuietZone(img: Gray, dpi: number, pageH: number, near: Box): { modulePx: number; quietModules: number; bbox: [number, number, number, number] } {
  const s = dpi / 72;
  const px = (x: number) => Math.round(x * s);
  const py = (y: number) => Math.round((pageH - y) * s);
  const at = (x: number, y: number) => img.data[y * img.width + x]!;
  const dark = (x: number, y: number) => at(x, y) < 128;
  let [l, t, r, b] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let y = py(near.y1) - 2; y <= py(near.y0) + 2; y++) {
    for (let x = px(near.x0) - 2; x <= px(near.x1) + 2; x++) {
      if (!dark(x, y)) continue;
      l = Math.min(l, x);
      r = Math.max(r, x);
      t = Math.min(t, y);
      b = Math.max(b, y);
    }
  }
  let run = 0;
  while (dark(l + run, t + 1)) run++;
  const modulePx = run / 7;
  // Grow the ring one pixel at a time until it meets a pixel that is not white (or the page edge).
  let ring = 0;
  const light = (x: number, y: number) => x >= 0 && y >= 0 && x < img.width && y < img.height && at(x, y) > 200;
  for (;;) {
    const d = ring + 2; // one pixel of anti-aliasing at the QR's own edge is not counted against it
    let clear = true;
    for (let x = l - d; x <= r + d && clear; x++) clear = light(x, t - d) && light(x, b + d);
    for (let y = t - d; y <= b + d && clear; y++) clear = light(l - d, y) && light(r + d, y);
    if (!clear || ring > 40 * modulePx) break;
    ring++;
  }
  return { modulePx, quietModules: (ring + 1) / modulePx, bbox: [l, t, r, b] };
}
