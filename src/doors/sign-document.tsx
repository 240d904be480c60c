/** @jsxImportSource hono/jsx */
import type { PageKey } from '../signing/page-texts.js';
import { fmt } from '../signing/page-texts.js';
import { boxOnPage } from '../documents/page-space.js';

/**
 * The document on the signing page, drawn by the server: one image per page (made when the envelope
 * was sent, src/signing/page-images.ts) with this signer's field boxes over it, so the first field is
 * on screen and tappable as soon as the HTML and the first image arrive — no pdf.js, no request that
 * waits for another. The page script (src/signing/client/document-view.ts) wires the boxes, the zoom
 * and, when there are no images yet, falls back to drawing the PDF with pdf.js.
 */

export interface DocPage {
  page: number;
  widthPt: number;
  heightPt: number;
  px: number[];
}

export interface DocField {
  key: string;
  label: string;
  page: number;
  box: { x: number; y: number; w: number; h: number };
}

/** Content width of the document card: main is at most 52rem wide, main and card each pad 1rem a side. */
export const PAGE_SIZES = '(min-width: 52rem) 48rem, calc(100vw - 4rem)';

/** Page and zoom styles (a field box is exactly its field's area, not a 44 px button); zoomed, a page is 1 CSS px per point wide, so 9 pt text shows at 9 CSS px. */
export const DOCUMENT_CSS = `
#pages{display:flex;flex-direction:column;gap:.75rem}
#pages.zoomed{overflow-x:auto;overscroll-behavior-x:contain;align-items:flex-start}
.page{position:relative;width:100%;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.15);cursor:zoom-in;flex:none}
#pages.zoomed .page{width:var(--w);max-width:none;cursor:zoom-out}
.page img,.page canvas{display:block;width:100%;height:auto}
.page .fbox{min-height:0;min-width:0;line-height:1.2}
.doc-tools{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center;justify-content:space-between;margin:.5rem 0 0}
html{scroll-padding-bottom:5.5rem}
`;

const pct = (n: number) => `${(Math.round(n * 10000) / 100).toString()}%`;

/** A field box in per cent of its page image (both in the page's displayed space, src/documents/page-space.ts), kept on the page. */
export function boxStyle(box: DocField['box'], widthPt: number, heightPt: number): string {
  const b = boxOnPage(box, { widthPt, heightPt });
  return `left:${pct(b.left)};top:${pct(b.top)};width:${pct(b.width)};height:${pct(b.height)}`;
}

export function DocumentPages(props: { t: Record<PageKey, string>; title: string; base: string; pages: DocPage[]; fields: DocField[] }) {
  const { t, pages } = props;
  if (!pages.length) {
    // No images yet (the send's job has not run): the script draws the PDF with pdf.js.
    return (
      <div id="pages" aria-busy="true">
        <p>{t['doc.loading']}</p>
      </div>
    );
  }
  const src = (p: DocPage, px: number) => `${props.base}/pages/${p.page + 1}/${px}`;
  return (
    <>
      <div id="pages" data-images="true">
        {pages.map((p, i) => {
          const small = Math.min(...p.px);
          const ratio = p.heightPt / p.widthPt;
          return (
            <div class="page" data-page={p.page} data-width-pt={p.widthPt} style={`--w:${Math.round(p.widthPt)}px`}>
              <img
                src={src(p, small)}
                srcset={p.px.map((px) => `${src(p, px)} ${px}w`).join(', ')}
                sizes={PAGE_SIZES}
                width={small}
                height={Math.round(small * ratio)}
                alt={`${props.title} — ${fmt(t['doc.page'], { n: i + 1, total: pages.length })}`}
                // The first page is what the signer reads first; later pages wait until scrolled near.
                {...(i === 0 ? { fetchpriority: 'high' } : { loading: 'lazy' })}
                decoding="async"
              />
              {props.fields
                .filter((f) => f.page === p.page)
                .map((f) => (
                  <button type="button" class="fbox" data-key={f.key} aria-label={f.label} style={boxStyle(f.box, p.widthPt, p.heightPt)}></button>
                ))}
            </div>
          );
        })}
      </div>
      <div class="doc-tools">
        <button type="button" class="secondary" id="zoom" aria-pressed="false" aria-controls="pages" data-in={t['doc.zoomIn']} data-out={t['doc.zoomOut']}>
          {t['doc.zoomIn']}
        </button>
      </div>
    </>
  );
}
