/**
 * Picking one of the CRM item's document-generator documents and waiting for its PDF: Bitrix24
 * converts DOCX to PDF in the background, so a fresh document may need half a minute. The wait is
 * shown with a countdown and can be retried by hand; the user never sees a raw error.
 */
import { userMessage } from './errors.js';
import type { Translate } from './boot.js';
import { clear, h, nextId } from './dom.js';
import type { DocgenDocument, Endpoints } from './endpoints.js';
import { DATE_LOCALES, DATE_TIME_OPTIONS } from '../../src/i18n/dates.js';
import type { Lang } from '../../src/i18n/index.js';

export interface DocgenPickOptions {
  t: Translate;
  ep: Endpoints;
  entity: { entityTypeId: number; entityId: number };
  preselect?: number;
  onReady(doc: DocgenDocument, uploadId: string, bytes: ArrayBuffer): Promise<void>;
}

export async function pickDocgenDocument(root: HTMLElement, o: DocgenPickOptions) {
  const { t, ep } = o;
  const heading = h('h2', {}, t('docgen.pick'));
  clear(root, heading, h('p', { class: 'muted' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), ' ', t('new.loading')));
  let documents: DocgenDocument[];
  try {
    documents = (await ep.documents(o.entity)).documents;
  } catch (e) {
    clear(root, heading, h('p', { class: 'err', role: 'alert' }, userMessage(t, e)),
      h('button', { type: 'button', class: 'btn', onclick: () => void pickDocgenDocument(root, o) }, t('action.retry')));
    return;
  }
  if (documents.length === 0) {
    clear(root, heading, h('p', { class: 'muted' }, t('docgen.none')));
    return;
  }
  let chosen = documents.find((d) => d.id === o.preselect) ?? (documents.length === 1 ? documents[0]! : null);
  const status = h('div', { 'aria-live': 'polite' });
  const go = h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'docgen-continue', disabled: !chosen, onclick: () => void fetchPdf() }, t('action.continue'));
  const lang = document.documentElement.lang || 'en';
  const fmt = new Intl.DateTimeFormat(DATE_LOCALES[lang as Lang] ?? lang, DATE_TIME_OPTIONS);
  clear(root, heading, h('p', { class: 'hint' }, t('docgen.hint')),
    h('ul', { class: 'doclist' }, documents.map((d) => {
      const id = nextId('doc');
      return h('li', {}, h('label', { for: id, 'data-document': String(d.id) },
        h('input', { type: 'radio', name: 'docgen', id, value: String(d.id), checked: chosen?.id === d.id, onchange: () => { chosen = d; go.disabled = false; } }),
        h('span', {}, h('strong', {}, d.title), ' ',
          h('span', { class: 'muted' }, [d.number && !d.title.includes(d.number) ? t('docgen.number', { number: d.number }) : '', d.createdAt ? fmt.format(new Date(d.createdAt)) : ''].filter(Boolean).join(' · ')))));
    })),
    h('div', { class: 'row', style: 'margin-top:10px' }, go), status);

  let timer: ReturnType<typeof setInterval> | undefined;
  async function fetchPdf() {
    if (!chosen) return;
    clearInterval(timer);
    go.disabled = true;
    clear(status, h('p', { class: 'muted' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), ' ', t('new.loading')));
    try {
      const r = await ep.docgenPdf(chosen.id, o.entity);
      if (!r.ready) {
        let left = Math.max(1, Math.round(r.retryAfterSeconds));
        const line = h('p', { class: 'muted', 'data-waiting': '' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), ' ', t('docgen.waiting', { s: left }));
        clear(status, line, h('button', { type: 'button', class: 'btn btn-sm', onclick: () => void fetchPdf() }, t('action.retry')));
        timer = setInterval(() => {
          left -= 1;
          if (left <= 0) {
            clearInterval(timer);
            void fetchPdf();
          } else line.lastChild!.textContent = ` ${t('docgen.waiting', { s: left })}`;
        }, 1000);
        return;
      }
      clear(status);
      await o.onReady(chosen, r.uploadId, r.bytes);
    } catch (e) {
      go.disabled = false;
      clear(status, h('p', { class: 'err', role: 'alert' }, t('docgen.failed', { message: userMessage(t, e) })),
        h('button', { type: 'button', class: 'btn btn-sm', onclick: () => void fetchPdf() }, t('action.retry')));
    }
  }
  if (o.preselect && chosen) void fetchPdf();
}
