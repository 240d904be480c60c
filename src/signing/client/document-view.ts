/**
 * The document as the server drew it (src/doors/sign-document.tsx): page images with this signer's
 * field boxes. Wires the boxes and the zoom: one tap on a page (or the zoom button) shows it at
 * 1 CSS px per point, so body text of 9 pt or more reads at 9 CSS px or more on any phone, scrolled
 * sideways inside the document card; the tapped spot stays under the finger. The browser then picks
 * the larger image from the srcset by itself.
 */

/** True when the server sent page images; otherwise the page script draws the PDF with pdf.js. */
export const hasPageImages = () => document.getElementById('pages')?.dataset.images === 'true';

/** Registers every server-drawn field box in `boxes`; a tap on one calls `onBox(key)`. */
export function wireImagePages(boxes: Map<string, HTMLElement>, onBox: (key: string) => void) {
  const holder = document.getElementById('pages')!;
  for (const b of holder.querySelectorAll<HTMLElement>('.fbox')) {
    const key = b.dataset.key!;
    boxes.set(key, b);
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      onBox(key);
    });
  }
  wireZoom(holder);
}

function wireZoom(holder: HTMLElement) {
  const button = document.getElementById('zoom') as HTMLButtonElement | null;
  const set = (on: boolean, at?: { page: HTMLElement; fx: number; fy: number; clientX: number; clientY: number }) => {
    holder.classList.toggle('zoomed', on);
    for (const page of holder.querySelectorAll<HTMLElement>('.page')) {
      const img = page.querySelector('img');
      if (!img) continue;
      img.dataset.sizes ??= img.sizes;
      img.sizes = on ? `${Math.round(Number(page.dataset.widthPt))}px` : img.dataset.sizes;
    }
    if (button) {
      button.setAttribute('aria-pressed', String(on));
      button.textContent = (on ? button.dataset.out : button.dataset.in) ?? button.textContent;
    }
    if (at) {
      // Keep the tapped point where the finger is: sideways inside the card, up/down in the window.
      const r = at.page.getBoundingClientRect();
      const hr = holder.getBoundingClientRect();
      holder.scrollLeft = Math.max(0, at.page.offsetLeft + at.fx * r.width - (at.clientX - hr.left));
      window.scrollBy(0, r.top + at.fy * r.height - at.clientY);
    }
  };
  button?.addEventListener('click', () => set(!holder.classList.contains('zoomed')));
  holder.addEventListener('click', (e) => {
    const page = (e.target as HTMLElement).closest<HTMLElement>('.page');
    if (!page || (e.target as HTMLElement).closest('.fbox')) return;
    const r = page.getBoundingClientRect();
    set(!holder.classList.contains('zoomed'), { page, fx: (e.clientX - r.left) / r.width, fy: (e.clientY - r.top) / r.height, clientX: e.clientX, clientY: e.clientY });
  });
}
