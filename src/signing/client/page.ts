/**
 * The signing page's script (bundled by esbuild: src/assets/browser.ts). The server renders
 * the form; this script shows the PDF with pdf.js, highlights this recipient's fields, drives the
 * "next field" guide, the one-time code, the three ways to sign, and decline.
 */
import { wireCapture, type Capture } from './capture.js';
import { hasPageImages, wireImagePages } from './document-view.js';
import { loadHandwritingWhenNeeded } from './handwriting.js';
import { initialsOf } from '../initials.js';
import { boxOnPage } from '../../documents/page-space.js';

type Field = { key: string; type: string; label: string; page: number; box: { x: number; y: number; w: number; h: number }; required: boolean; value: string };
type Model = { lang: string; title: string; recipient: { name: string; role: string; party: string; emailMasked: string; verified: boolean }; fields: Field[]; stamp: 'none' | 'optional' | 'required'; texts: Record<string, string> };

const model = JSON.parse(document.getElementById('sign-data')!.textContent!) as Model;
const T = model.texts;
const fmt = (s: string, v: Record<string, string | number> = {}) => s.replace(/\{(\w+)\}/g, (m, k: string) => (k in v ? String(v[k]) : m));
const $ = <E extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as E | null;
const token = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const base = `/api/sign/${encodeURIComponent(token)}`;
const MARKS = new Set(['signature', 'initials', 'stamp']);

// Where pdf.js is served, set at bundle time (content-hashed in a production build): src/assets/browser.ts.
declare const B24_PDFJS_URL: string;
declare const B24_PDFJS_WORKER_URL: string;

let actionToken: string | null = null;
/** The three ways to sign and the stamp (./capture.ts, shared with the in-portal page). */
let capture: Capture | null = null;

type ApiError = { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
async function call<T>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body ?? {}) });
  const data = (await res.json().catch(() => ({}))) as T & ApiError;
  if (!res.ok) throw data.error ?? { code: 'INTERNAL' };
  return data;
}
function explain(e: unknown): string {
  const err = e as { code?: string; message?: string; details?: Record<string, unknown> };
  // Field-level refusals come back with the field's key: say it in the page's language.
  const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
  if (err.code === 'VALIDATION_FAILED' && field) {
    if (field === 'signature') return T['error.signature']!;
    if (field === 'stamp') return T['error.stamp']!;
    if (field === 'acceptTerms') return T['error.terms']!;
    if (field === 'reason') return T['error.reason']!;
    const f = model.fields.find((x) => x.key === field);
    if (f) {
      focusField(f);
      return fmt(T['error.field']!, { label: f.label });
    }
  }
  if (err.code === 'IMAGE_TOO_LARGE') return T['error.imageSize']!;
  if (err.code === 'PAYLOAD_TOO_LARGE' || err.code === 'UNSUPPORTED_MEDIA_TYPE') return T['error.image']!;
  if (err.code === 'NOT_YOUR_TURN') return T['state.not_your_turn.text']!;
  // The action token is missing or has run out: the code step again.
  if (err.code === 'UNAUTHORIZED') return T['error.code']!;
  const key = `error.${err.code}`;
  if (err.code && T[key]) return fmt(T[key]!, { n: String(err.details?.attemptsLeft ?? '') });
  return err.message ?? T['error.generic']!;
}
function say(id: string, text: string, isError = false) {
  const el = $(id);
  if (!el) return;
  el.textContent = text;
  el.classList.toggle('err', isError);
}

/* ------------------------------------------------------------ document ---- */

const boxes = new Map<string, HTMLElement>();

async function renderPdf() {
  const holder = $('pages')!;
  const url = `${base}/document.pdf`;
  ($('download') as HTMLAnchorElement).href = url;
  // Page images drawn by the server: nothing to fetch or draw here (pdf.js stays unloaded).
  if (hasPageImages()) {
    wireImagePages(boxes, (key) => {
      const f = model.fields.find((x) => x.key === key);
      if (f) focusField(f);
    });
    return;
  }
  try {
    const pdfjs = (await import(/* @vite-ignore */ B24_PDFJS_URL)) as typeof import('pdfjs-dist');
    pdfjs.GlobalWorkerOptions.workerSrc = B24_PDFJS_WORKER_URL;
    const doc = await pdfjs.getDocument({ url }).promise;
    holder.textContent = '';
    const width = Math.max(280, holder.clientWidth);
    for (let i = 1; i <= doc.numPages; i++) {
      const page = await doc.getPage(i);
      const unit = page.getViewport({ scale: 1 });
      const scale = (width / unit.width) * Math.min(window.devicePixelRatio || 1, 2);
      const vp = page.getViewport({ scale });
      const wrap = document.createElement('div');
      wrap.className = 'page';
      // A labelled group, not an image: it holds the field buttons (an image may not contain controls).
      wrap.setAttribute('role', 'group');
      wrap.setAttribute('aria-label', `${model.title} — ${i} / ${doc.numPages}`);
      const canvas = document.createElement('canvas');
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${model.title} — ${i} / ${doc.numPages}`);
      canvas.width = Math.floor(vp.width);
      canvas.height = Math.floor(vp.height);
      wrap.appendChild(canvas);
      holder.appendChild(wrap);
      await page.render({ canvas, canvasContext: canvas.getContext('2d')!, viewport: vp }).promise;
      // Field boxes are in the page's displayed space (documents/page-space.ts), the viewport's own: /Rotate needs no care here.
      const displayed = { widthPt: unit.width, heightPt: unit.height };
      for (const f of model.fields.filter((f) => f.page === i - 1)) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'fbox';
        b.dataset.key = f.key;
        const at = boxOnPage(f.box, displayed);
        b.style.left = `${at.left * 100}%`;
        b.style.top = `${at.top * 100}%`;
        b.style.width = `${at.width * 100}%`;
        b.style.height = `${at.height * 100}%`;
        b.setAttribute('aria-label', f.label);
        b.addEventListener('click', () => focusField(f));
        wrap.appendChild(b);
        boxes.set(f.key, b);
      }
    }
    holder.setAttribute('aria-busy', 'false');
    refresh();
  } catch {
    holder.setAttribute('aria-busy', 'false');
    holder.textContent = T['doc.loadFailed']!;
  }
}

/* ------------------------------------------------------------ guide ---- */

function inputOf(key: string) {
  return document.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[data-field="${CSS.escape(key)}"]`);
}
function valueOf(f: Field): string {
  const el = inputOf(f.key);
  if (!el) return '';
  if (el instanceof HTMLInputElement && el.type === 'checkbox') return el.checked ? 'true' : '';
  return el.value.trim();
}
function hasSignature(): boolean {
  if (model.recipient.role !== 'signer') return true;
  return Boolean(capture?.hasSignature());
}
/**
 * What the signer must do: the fields marked required, every signature and initials box (a signer
 * signs them all with one signature), and the stamp only where the server asks for it (stamp-rule.ts).
 */
function isRequired(f: Field): boolean {
  if (f.type === 'stamp') return model.stamp === 'required';
  if (MARKS.has(f.type)) return true;
  return f.required;
}
function isFilled(f: Field): boolean {
  if (f.type === 'stamp') return Boolean(capture?.stamp());
  // The name pre-filled in the typed signature is a suggestion: the box is filled once the signer takes it.
  if (MARKS.has(f.type)) return hasSignature() && (model.recipient.role !== 'signer' || Boolean(capture?.adopted()));
  return Boolean(valueOf(f));
}
/** The signature (or its initials, or the stamp) shown in its box over the page, as it will be placed. */
function showMark(b: HTMLElement, f: Field, filled: boolean) {
  const look = !filled ? null : f.type === 'stamp' ? { image: capture?.stamp() ?? '' } : capture?.preview();
  const key = !look ? '' : 'text' in look ? `t:${f.type === 'initials' ? initialsOf(look.text) : look.text}` : `i:${look.image}`;
  if (b.dataset.mark === key) return;
  b.dataset.mark = key;
  b.textContent = '';
  // The box's name is its label; a typed mark shown in it joins the name (its visible text must be part of it).
  const label = (b.dataset.label ??= b.getAttribute('aria-label') ?? '');
  b.setAttribute('aria-label', look && 'text' in look ? `${label}: ${key.slice(2)}` : label);
  if (!look) return;
  if ('text' in look) {
    const span = document.createElement('span');
    span.className = 'mark-text';
    span.textContent = key.slice(2);
    b.appendChild(span);
  } else {
    const img = document.createElement('img');
    img.className = 'mark';
    img.alt = '';
    img.src = look.image;
    b.appendChild(img);
  }
}
function focusField(f: Field) {
  if (MARKS.has(f.type)) {
    const target = f.type === 'stamp' ? $('stamp-file') : $('sig');
    target?.scrollIntoView({ behavior: 'smooth', block: 'center' });
    const apply = $('sig-apply');
    const control = f.type === 'stamp' ? target : apply && !apply.hidden ? apply : $(`tab-${capture?.method ?? 'typed'}`);
    control?.focus({ preventScroll: true });
  } else {
    const el = inputOf(f.key);
    boxes.get(f.key)?.scrollIntoView({ behavior: 'smooth', block: 'center' });
    el?.focus({ preventScroll: true });
  }
  for (const [k, b] of boxes) b.classList.toggle('current', k === f.key);
}
function refresh() {
  const required = model.fields.filter(isRequired);
  const done = required.filter(isFilled).length;
  for (const f of model.fields) {
    const b = boxes.get(f.key);
    if (!b) continue;
    const filled = isFilled(f);
    b.classList.toggle('filled', filled);
    if (MARKS.has(f.type)) showMark(b, f, filled);
    else b.textContent = valueOf(f) === 'true' && f.type === 'checkbox' ? '✓' : valueOf(f);
  }
  say('guide-progress', done === required.length ? T['guide.allDone']! : fmt(T['guide.progress']!, { done, total: required.length }));
}
/** Optional fields the guide has already shown once: "Next field" then moves on past them. */
const offered = new Set<string>();
function next() {
  // Required fields first, in page order; then each empty optional field once; then the code, terms and button.
  const pending = model.fields.find((f) => isRequired(f) && !isFilled(f));
  if (pending) return focusField(pending);
  const optional = model.fields.find((f) => !isRequired(f) && !isFilled(f) && !offered.has(f.key));
  if (optional) {
    offered.add(optional.key);
    return focusField(optional);
  }
  if (!actionToken) {
    $('code-input')?.scrollIntoView({ behavior: 'smooth', block: 'center' });
    return $('code-send')?.focus({ preventScroll: true });
  }
  if (!($('terms') as HTMLInputElement).checked) {
    $('terms')?.scrollIntoView({ behavior: 'smooth', block: 'center' });
    return $('terms')?.focus({ preventScroll: true });
  }
  $('submit')?.scrollIntoView({ behavior: 'smooth', block: 'center' });
  $('submit')?.focus({ preventScroll: true });
}

/* ------------------------------------------------------------ code ---- */

let cooldownTimer: ReturnType<typeof setInterval> | undefined;
function cooldown(seconds: number) {
  const btn = $('code-send') as HTMLButtonElement;
  let left = seconds;
  btn.disabled = true;
  clearInterval(cooldownTimer);
  cooldownTimer = setInterval(() => {
    left--;
    btn.textContent = left > 0 ? `${T['code.resend']} (${left})` : T['code.resend']!;
    if (left <= 0) {
      btn.disabled = false;
      clearInterval(cooldownTimer);
    }
  }, 1000);
}
async function sendCode() {
  try {
    const r = await call<{ sentTo: string; resendAfterSeconds: number }>('/code');
    say('code-msg', fmt(T['code.sent']!, { email: r.sentTo }));
    cooldown(r.resendAfterSeconds);
    $('code-input')?.focus();
  } catch (e) {
    const err = e as { details?: { retryAfterSeconds?: number } };
    if (err.details?.retryAfterSeconds) cooldown(err.details.retryAfterSeconds);
    say('code-msg', explain(e), true);
  }
}
async function verify() {
  const code = ($('code-input') as HTMLInputElement).value.replace(/\D/g, '');
  try {
    const r = await call<{ actionToken: string }>('/verify', { code });
    actionToken = r.actionToken;
    say('code-msg', T['code.ok']!);
    ($('code-verify') as HTMLButtonElement).disabled = true;
    // Confirmed: no countdown to a new code any more (it would re-enable the button when it ran out).
    clearInterval(cooldownTimer);
    const send = $('code-send') as HTMLButtonElement;
    send.disabled = true;
    send.textContent = T['code.send']!;
    refresh();
    if (declineAfterCode) {
      declineAfterCode = false;
      openDecline();
    }
  } catch (e) {
    say('code-msg', explain(e), true);
  }
}

/* ------------------------------------------------------------ submit / decline ---- */

function finish(heading: string, text: string) {
  const main = document.querySelector('main')!;
  main.innerHTML = '';
  const sec = document.createElement('section');
  sec.className = 'card state';
  sec.setAttribute('aria-live', 'polite');
  const h = document.createElement('h2');
  h.textContent = heading;
  h.tabIndex = -1;
  const p = document.createElement('p');
  p.textContent = text;
  sec.append(h, p);
  main.appendChild(sec);
  $('guide')?.remove();
  document.getElementById('decline-dialog')?.remove();
  h.focus();
}

async function submit() {
  if (!actionToken) return say('submit-msg', T['error.code']!, true);
  if (!hasSignature()) return say('submit-msg', T['error.signature']!, true);
  if (!($('terms') as HTMLInputElement).checked) return say('submit-msg', T['error.terms']!, true);
  const values: Record<string, string> = {};
  for (const f of model.fields) if (!MARKS.has(f.type)) values[f.key] = valueOf(f);
  const body: Record<string, unknown> = { values, acceptTerms: true };
  if (model.recipient.role === 'signer') {
    body.signature = capture!.signature();
    const stamp = capture!.stamp();
    if (stamp) body.stamp = stamp;
  }
  const btn = $('submit') as HTMLButtonElement;
  btn.disabled = true;
  say('submit-msg', T['busy']!);
  try {
    const r = await call<{ envelopeStatus?: string }>('/sign', body, { 'x-sign-action': actionToken });
    // The last party: the document is complete now, not "when everyone has signed".
    if (r.envelopeStatus === 'completed') finish(T['done.completeHeading']!, T['done.complete']!);
    else finish(model.recipient.role === 'signer' ? T['done.heading']! : T['done.approved']!, T['done.next']!);
  } catch (e) {
    btn.disabled = false;
    say('submit-msg', explain(e), true);
  }
}

/** Set when the signer chose to decline before confirming the code: the dialog comes back once it is confirmed. */
let declineAfterCode = false;
/** The decline dialog: the reason once the code is confirmed, until then the way to the code. */
function openDecline() {
  const dialog = document.getElementById('decline-dialog') as HTMLDialogElement;
  $('decline-code')!.hidden = Boolean(actionToken);
  $('decline-form')!.hidden = !actionToken;
  if (!dialog.open) dialog.showModal();
  (actionToken ? $('decline-reason') : $('decline-get-code'))?.focus();
}
function codeForDecline() {
  (document.getElementById('decline-dialog') as HTMLDialogElement).close();
  declineAfterCode = true;
  const send = $('code-send') as HTMLButtonElement;
  if (!send.disabled) void sendCode();
  $('code-input')?.scrollIntoView({ behavior: 'smooth', block: 'center' });
  $('code-input')?.focus({ preventScroll: true });
}
async function declineNow() {
  const reason = ($('decline-reason') as HTMLTextAreaElement).value.trim();
  if (!actionToken) return openDecline();
  if (reason.length < 3) return say('decline-msg', T['error.reason']!, true);
  try {
    await call('/decline', { reason }, { 'x-sign-action': actionToken });
    (document.getElementById('decline-dialog') as HTMLDialogElement).close();
    finish(T['declined.heading']!, T['declined.text']!);
  } catch (e) {
    say('decline-msg', explain(e), true);
  }
}

/* ------------------------------------------------------------ wiring ---- */

function init() {
  void call('/open').catch(() => undefined);
  void renderPdf();
  document.querySelectorAll<HTMLElement>('[data-field]').forEach((el) => {
    el.addEventListener('input', refresh);
    el.addEventListener('change', refresh);
    el.addEventListener('focus', () => {
      for (const [k, b] of boxes) b.classList.toggle('current', k === el.dataset.field);
    });
  });
  $('guide-next')?.addEventListener('click', next);
  $('code-send')?.addEventListener('click', sendCode);
  $('code-verify')?.addEventListener('click', verify);
  $('code-input')?.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') void verify();
  });
  capture = $('sig') ? wireCapture(refresh) : null;
  $('terms')?.addEventListener('change', refresh);
  $('submit')?.addEventListener('click', submit);
  const dialog = document.getElementById('decline-dialog') as HTMLDialogElement;
  $('decline-open')?.addEventListener('click', openDecline);
  $('decline-get-code')?.addEventListener('click', codeForDecline);
  $('decline-back')?.addEventListener('click', () => dialog.close());
  $('decline-cancel')?.addEventListener('click', () => dialog.close());
  $('decline-confirm')?.addEventListener('click', declineNow);
  loadHandwritingWhenNeeded();
  refresh();
  // Handlers are attached: the page is usable (bench/signing-page.ts and the browser tests wait for this).
  document.documentElement.dataset.signReady = '';
}

init();
