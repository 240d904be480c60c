import { DATE_LOCALES, DATE_TIME_OPTIONS } from '../../src/i18n/dates.js';
import type { Lang } from '../../src/i18n/index.js';
/**
 * A tiny DOM builder: text always goes in as text nodes, never through innerHTML, so CRM data
 * (names, titles) cannot inject markup.
 */
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;
export type Kid = Node | string | number | null | undefined | false | Kid[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...kids: Kid[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else if (k === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, kids);
  return el;
}

function append(el: Node, kids: Kid[]) {
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else el.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
  }
}

export function clear(el: Element, ...kids: Kid[]) {
  el.replaceChildren();
  append(el, kids);
}

let uid = 0;
export const nextId = (p = 'f') => `${p}${++uid}`;

export function toast(text: string) {
  document.querySelector('.toast')?.remove();
  const el = h('div', { class: 'toast', role: 'status' }, text);
  document.body.appendChild(el);
  setTimeout(() => el.remove(), 3500);
}

/** Shows dates in the viewer's own time zone (the server rendered them in UTC). */
export function localiseTimes(root: ParentNode, lang: string) {
  const fmt = new Intl.DateTimeFormat(DATE_LOCALES[lang as Lang] ?? lang, DATE_TIME_OPTIONS);
  for (const t of root.querySelectorAll('time[datetime]')) {
    const d = new Date(t.getAttribute('datetime')!);
    if (!Number.isNaN(d.getTime())) t.textContent = fmt.format(d);
  }
}

/**
 * A modal confirmation built on <dialog>: the browser traps focus and Esc cancels. Resolves with
 * the text typed in the optional input, or null when cancelled.
 */
export function confirmDialog(o: { text: string; ok: string; cancel: string; input?: { label: string; value?: string; type?: string }; danger?: boolean }): Promise<string | null> {
  return new Promise((resolve) => {
    const inputId = nextId('dlg');
    const input = o.input ? h('input', { id: inputId, type: o.input.type ?? 'text', value: o.input.value ?? '' }) : null;
    const dlg = h(
      'dialog',
      { class: 'panel', 'aria-label': o.text, style: 'max-width:460px;border:1px solid #dfe3e8;border-radius:10px' },
      h('form', { method: 'dialog' },
        h('p', {}, o.text),
        input ? h('div', { class: 'field' }, h('label', { for: inputId }, o.input!.label), input) : null,
        h('div', { class: 'row', style: 'justify-content:flex-end;margin-top:12px' },
          h('button', { type: 'submit', value: 'cancel', class: 'btn' }, o.cancel),
          h('button', { type: 'submit', value: 'ok', class: o.danger ? 'btn btn-danger' : 'btn btn-primary' }, o.ok),
        ),
      ),
    );
    document.body.appendChild(dlg);
    dlg.addEventListener('close', () => {
      const ok = dlg.returnValue === 'ok';
      dlg.remove();
      resolve(ok ? (input?.value ?? '') : null);
    });
    dlg.showModal();
    (input ?? dlg.querySelector<HTMLButtonElement>('button[value=ok]'))?.focus();
  });
}
