import { CARD_MESSAGES } from '../i18n/card.js';
import { catalogFor, translator, type Lang } from '../i18n/index.js';
import { AppError } from '../lib/app-error.js';

/**
 * Fields placed on a PDF may not cover one another: a signer would tap one box and fill the other, and
 * the sealed page would print one mark over another. One rule for the editor (it warns while placing)
 * and the envelope API (it refuses at send, FIELDS_OVERLAP). Boxes are PDF points; touching edges and
 * slivers under half a point (rounding of a drag) do not count.
 */
export interface BoxedField {
  key: string;
  label?: string;
  page: number;
  box: { x: number; y: number; w: number; h: number };
}

export interface FieldOverlap {
  a: { key: string; label: string };
  b: { key: string; label: string };
  /** 0-based page. */
  page: number;
}

const TOLERANCE = 0.5;

export function boxesOverlap(p: BoxedField['box'], q: BoxedField['box']): boolean {
  const w = Math.min(p.x + p.w, q.x + q.w) - Math.max(p.x, q.x);
  const h = Math.min(p.y + p.h, q.y + q.h) - Math.max(p.y, q.y);
  return w > TOLERANCE && h > TOLERANCE;
}

/** Every pair of fields that overlap, in placement order; fields without a page or box are skipped. */
export function findOverlaps(fields: readonly Partial<BoxedField>[]): FieldOverlap[] {
  const boxed = fields.filter((f): f is BoxedField => typeof f.key === 'string' && typeof f.page === 'number' && !!f.box);
  const out: FieldOverlap[] = [];
  for (let i = 0; i < boxed.length; i++) {
    for (let j = i + 1; j < boxed.length; j++) {
      const f = boxed[i]!;
      const g = boxed[j]!;
      if (f.page === g.page && boxesOverlap(f.box, g.box)) {
        out.push({ a: { key: f.key, label: f.label?.trim() || f.key }, b: { key: g.key, label: g.label?.trim() || g.key }, page: f.page });
      }
    }
  }
  return out;
}

/**
 * Where a new box of size (w, h) can go on a page without covering `taken`, keeping `gap` points clear
 * around it (`gap.y` leaves room for a label above a box): the wanted spot if free, else the nearest
 * free slot scanning down then up the page, then in neighbouring columns. Top-left coordinates in
 * points (the editor's drop point); null when the page has no free slot of that size.
 */
export function freeSpot(
  want: { x: number; top: number },
  size: { w: number; h: number },
  page: { w: number; h: number },
  taken: readonly { x: number; top: number; w: number; h: number }[],
  gap: { x: number; y: number } = { x: 6, y: 6 },
): { x: number; top: number } | null {
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), Math.max(0, hi));
  const free = (x: number, top: number) =>
    !taken.some((t) => boxesOverlap({ x: x - gap.x, y: top - gap.y, w: size.w + 2 * gap.x, h: size.h + 2 * gap.y }, { x: t.x, y: t.top, w: t.w, h: t.h }));
  const x0 = clamp(want.x, page.w - size.w);
  const top0 = clamp(want.top, page.h - size.h);
  // Steps small enough to find a slot between boxes of other sizes, large enough to stay cheap.
  const stepY = Math.max(8, Math.min(size.h, 24));
  const stepX = Math.max(8, Math.min(size.w, 40));
  const rows = Math.ceil(page.h / stepY) + 1;
  const cols = Math.ceil(page.w / stepX) + 1;
  const xs = [x0];
  for (let c = 1; c <= cols; c++) xs.push(x0 + c * stepX, x0 - c * stepX);
  for (const x of xs) {
    if (x < 0 || x > page.w - size.w) continue;
    for (let r = 0; r <= rows; r++) {
      for (const top of r === 0 ? [top0] : [top0 + r * stepY, top0 - r * stepY]) {
        if (top < 0 || top > page.h - size.h) continue;
        if (free(x, top)) return { x, top };
      }
    }
  }
  return null;
}

/**
 * Refuses fields that cover one another before anything is stored or sent: FIELDS_OVERLAP, the message
 * naming the first pair in `lang`, details.overlaps every pair (0-based pages). createEnvelope calls it,
 * so the card, the API, templates and the robot all follow the one rule; saving a template does too.
 */
export function refuseOverlaps(fields: readonly Partial<BoxedField>[], lang: Lang): void {
  const overlaps = findOverlaps(fields);
  if (!overlaps.length) return;
  const t = translator(catalogFor(CARD_MESSAGES, lang));
  const first = overlaps[0]!;
  throw new AppError('FIELDS_OVERLAP', t('error.fieldsOverlap', { a: first.a.label, b: first.b.label, page: first.page + 1 }), { overlaps });
}
