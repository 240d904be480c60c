/**
 * pdf.js, loaded only when a page actually shows a PDF (it is the heaviest thing we ship); the worker
 * is served by us, shared with the signing page.
 */
import * as pdfjs from 'pdfjs-dist';

export type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist';

/** The worker's URL, set at bundle time (content-hashed in a production build): src/assets/browser.ts. */
declare const B24_PDFJS_WORKER_URL: string;

let configured = false;

export async function openPdf(data: ArrayBuffer | Uint8Array) {
  if (!configured) {
    pdfjs.GlobalWorkerOptions.workerSrc = B24_PDFJS_WORKER_URL;
    configured = true;
  }
  // pdf.js takes ownership of the buffer it is given: hand it a copy so callers may reuse theirs.
  const bytes = data instanceof Uint8Array ? data.slice() : new Uint8Array(data.slice(0));
  return pdfjs.getDocument({ data: bytes }).promise;
}

export interface RenderedPage {
  el: HTMLDivElement;
  index: number;
  /** CSS pixels per PDF point. */
  scale: number;
  widthPt: number;
  heightPt: number;
}

/** Renders every page into `container`, each at most `maxWidth` CSS pixels wide. */
export async function renderPages(doc: Awaited<ReturnType<typeof openPdf>>, container: HTMLElement, maxWidth: number, label: (n: number, total: number) => string): Promise<RenderedPage[]> {
  const out: RenderedPage[] = [];
  const ratio = Math.min(window.devicePixelRatio || 1, 2);
  for (let i = 0; i < doc.numPages; i++) {
    const page = await doc.getPage(i + 1);
    const base = page.getViewport({ scale: 1 });
    const scale = Math.min(1.5, maxWidth / base.width);
    const vp = page.getViewport({ scale: scale * ratio });
    const canvas = document.createElement('canvas');
    canvas.width = Math.floor(vp.width);
    canvas.height = Math.floor(vp.height);
    canvas.style.width = `${Math.floor(base.width * scale)}px`;
    canvas.style.height = `${Math.floor(base.height * scale)}px`;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', label(i + 1, doc.numPages));
    const el = document.createElement('div');
    el.className = 'page';
    el.dataset.page = String(i);
    el.appendChild(canvas);
    container.appendChild(el);
    await page.render({ canvas, canvasContext: canvas.getContext('2d')!, viewport: vp }).promise;
    out.push({ el, index: i, scale, widthPt: base.width, heightPt: base.height });
  }
  return out;
}
