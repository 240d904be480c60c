import { rgb, type PDFDocument, type PDFFont, type PDFPage } from 'pdf-lib';
import type { Lang } from '../../i18n/index.js';
import { drawFitted, drawMarkPlaceholder, fitInBox, LEADING } from '../box.js';
import type { FieldBox } from '../fields.js';
import { ellipsize, textWidth, wrapText, type DocumentFonts } from '../text.js';
import type { Block, Layout } from './layout.js';

/**
 * The flow engine for built-in layouts: pours blocks onto A4 pages top to bottom, breaking pages
 * between lines (never inside one), so text of any length wraps and continues on the next page.
 */
export const A4: [number, number] = [595.28, 841.89];
const MARGIN = { top: 56, bottom: 72, left: 56, right: 56 };
export const BODY = 10;
const SMALL = 8;
const INK = rgb(0.1, 0.1, 0.12);
const MUTED = rgb(0.42, 0.42, 0.46);
const RULE = rgb(0.78, 0.78, 0.8);

export interface Placement {
  key: string;
  /** 0-based page index. */
  page: number;
  box: FieldBox;
}

export interface FlowOverflow {
  key?: string;
  page: number;
  reason: string;
}

/** What a `{{key}}` placeholder prints: the formatted value, or a blank line to fill by hand. */
export type Resolve = (key: string) => string | undefined;

/** A typed signature/initials/stamp text and the font to write it in (handwriting when it has the glyphs). */
export interface TypedMark {
  text: string;
  font: PDFFont;
}

/** Caption words the engine prints itself. */
const CAPTION: Record<Lang, { signature: string; stamp: string; initials: string }> = {
  en: { signature: 'signature', stamp: 'stamp', initials: 'initials' },
  it: { signature: 'firma', stamp: 'timbro', initials: 'sigla' },
  ru: { signature: 'подпись', stamp: 'М.П.', initials: 'инициалы' },
};

const BLANK = '________________';

export function substitute(text: string, resolve: Resolve): string {
  return text.replace(/\{\{([a-z][a-z0-9_]*)\}\}(\.?)/g, (_, key: string, dot: string) => {
    const v = resolve(key);
    if (v === undefined || v === '') return BLANK + dot;
    // "20 декабря 2026 г." at the end of a sentence: one full stop, not two.
    return dot && v.endsWith('.') ? v : v + dot;
  });
}

interface Line {
  text: string;
  font: PDFFont;
  size: number;
  color?: ReturnType<typeof rgb>;
}

export class Flow {
  readonly pages: PDFPage[] = [];
  readonly placements: Placement[] = [];
  readonly overflows: FlowOverflow[] = [];
  private page!: PDFPage;
  private y = 0;
  readonly width = A4[0] - MARGIN.left - MARGIN.right;

  constructor(
    private readonly doc: PDFDocument,
    private readonly fonts: DocumentFonts,
    private readonly lang: Lang,
    private readonly opts: { resolve: Resolve; marks: Record<string, TypedMark | undefined>; placeholders: boolean; maxPages: number },
  ) {
    this.newPage();
  }

  private newPage() {
    if (this.pages.length >= this.opts.maxPages) throw new PageLimitError(this.opts.maxPages);
    this.page = this.doc.addPage(A4);
    this.pages.push(this.page);
    this.y = A4[1] - MARGIN.top;
  }

  private ensure(h: number) {
    if (this.y - h < MARGIN.bottom) this.newPage();
  }

  private get pageIndex() {
    return this.pages.length - 1;
  }

  /** Lines of one column streamed in lockstep with the others: the page breaks between lines. */
  private streamColumns(columns: Array<{ x: number; lines: Line[]; align?: 'left' | 'right'; width: number }>, opts: { ruleAfter?: boolean } = {}) {
    const n = Math.max(0, ...columns.map((c) => c.lines.length));
    for (let i = 0; i < n; i++) {
      const h = Math.max(...columns.map((c) => (c.lines[i] ? c.lines[i]!.size * LEADING : 0)));
      this.ensure(h);
      for (const c of columns) {
        const l = c.lines[i];
        if (!l || !l.text) continue;
        const x = c.align === 'right' ? c.x + c.width - textWidth(l.font, l.text, l.size) : c.x;
        this.page.drawText(l.text, { x, y: this.y - l.size, size: l.size, font: l.font, color: l.color ?? INK });
      }
      this.y -= h;
    }
    if (opts.ruleAfter) {
      this.y -= 2;
      this.page.drawLine({ start: { x: MARGIN.left, y: this.y }, end: { x: MARGIN.left + this.width, y: this.y }, thickness: 0.4, color: RULE });
      this.y -= 3;
    }
  }

  private wrapLines(text: string, font: PDFFont, size: number, width: number, color?: ReturnType<typeof rgb>): Line[] {
    return wrapText(font, text, size, width).map((t) => ({ text: t, font, size, color }));
  }

  block(b: Block) {
    const { regular, bold } = this.fonts;
    const sub = (t: string) => substitute(t, this.opts.resolve);
    switch (b.kind) {
      case 'title':
      case 'subtitle': {
        const font = b.kind === 'title' ? bold : regular;
        const size = b.kind === 'title' ? 16 : BODY;
        for (const t of wrapText(font, sub(b.text), size, this.width)) {
          this.ensure(size * LEADING);
          this.page.drawText(t, { x: MARGIN.left + (this.width - textWidth(font, t, size)) / 2, y: this.y - size, size, font, color: INK });
          this.y -= size * LEADING;
        }
        this.y -= b.kind === 'title' ? 4 : 10;
        return;
      }
      case 'heading':
        // Keep a heading with at least two lines of what follows.
        this.ensure(11 * LEADING + 8 + 2 * BODY * LEADING);
        this.y -= 8;
        this.streamColumns([{ x: MARGIN.left, width: this.width, lines: this.wrapLines(sub(b.text), bold, 11, this.width) }]);
        this.y -= 2;
        return;
      case 'paragraph':
        this.streamColumns([{ x: MARGIN.left, width: this.width, lines: this.wrapLines(sub(b.text), regular, BODY, this.width) }]);
        this.y -= 4;
        return;
      case 'spacer':
        this.y -= b.height;
        if (this.y < MARGIN.bottom) this.newPage();
        return;
      case 'rows': {
        const lw = this.width * 0.36;
        const vw = this.width - lw - 8;
        for (const [label, text] of b.rows) {
          this.streamColumns(
            [
              { x: MARGIN.left, width: lw, lines: this.wrapLines(sub(label), bold, BODY - 1, lw) },
              { x: MARGIN.left + lw + 8, width: vw, lines: this.wrapLines(sub(text), regular, BODY - 1, vw) },
            ],
            { ruleAfter: true },
          );
        }
        this.y -= 4;
        return;
      }
      case 'columns': {
        const gap = 18;
        const cw = (this.width - gap * (b.columns.length - 1)) / b.columns.length;
        const cols = b.columns.map((c, i) => {
          const lines: Line[] = this.wrapLines(sub(c.heading), bold, BODY + 1, cw);
          lines.push({ text: '', font: regular, size: 3 });
          for (const [label, text] of c.rows) {
            lines.push(...this.wrapLines(sub(label), regular, SMALL - 1, cw, MUTED));
            lines.push(...this.wrapLines(sub(text), regular, BODY - 1, cw));
            lines.push({ text: '', font: regular, size: 2 });
          }
          return { x: MARGIN.left + i * (cw + gap), width: cw, lines };
        });
        this.ensure(BODY * LEADING * 4);
        this.streamColumns(cols);
        this.y -= 6;
        return;
      }
      case 'table': {
        const widths = b.widths.map((w) => w * this.width);
        const xs = widths.map((_, i) => MARGIN.left + widths.slice(0, i).reduce((a, c) => a + c, 0));
        const cell = (t: string, font: PDFFont, i: number) => this.wrapLines(t, font, BODY - 1, widths[i]! - 6);
        this.ensure(BODY * LEADING * 3);
        this.page.drawRectangle({ x: MARGIN.left, y: this.y - (BODY - 1) * LEADING - 3, width: this.width, height: (BODY - 1) * LEADING + 4, color: rgb(0.93, 0.93, 0.95) });
        this.y -= 2;
        this.streamColumns(
          b.header.map((h, i) => ({ x: xs[i]! + 3, width: widths[i]! - 6, lines: cell(sub(h), bold, i), align: b.align?.[i] })),
          { ruleAfter: true },
        );
        for (const row of b.rows) {
          this.streamColumns(
            row.map((t, i) => ({ x: xs[i]! + 3, width: widths[i]! - 6, lines: cell(sub(t), regular, i), align: b.align?.[i] })),
            { ruleAfter: true },
          );
        }
        this.y -= 6;
        return;
      }
      case 'signatures':
        this.signatures(b.parties);
        return;
    }
  }

  private signatures(parties: Extract<Block, { kind: 'signatures' }>['parties']) {
    const { regular, bold } = this.fonts;
    const gap = 24;
    const cw = (this.width - gap * (parties.length - 1)) / parties.length;
    const sigH = 46;
    const stampS = 64;
    const maxText = A4[1] - MARGIN.top - MARGIN.bottom - sigH - 40;
    const cols = parties.map((p) => {
      let lines: Line[] = [...this.wrapLines(substitute(p.heading, this.opts.resolve), bold, BODY, cw)];
      for (const l of p.lines) lines.push(...this.wrapLines(substitute(l, this.opts.resolve), regular, BODY - 1, cw));
      // A signature block stays on one page: absurdly long party texts are cut, and reported.
      let h = lines.reduce((a, l) => a + l.size * LEADING, 0);
      if (h > maxText) {
        while (lines.length > 1 && h > maxText) h -= lines.pop()!.size * LEADING;
        const last = lines[lines.length - 1]!;
        lines[lines.length - 1] = { ...last, text: ellipsize(last.font, `${last.text}…`, last.size, cw) };
        this.overflows.push({ key: p.signature, page: this.pageIndex, reason: 'signature block text cut to fit one page' });
      }
      return { p, lines, textH: h };
    });
    const textH = Math.max(...cols.map((c) => c.textH));
    this.ensure(textH + sigH + 28);
    const top = this.y;
    cols.forEach((c, i) => {
      const x = MARGIN.left + i * (cw + gap);
      let y = top;
      for (const l of c.lines) {
        if (l.text) this.page.drawText(l.text, { x, y: y - l.size, size: l.size, font: l.font, color: INK });
        y -= l.size * LEADING;
      }
      const boxY = top - textH - 8 - sigH;
      const sigW = c.p.stamp ? Math.min(200, Math.max(60, cw - stampS - 8)) : Math.min(cw, 200);
      const sigBox = { x, y: boxY, w: sigW, h: sigH };
      this.mark(c.p.signature, sigBox, CAPTION[this.lang].signature, true);
      if (c.p.stamp) {
        const stampBox = { x: x + sigW + 8, y: boxY - (stampS - sigH) / 2 - 6, w: stampS, h: stampS };
        this.mark(c.p.stamp, stampBox, CAPTION[this.lang].stamp, false);
      }
    });
    this.y = top - textH - 8 - sigH - 28;
  }

  /** Records where a mark goes, draws the signature line, a typed mark if given, and an outline in previews. */
  private mark(key: string, box: FieldBox, caption: string, line: boolean) {
    this.markOn(this.page, this.pageIndex, key, box, caption, line);
  }

  markOn(page: PDFPage, pageIndex: number, key: string, box: FieldBox, caption: string, line: boolean) {
    this.placements.push({ key, page: pageIndex, box });
    if (line) {
      page.drawLine({ start: { x: box.x, y: box.y }, end: { x: box.x + box.w, y: box.y }, thickness: 0.6, color: MUTED });
      page.drawText(caption, { x: box.x, y: box.y - 9, size: 6.5, font: this.fonts.regular, color: MUTED });
    }
    const typed = this.opts.marks[key];
    if (typed) {
      const fit = fitInBox(typed.font, typed.text, box, { size: box.h * 0.6, minSize: 6, multiline: false });
      if (fit.truncated) this.overflows.push({ key, page: pageIndex, reason: 'typed mark cut to fit its box' });
      drawFitted(page, typed.font, fit, box, { color: [0.05, 0.1, 0.45] });
    } else if (this.opts.placeholders) {
      drawMarkPlaceholder(page, this.fonts.regular, box, `${caption}: ${key}`);
    }
  }

  /**
   * Page numbers and initials boxes on every page, once the page count is known. `{pages}` counts
   * this layout's pages only: sealing adds stamp and certificate pages, so the starters print
   * `{page}` alone and the stamp stripe states the sealed total.
   */
  footer(footer: Layout['footer']) {
    const { regular } = this.fonts;
    const total = this.pages.length;
    this.pages.forEach((page, i) => {
      const text = substitute(footer?.text ?? '{page}', this.opts.resolve).replace('{page}', String(i + 1)).replace('{pages}', String(total));
      const t = ellipsize(regular, text, SMALL, this.width * 0.6);
      page.drawText(t, { x: MARGIN.left, y: MARGIN.bottom - 40, size: SMALL, font: regular, color: MUTED });
      const keys = footer?.initials ?? [];
      keys.forEach((key, k) => {
        const w = 58;
        const box = { x: A4[0] - MARGIN.right - (keys.length - k) * (w + 8) + 8, y: MARGIN.bottom - 44, w, h: 22 };
        this.markOn(page, i, key, box, CAPTION[this.lang].initials, true);
      });
    });
  }
}

export class PageLimitError extends Error {
  constructor(readonly maxPages: number) {
    super(`document would exceed ${maxPages} pages`);
  }
}
