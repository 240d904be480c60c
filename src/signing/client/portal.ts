/**
 * The in-portal signing page's script (src/doors/in-portal-sign.tsx), bundled like the signing page's
 * (src/assets/browser.ts). It previews each waiting document's first page with pdf.js, opens the whole
 * document on request (recorded as opened), and signs every listed document with one signature (the
 * shared capture, ./capture.ts) and one confirmation. The frame session travels as a Bearer token.
 */
import { wireCapture } from './capture.js';

type Doc = { envelopeId: string; title: string; role: string; opened: boolean; stamp: string; fields: { key: string; type: string; label: string; required: boolean; value: string }[] };
type Boot = { lang: string; token: string; docs: Doc[]; texts: Record<string, string> };
type ApiError = { code?: string; message?: string; details?: Record<string, unknown> };
type Result = { envelopeId: string; ok: true; envelopeStatus: string } | { envelopeId: string; ok: false; error: ApiError };

declare const B24_PDFJS_URL: string;
declare const B24_PDFJS_WORKER_URL: string;

const boot = JSON.parse(document.getElementById('ip-data')!.textContent!) as Boot;
const T = boot.texts;
const fmt = (s: string, v: Record<string, string | number> = {}) => s.replace(/\{(\w+)\}/g, (m, k: string) => (k in v ? String(v[k]) : m));
const $ = <E extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as E | null;
const q = <E extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<E>(sel);
const auth = { authorization: `Bearer ${boot.token}` };
const opened = new Set(boot.docs.filter((d) => d.opened).map((d) => d.envelopeId));
/** The documents still on the page (a declined one leaves it). */
let docs = [...boot.docs];

async function api<R>(path: string, body?: unknown): Promise<R> {
  const res = await fetch(path, body === undefined ? { headers: auth } : { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = (await res.json().catch(() => ({}))) as R & { error?: ApiError };
  if (!res.ok) throw data.error ?? { code: 'INTERNAL' };
  return data;
}

function explain(e: unknown): string {
  const err = e as ApiError;
  const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
  const doc = boot.docs.find((d) => d.envelopeId === err.details?.envelopeId);
  if (err.code === 'VALIDATION_FAILED' && field) {
    if (field === 'signature') return T['error.signature']!;
    if (field === 'stamp') return T['error.stamp']!;
    if (field === 'acceptTerms') return T['error.terms']!;
    if (field === 'review' && doc) return fmt(T['ip.needReview']!, { title: doc.title });
    const f = doc?.fields.find((x) => x.key === field);
    if (f) return fmt(T['error.field']!, { label: f.label });
  }
  if (err.code === 'FORBIDDEN') return T['ip.forbidden']!;
  if (err.code === 'GONE' || err.code === 'NOT_YOUR_TURN' || err.code === 'ILLEGAL_TRANSITION') return T['ip.gone']!;
  if (err.code === 'NOT_FOUND') return T['ip.notFound']!;
  if (err.code === 'IMAGE_TOO_LARGE') return T['error.imageSize']!;
  if (err.code === 'PAYLOAD_TOO_LARGE' || err.code === 'UNSUPPORTED_MEDIA_TYPE') return T['error.image']!;
  return err.message ?? T['error.generic']!;
}
function say(text: string, isError = false) {
  const el = $('submit-msg');
  if (!el) return;
  el.textContent = text;
  el.classList.toggle('err', isError);
}

/* ------------------------------------------------------------ documents ---- */

type PdfDoc = Awaited<ReturnType<typeof import('pdfjs-dist')['getDocument']>['promise']>;
const pdfs = new Map<string, Promise<PdfDoc>>();
let pdfjsLoaded: Promise<typeof import('pdfjs-dist')> | null = null;

function pdfOf(id: string): Promise<PdfDoc> {
  let p = pdfs.get(id);
  if (!p) {
    pdfjsLoaded ??= import(/* @vite-ignore */ B24_PDFJS_URL).then((m: typeof import('pdfjs-dist')) => {
      m.GlobalWorkerOptions.workerSrc = B24_PDFJS_WORKER_URL;
      return m;
    });
    p = (async () => {
      const res = await fetch(`/api/in-portal/documents/${encodeURIComponent(id)}/document.pdf`, { headers: auth });
      if (!res.ok) throw ((await res.json().catch(() => ({}))) as { error?: ApiError }).error ?? { code: 'INTERNAL' };
      const data = new Uint8Array(await res.arrayBuffer());
      return (await pdfjsLoaded!).getDocument({ data }).promise;
    })();
    pdfs.set(id, p);
  }
  return p;
}

async function drawPage(doc: PdfDoc, n: number, holder: HTMLElement, label: string) {
  const page = await doc.getPage(n);
  const width = Math.max(120, holder.clientWidth || 280);
  const scale = (width / page.getViewport({ scale: 1 }).width) * Math.min(window.devicePixelRatio || 1, 2);
  const vp = page.getViewport({ scale });
  const canvas = document.createElement('canvas');
  canvas.width = Math.floor(vp.width);
  canvas.height = Math.floor(vp.height);
  canvas.setAttribute('aria-label', label);
  holder.appendChild(canvas);
  await page.render({ canvas, canvasContext: canvas.getContext('2d')!, viewport: vp }).promise;
}

async function preview(d: Doc) {
  const holder = q(`[data-preview="${CSS.escape(d.envelopeId)}"]`);
  if (!holder) return;
  try {
    await drawPage(await pdfOf(d.envelopeId), 1, holder, fmt(T['ip.preview']!, { title: d.title }));
    holder.dataset.ready = 'true';
  } catch {
    holder.textContent = T['doc.loadFailed']!;
  }
}

async function openWhole(d: Doc, button: HTMLButtonElement) {
  const holder = q(`[data-pages="${CSS.escape(d.envelopeId)}"]`);
  if (!holder) return;
  button.disabled = true;
  try {
    if (!holder.childElementCount) {
      const doc = await pdfOf(d.envelopeId);
      holder.hidden = false;
      for (let i = 1; i <= doc.numPages; i++) await drawPage(doc, i, holder, `${d.title} — ${i} / ${doc.numPages}`);
    }
    holder.hidden = false;
    await api(`/api/in-portal/documents/${encodeURIComponent(d.envelopeId)}/open`, {});
    opened.add(d.envelopeId);
    q(`[data-opened="${CSS.escape(d.envelopeId)}"]`)!.hidden = false;
    holder.dataset.ready = 'true';
    say('');
  } catch (e) {
    say(explain(e), true);
  } finally {
    button.disabled = false;
  }
}

/* ------------------------------------------------------------ submit ---- */

const capture = $('sig') ? wireCapture(() => undefined) : null;

function valuesOf(d: Doc): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of d.fields) {
    const el = q<HTMLInputElement | HTMLTextAreaElement>(`[data-env="${CSS.escape(d.envelopeId)}"][data-field="${CSS.escape(f.key)}"]`);
    if (!el) continue;
    out[f.key] = el instanceof HTMLInputElement && el.type === 'checkbox' ? (el.checked ? 'true' : '') : el.value.trim();
  }
  return out;
}
const acked = (d: Doc) => Boolean(q<HTMLInputElement>(`[data-ack="${CSS.escape(d.envelopeId)}"]`)?.checked);

function finish(results: Result[]) {
  const main = $('ip-main')!;
  const done = results.filter((r) => r.ok).length;
  main.innerHTML = '';
  const sec = document.createElement('section');
  sec.className = 'card state';
  sec.id = 'ip-done';
  const h = document.createElement('h2');
  h.textContent = fmt(T['ip.done']!, { n: done });
  h.tabIndex = -1;
  sec.appendChild(h);
  for (const r of results) {
    if (r.ok) continue;
    const p = document.createElement('p');
    p.className = 'msg err';
    p.textContent = fmt(T['ip.failed']!, { title: boot.docs.find((d) => d.envelopeId === r.envelopeId)?.title ?? r.envelopeId, reason: explain(r.error) });
    sec.appendChild(p);
  }
  // The last signer is told the document is complete (as the public signing page does), not "when every party has signed".
  const signed = results.filter((r): r is Extract<Result, { ok: true }> => r.ok);
  const complete = signed.filter((r) => r.envelopeStatus === 'completed');
  const [open, close] = boot.lang === 'en' ? ['“', '”'] : ['«', '»'];
  const titleOf = (id: string) => `${open}${boot.docs.find((d) => d.envelopeId === id)?.title ?? id}${close}`;
  const lines = signed.length && complete.length === signed.length ? [T['ip.done.complete']!] : complete.length ? [fmt(T['ip.done.completeSome']!, { titles: complete.map((r) => titleOf(r.envelopeId)).join(', ') }), T['ip.done.next']!] : [T['ip.done.next']!];
  sec.dataset.complete = String(complete.length);
  for (const line of lines) {
    const next = document.createElement('p');
    next.textContent = line;
    sec.appendChild(next);
  }
  main.appendChild(sec);
  h.focus();
}

async function submit() {
  for (const d of docs) if (!opened.has(d.envelopeId) && !acked(d)) return say(fmt(T['ip.needReview']!, { title: d.title }), true);
  if (capture && !capture.hasSignature()) return say(T['error.signature']!, true);
  if (!($('terms') as HTMLInputElement).checked) return say(T['error.terms']!, true);
  const body: Record<string, unknown> = {
    items: docs.map((d) => ({ envelopeId: d.envelopeId, values: valuesOf(d), review: opened.has(d.envelopeId) ? 'opened' : 'acknowledged', acknowledged: acked(d) })),
    acceptTerms: true,
  };
  if (capture) {
    body.signature = capture.signature();
    const stamp = capture.stamp();
    if (stamp) body.stamp = stamp;
  }
  const btn = $('submit') as HTMLButtonElement;
  btn.disabled = true;
  say(T['busy']!);
  try {
    finish((await api<{ results: Result[] }>('/api/in-portal/sign', body)).results);
  } catch (e) {
    btn.disabled = false;
    say(explain(e), true);
  }
}

/* ------------------------------------------------------------ decline ---- */

const sel = (attr: string, id: string) => q<HTMLElement>(`[${attr}="${CSS.escape(id)}"]`);

async function declineNow(d: Doc) {
  const reason = (sel('data-decline-reason', d.envelopeId) as HTMLTextAreaElement).value.trim();
  const msg = sel('data-decline-msg', d.envelopeId)!;
  if (reason.length < 3) {
    msg.textContent = T['error.reason']!;
    return;
  }
  try {
    await api(`/api/in-portal/documents/${encodeURIComponent(d.envelopeId)}/decline`, { reason });
  } catch (e) {
    msg.textContent = explain(e);
    return;
  }
  docs = docs.filter((x) => x.envelopeId !== d.envelopeId);
  q(`article.doc[data-envelope="${CSS.escape(d.envelopeId)}"]`)?.remove();
  if (!docs.length) {
    const main = $('ip-main')!;
    main.innerHTML = '';
    const sec = document.createElement('section');
    sec.className = 'card state';
    sec.id = 'ip-none';
    const h = document.createElement('h2');
    h.textContent = T['ip.none']!;
    const p = document.createElement('p');
    p.textContent = fmt(T['ip.declined']!, { title: d.title });
    sec.append(h, p);
    main.appendChild(sec);
    return;
  }
  $('ip-count')!.textContent = fmt(T['ip.count']!, { n: docs.length });
  $('submit')!.textContent = fmt(T['ip.sign']!, { n: docs.length });
  say(fmt(T['ip.declined']!, { title: d.title }));
}

document.addEventListener('click', (ev) => {
  const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-decline], button[data-decline-confirm], button[data-decline-cancel]');
  if (!b) return;
  const id = b.dataset.decline ?? b.dataset.declineConfirm ?? b.dataset.declineCancel ?? '';
  const d = docs.find((x) => x.envelopeId === id);
  const form = sel('data-decline-form', id);
  if (!d || !form) return;
  if (b.dataset.decline !== undefined) {
    form.hidden = false;
    sel('data-decline-reason', id)?.focus();
  } else if (b.dataset.declineCancel !== undefined) form.hidden = true;
  else void declineNow(d);
});

for (const d of boot.docs) {
  void preview(d);
  q(`[data-ack="${CSS.escape(d.envelopeId)}"]`)?.addEventListener('change', () => say(''));
  const b = q<HTMLButtonElement>(`[data-open="${CSS.escape(d.envelopeId)}"]`);
  b?.addEventListener('click', () => void openWhole(d, b));
}
$('submit')?.addEventListener('click', () => void submit());
// Marks the page as wired for tests and tools (the frame script sets data-ready once the portal answers).
document.documentElement.dataset.inPortal = 'ready';
