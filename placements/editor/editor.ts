/**
 * Field placement on a PDF rendered by pdf.js: drag a field type from the palette onto a page (or
 * press Enter on it to drop it on the page in view), move it with the mouse or the arrow keys, resize
 * it from its corner, say who fills it and, for text, which CRM value it shows.
 * Boxes are kept in PDF points from the page's bottom-left corner as displayed (pdf.js viewports apply
 * /Rotate): the one convention of src/documents/page-space.ts, so no rotation is handled here.
 */
import type { Translate } from '../shared/boot.js';
import { clear, h, nextId } from '../shared/dom.js';
import type { PlacedField } from '../shared/endpoints.js';
import { openPdf, renderPages, type RenderedPage } from '../shared/pdf.js';
import { findOverlaps, freeSpot } from '../../src/documents/field-overlap.js';
import type { CardKey } from '../../src/i18n/card.js';

type FType = PlacedField['type'];

/** Default sizes in points: a signature line is wide, initials and dates are short. */
const SIZE: Record<FType, { w: number; h: number }> = {
  signature: { w: 160, h: 44 },
  initials: { w: 60, h: 32 },
  stamp: { w: 110, h: 110 },
  date: { w: 100, h: 20 },
  text: { w: 170, h: 20 },
};

export const BINDINGS = [
  'item.TITLE', 'item.OPPORTUNITY', 'contact.FULL_NAME', 'contact.EMAIL', 'contact.PHONE', 'company.TITLE',
  'company.requisite.RQ_INN', 'company.requisite.RQ_ADDR', 'myCompany.TITLE', 'responsible.FULL_NAME', 'today',
] as const;

export interface EditorOptions {
  t: Translate;
  bytes: ArrayBuffer;
  initial?: PlacedField[];
  onChange(fields: PlacedField[]): void;
  /** The signing parties in signing order (the recipients step): who a new field goes to by default. */
  parties?(): Array<'company' | 'client'>;
}

export async function mountEditor(root: HTMLElement, o: EditorOptions) {
  const { t } = o;
  const fields: PlacedField[] = [...(o.initial ?? [])];
  let selected: PlacedField | null = null;
  let seq = fields.length;
  const boxes = new Map<PlacedField, HTMLDivElement>();

  const pagesEl = h('div', { class: 'pages', 'data-editor-pages': '' });
  const props = h('div', { class: 'panel', style: 'position:sticky;top:8px', 'aria-live': 'polite' });
  const counter = h('p', { class: 'hint', 'data-count': '' });
  const palette = h('div', { class: 'palette', role: 'group', 'aria-label': t('own.place') },
    (['signature', 'initials', 'stamp', 'date', 'text'] as FType[]).map((type) =>
      h('button', {
        type: 'button', class: 'btn btn-sm', draggable: 'true', 'data-ftype': type,
        ondragstart: (e: Event) => (e as DragEvent).dataTransfer?.setData('application/x-b24s-field', type),
        onclick: () => addToVisiblePage(type),
      }, icon(type), ' ', t(`ftype.${type}` as CardKey))),
    counter,
  );
  // Appended, not replacing: the caller's step heading stays above the editor.
  root.append(h('p', { class: 'hint' }, t('own.placeHint')), h('div', { class: 'editor' }, palette, pagesEl, props));

  const doc = await openPdf(o.bytes);
  const pages = await renderPages(doc, pagesEl, Math.min(720, Math.max(320, pagesEl.clientWidth - 8)), (n, total) => t('own.page', { n, total }));
  for (const p of pages) {
    p.el.addEventListener('dragover', (e) => e.preventDefault());
    p.el.addEventListener('drop', (e) => {
      e.preventDefault();
      const type = e.dataTransfer?.getData('application/x-b24s-field') as FType | '';
      if (!type || !(type in SIZE)) return;
      const rect = p.el.getBoundingClientRect();
      add(type, p, (e.clientX - rect.left) / p.scale, (e.clientY - rect.top) / p.scale);
    });
    p.el.addEventListener('pointerdown', (e) => {
      if (e.target === p.el || (e.target as HTMLElement).tagName === 'CANVAS') select(null);
    });
  }
  for (const f of fields) draw(f);
  changed();

  function icon(type: FType) {
    return { signature: '✍', initials: 'AB', stamp: '◎', date: '◷', text: 'T' }[type];
  }

  /** The page whose middle is closest to the middle of the viewport. */
  function visiblePage(): RenderedPage {
    const mid = window.innerHeight / 2;
    let best = pages[0]!;
    let dist = Infinity;
    for (const p of pages) {
      const r = p.el.getBoundingClientRect();
      const d = Math.abs((r.top + r.bottom) / 2 - mid);
      if (d < dist) { dist = d; best = p; }
    }
    return best;
  }

  function addToVisiblePage(type: FType) {
    const p = visiblePage();
    add(type, p, p.widthPt / 2, p.heightPt / 2);
  }

  /**
   * Who a new field is for: the first party, in signing order, without a signature field yet; once
   * every party has one, the party of the field selected (placing a date beside a signature).
   */
  function defaultParty(): PlacedField['party'] {
    const order = o.parties?.() ?? [];
    const list: Array<'company' | 'client'> = order.length ? order : ['client', 'company'];
    const signed = new Set(fields.filter((f) => f.type === 'signature').map((f) => f.party));
    return list.find((p) => !signed.has(p)) ?? (selected && selected.party !== 'sender' ? selected.party : list[list.length - 1]!);
  }

  /**
   * (cx, cy): where the drop happened, in points from the page's top-left. A new box never covers
   * another: it goes to the nearest free place on the page (field-overlap.ts freeSpot).
   */
  function add(type: FType, p: RenderedPage, cx: number, cy: number) {
    const size = SIZE[type];
    const taken = fields.filter((f) => f.page === p.index).map((f) => ({ x: f.box.x, top: p.heightPt - f.box.y - f.box.h, w: f.box.w, h: f.box.h }));
    // Room between boxes for the label tab that sits above each one (about 18 screen pixels).
    const spot = freeSpot({ x: cx - size.w / 2, top: cy - size.h / 2 }, size, { w: p.widthPt, h: p.heightPt }, taken, { x: 6, y: Math.ceil(18 / p.scale) });
    const x = spot ? spot.x : clamp(cx - size.w / 2, 0, p.widthPt - size.w);
    const top = spot ? spot.top : clamp(cy - size.h / 2, 0, p.heightPt - size.h);
    const f: PlacedField = {
      key: `f${++seq}_${type}`,
      type,
      label: t(`ftype.${type}` as CardKey),
      party: defaultParty(),
      required: type !== 'text',
      page: p.index,
      box: { x: round(x), y: round(p.heightPt - top - size.h), w: size.w, h: size.h },
    };
    fields.push(f);
    draw(f);
    select(f);
    changed();
  }

  function pageOf(f: PlacedField) {
    return pages[f.page]!;
  }

  function place(f: PlacedField) {
    const el = boxes.get(f)!;
    const p = pageOf(f);
    el.style.left = `${f.box.x * p.scale}px`;
    el.style.top = `${(p.heightPt - f.box.y - f.box.h) * p.scale}px`;
    el.style.width = `${f.box.w * p.scale}px`;
    el.style.height = `${f.box.h * p.scale}px`;
    const label = el.firstChild as HTMLElement;
    label.textContent = `${f.label ?? t(`ftype.${f.type}` as CardKey)} · ${t(`party.${f.party}` as CardKey)}`;
    // The label is a tab outside the box, never clipped by it: above the box, below it at the page's
    // top edge, and right-aligned where it would run off the page's right edge.
    const topPx = (p.heightPt - f.box.y - f.box.h) * p.scale;
    const leftPx = f.box.x * p.scale;
    el.className = `fbox party-${f.party}${topPx < 16 ? ' lbl-below' : ''}`;
    if (leftPx + label.offsetWidth > p.el.clientWidth) el.classList.add('lbl-right');
    el.setAttribute('aria-label', `${f.label ?? f.type}, ${t(`party.${f.party}` as CardKey)}, ${t('own.page', { n: f.page + 1, total: pages.length })}`);
  }

  function draw(f: PlacedField) {
    const el = h('div', { role: 'button', tabindex: 0, 'aria-pressed': 'false', 'data-field-key': f.key, 'data-ftype': f.type }, h('span', { class: 'flabel' }));
    const grip = h('span', { 'aria-hidden': 'true', style: 'position:absolute;right:0;bottom:0;width:10px;height:10px;cursor:nwse-resize;background:#2d86d9' });
    el.appendChild(grip);
    boxes.set(f, el);
    pageOf(f).el.appendChild(el);
    place(f);
    el.addEventListener('focus', () => select(f));
    el.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 10 : 2;
      const p = pageOf(f);
      const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[e.key]) {
        e.preventDefault();
        const [dx, dy] = moves[e.key]!;
        f.box.x = round(clamp(f.box.x + dx, 0, p.widthPt - f.box.w));
        f.box.y = round(clamp(f.box.y + dy, 0, p.heightPt - f.box.h));
        place(f);
        changed();
      } else if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault();
        remove(f);
      }
    });
    // Pointer drag: move the box, or resize it from the corner grip.
    el.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      select(f);
      el.focus();
      el.setPointerCapture(e.pointerId);
      const p = pageOf(f);
      const resizing = e.target === grip;
      const start = { x: e.clientX, y: e.clientY, box: { ...f.box } };
      const move = (ev: PointerEvent) => {
        const dx = (ev.clientX - start.x) / p.scale;
        const dy = (ev.clientY - start.y) / p.scale;
        if (resizing) {
          const w = clamp(start.box.w + dx, 16, p.widthPt - start.box.x);
          const hgt = clamp(start.box.h + dy, 12, start.box.y + start.box.h);
          f.box = { x: start.box.x, y: round(start.box.y + start.box.h - hgt), w: round(w), h: round(hgt) };
        } else {
          f.box.x = round(clamp(start.box.x + dx, 0, p.widthPt - f.box.w));
          f.box.y = round(clamp(start.box.y - dy, 0, p.heightPt - f.box.h));
        }
        place(f);
      };
      const up = () => {
        el.removeEventListener('pointermove', move);
        el.removeEventListener('pointerup', up);
        changed();
      };
      el.addEventListener('pointermove', move);
      el.addEventListener('pointerup', up);
    });
  }

  function remove(f: PlacedField) {
    fields.splice(fields.indexOf(f), 1);
    boxes.get(f)?.remove();
    boxes.delete(f);
    select(null);
    changed();
  }

  function select(f: PlacedField | null) {
    selected = f;
    for (const [g, el] of boxes) el.setAttribute('aria-pressed', String(g === f));
    renderProps();
  }

  function renderProps() {
    const f = selected;
    if (!f) {
      clear(props, h('h3', {}, t('own.fieldProps')), h('p', { class: 'hint' }, t('own.noSelection')));
      return;
    }
    const ids = { label: nextId('l'), party: nextId('pt'), bind: nextId('b'), req: nextId('rq') };
    const isMark = f.type === 'signature' || f.type === 'initials' || f.type === 'stamp';
    const parties: PlacedField['party'][] = isMark ? ['company', 'client'] : ['company', 'client', 'sender'];
    clear(props,
      h('h3', {}, t('own.fieldProps')),
      h('div', { class: 'field' }, h('label', { for: ids.label }, t('own.label')),
        h('input', { id: ids.label, type: 'text', value: f.label ?? '', oninput: (e: Event) => { f.label = (e.target as HTMLInputElement).value; place(f); changed(); } })),
      h('div', { class: 'field' }, h('label', { for: ids.party }, t('new.party')),
        h('select', { id: ids.party, 'data-k': 'party', onchange: (e: Event) => { f.party = (e.target as HTMLSelectElement).value as PlacedField['party']; place(f); changed(); } },
          parties.map((p) => h('option', { value: p, selected: f.party === p }, t(`party.${p}` as CardKey))))),
      isMark ? null : h('div', { class: 'field' }, h('label', { for: ids.bind }, t('own.binding')),
        h('select', { id: ids.bind, 'data-k': 'binding', onchange: (e: Event) => {
          const v = (e.target as HTMLSelectElement).value;
          if (v) { f.binding = v; f.party = 'sender'; } else delete f.binding;
          renderProps(); place(f); changed();
        } },
          h('option', { value: '' }, t('bind.none')),
          BINDINGS.map((b) => h('option', { value: b, selected: f.binding === b }, t(`bind.${b}` as CardKey))))),
      h('div', { class: 'row', style: 'margin-top:8px' }, h('input', { type: 'checkbox', id: ids.req, checked: f.required, onchange: (e: Event) => { f.required = (e.target as HTMLInputElement).checked; changed(); } }), h('label', { for: ids.req }, t('own.required'))),
      h('button', { type: 'button', class: 'btn btn-sm btn-danger', style: 'margin-top:10px', onclick: () => remove(f) }, t('own.delete')),
    );
  }

  function changed() {
    counter.textContent = t('own.fieldCount', { n: fields.length });
    // Boxes covering one another are outlined in red until moved apart (sending is refused meanwhile).
    const clash = new Set(findOverlaps(fields).flatMap((x) => [x.a.key, x.b.key]));
    for (const [g, el] of boxes) {
      el.classList.toggle('overlap', clash.has(g.key));
      if (clash.has(g.key)) el.setAttribute('aria-invalid', 'true');
      else el.removeAttribute('aria-invalid');
    }
    o.onChange(fields.map((f) => ({ ...f, box: { ...f.box } })));
  }

  renderProps();
  return { fields: () => fields };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), Math.max(lo, hi));
const round = (v: number) => Math.round(v * 10) / 10;
