import type { PDFFont } from 'pdf-lib';

/* Line fitting for the stripe and the certificate page, measured with the embedded font. */

/** Cuts a line with an ellipsis so it never runs under the QR code. */
export function fitText(s: string, font: PDFFont, size: number, maxWidth: number): string {
  if (font.widthOfTextAtSize(s, size) <= maxWidth) return s;
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (font.widthOfTextAtSize(`${s.slice(0, mid)}…`, size) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return `${s.slice(0, lo)}…`;
}

/** Greedy word wrap; words longer than a line (hashes, user agents) are cut by characters. */
export function wrap(s: string, font: PDFFont, size: number, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  const fits = (x: string) => font.widthOfTextAtSize(x, size) <= width;
  const words = s.split(/\s+/).filter(Boolean);
  // Most lines fit as they are: one measurement instead of one per word (fontkit lays out every call).
  if (fits(words.join(' '))) return [words.join(' ')];
  for (const word of words) {
    const next = cur ? `${cur} ${word}` : word;
    if (fits(next)) {
      cur = next;
      continue;
    }
    if (cur) out.push(cur);
    cur = word;
    while (!fits(cur)) {
      let n = cur.length - 1;
      while (n > 1 && !fits(cur.slice(0, n))) n--;
      out.push(cur.slice(0, n));
      cur = cur.slice(n);
    }
  }
  if (cur || out.length === 0) out.push(cur);
  return out;
}
