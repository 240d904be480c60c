// Worker-thread entry (src/signing/page-images.ts, through the off-thread port): draws every page of one PDF at the asked widths with
// pdf.js and @napi-rs/canvas (pdfjs-dist's own Node canvas), posts the images, and waits for the next.
// Plain JavaScript on purpose: it starts without the TypeScript loader and is bundled as it is.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { crc32, deflateSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const PDFJS_DIR = dirname(require.resolve('pdfjs-dist/package.json'));
/** Fonts a PDF names but does not embed (Helvetica & co.) come from pdf.js's own files, never the network. */
const STANDARD_FONTS = `${join(PDFJS_DIR, 'standard_fonts')}/`;
const CMAPS = `${join(PDFJS_DIR, 'cmaps')}/`;

// pdf.js reports recoverable damage on the console; a page it cannot draw fails the task instead.
console.log = console.warn = console.info = () => {};

/** @type {Promise<typeof import('pdfjs-dist')> | undefined} */
let pdfjsLoaded;

/**
 * A grey page as a greyscale PNG of `bits` per pixel: 2 (4 levels) for text, whose mid-tones are only
 * the edges of letters — under half the bytes of 4 bits and no visible difference at phone scale; 4
 * (16 levels) when the page has grey areas or pictures that 4 levels would band. Either way far smaller than a lossy
 * WebP as sharp.
 * @param {Uint8ClampedArray} rgba @param {number} w @param {number} h @param {2 | 4} bits
 */
function greyPng(rgba, w, h, bits) {
  const perByte = 8 / bits;
  const top = (1 << bits) - 1;
  const stride = Math.ceil(w / perByte);
  const raw = new Uint8Array((stride + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (stride + 1);
    raw[row] = 0; // filter: none (deflate finds the runs of white by itself; Up made it larger)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const level = Math.round(((0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2]) / 255) * top);
      raw[row + 1 + Math.floor(x / perByte)] |= level << ((perByte - 1 - (x % perByte)) * bits);
    }
  }
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = bits; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

/**
 * How the page is best stored: 'colour' (WebP), or grey with the PNG bit depth it needs. Letters have
 * mid-tones only along their edges, one or two pixels wide; a grey area or a picture has patches of
 * them. So a page where at most 0.5% of the pixels sit inside a 3×3 patch of even mid-grey (±12) is
 * text and gets 2 bits, any other grey page 4.
 * @param {Uint8ClampedArray} rgba @param {number} w @param {number} h @returns {'colour' | 2 | 4}
 */
function classify(rgba, w, h) {
  const grey = new Uint8Array(w * h);
  for (let p = 0, i = 0; p < grey.length; p++, i += 4) {
    const r = rgba[i], g = rgba[i + 1], b = rgba[i + 2];
    if (Math.abs(r - g) > 10 || Math.abs(g - b) > 10 || Math.abs(r - b) > 10) return 'colour';
    grey[p] = g;
  }
  let patches = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const v = grey[y * w + x];
      if (v <= 40 || v >= 215) continue;
      let even = true;
      for (let dy = -1; dy <= 1 && even; dy++) for (let dx = -1; dx <= 1 && even; dx++) even = Math.abs(grey[(y + dy) * w + x + dx] - v) <= 12;
      if (even) patches++;
    }
  }
  return patches <= w * h * 0.005 ? 2 : 4;
}

/** @param {{ bytes: Uint8Array, widths: number[], maxPages: number }} task */
async function render(task) {
  pdfjsLoaded ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  const pdfjs = await pdfjsLoaded;
  const loading = pdfjs.getDocument({ data: task.bytes, standardFontDataUrl: STANDARD_FONTS, cMapUrl: CMAPS, cMapPacked: true, isEvalSupported: false, useSystemFonts: false, stopAtErrors: false });
  const doc = await loading.promise;
  try {
    const pages = [];
    // A longer document gets no images at all: the page then shows all of it with pdf.js, never a part.
    if (doc.numPages > task.maxPages) return { ok: true, pageCount: doc.numPages, pages };
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      // The page as displayed (/Rotate applied), in points: field boxes are in that space (src/documents/page-space.ts).
      const unit = page.getViewport({ scale: 1 });
      for (const px of task.widths) {
        const vp = page.getViewport({ scale: px / unit.width });
        const w = Math.round(vp.width);
        const h = Math.round(vp.height);
        const cc = doc.canvasFactory.create(w, h);
        cc.context.fillStyle = '#fff';
        cc.context.fillRect(0, 0, w, h);
        await page.render({ canvas: cc.canvas, canvasContext: cc.context, viewport: vp, background: '#fff' }).promise;
        const { data } = cc.context.getImageData(0, 0, w, h);
        const kind = classify(data, w, h);
        const grey = kind !== 'colour';
        const image = grey ? greyPng(data, w, h, kind) : await cc.canvas.encode('webp', 80);
        doc.canvasFactory.destroy(cc);
        pages.push({ page: n - 1, px, widthPt: unit.width, heightPt: unit.height, type: grey ? 'image/png' : 'image/webp', image: new Uint8Array(image) });
      }
      page.cleanup();
    }
    return { ok: true, pageCount: doc.numPages, pages };
  } finally {
    await loading.destroy();
  }
}

parentPort.on('message', (task) => {
  render(task).then(
    (result) => parentPort.postMessage(result, result.pages.map((p) => p.image.buffer)),
    (e) => parentPort.postMessage({ ok: false, detail: String((e && e.message) || e).slice(0, 300) }),
  );
});
