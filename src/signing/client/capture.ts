/**
 * The signature capture in the browser: the three tabs (type, draw, upload) and the optional company
 * stamp, over the markup of src/doors/signature-capture.tsx. One copy for the signing page (page.ts)
 * and the in-portal page (portal.ts): the same tabs, pad, files, stamp removal and payload.
 */
import SignaturePad from 'signature_pad';
import { wireFileControls } from './file-control.js';

export type SignatureMethod = 'typed' | 'drawn' | 'uploaded';
export type SignaturePayload = { method: SignatureMethod; text?: string; image?: string | null };

export interface Capture {
  readonly method: SignatureMethod;
  /** Enough to sign with: a typed name of 2+ characters, a drawn stroke, or an uploaded file. */
  hasSignature(): boolean;
  /** What the server's `signature` field takes (a data URL for images). */
  signature(): SignaturePayload;
  /** The chosen stamp as a data URL, or null. */
  stamp(): string | null;
  /**
   * The signer has made the signature theirs: typed or edited the name, drew, uploaded, or pressed
   * "Use this signature" (#sig-apply). The pre-filled name alone does not count as a filled field.
   */
  adopted(): boolean;
  /** What the signature looks like, for the field boxes: the typed text, or an image as a data URL. */
  preview(): { text: string } | { image: string } | null;
}

const $ = <E extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as E | null;

function readFile(input: HTMLInputElement): Promise<string | null> {
  const f = input.files?.[0];
  if (!f) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(f);
  });
}

/** Wires the capture markup; `onChange` runs whenever what would be submitted changes. */
export function wireCapture(onChange: () => void): Capture {
  let method: SignatureMethod = 'typed';
  let uploaded: string | null = null;
  let stamp: string | null = null;
  let pad: SignaturePad | null = null;
  let adopted = false;
  /** The drawn signature as a data URL, made once per stroke (not on every refresh of the page). */
  let drawnUrl: string | null = null;
  const adopt = () => {
    adopted = true;
    const apply = $('sig-apply');
    if (apply) apply.hidden = true;
  };

  function setupPad() {
    const canvas = $('sig-pad') as HTMLCanvasElement | null;
    if (!canvas) return;
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const data = pad?.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext('2d')!.scale(ratio, ratio);
    if (!pad) {
      pad = new SignaturePad(canvas, { penColor: '#0b2a6f', minWidth: 0.8, maxWidth: 2.6 });
      pad.addEventListener('endStroke', () => {
        drawnUrl = pad!.toDataURL('image/png');
        adopt();
        onChange();
      });
    } else {
      pad.clear();
      if (data) pad.fromData(data);
      drawnUrl = pad.isEmpty() ? null : pad.toDataURL('image/png');
    }
  }
  function selectTab(m: SignatureMethod) {
    method = m;
    for (const k of ['typed', 'drawn', 'uploaded'] as const) {
      $(`tab-${k}`)?.setAttribute('aria-selected', String(k === m));
      const panel = $(`panel-${k}`);
      if (panel) panel.hidden = k !== m;
    }
    if (m === 'drawn') setupPad();
    onChange();
  }

  for (const k of ['typed', 'drawn', 'uploaded'] as const) $(`tab-${k}`)?.addEventListener('click', () => selectTab(k));
  $('sig-text')?.addEventListener('input', () => {
    $('sig-preview')!.textContent = ($('sig-text') as HTMLInputElement).value;
    adopt();
    onChange();
  });
  $('sig-clear')?.addEventListener('click', () => {
    pad?.clear();
    drawnUrl = null;
    onChange();
  });
  $('sig-file')?.addEventListener('change', async () => {
    uploaded = await readFile($('sig-file') as HTMLInputElement);
    if (uploaded) adopt();
    onChange();
  });
  $('stamp-file')?.addEventListener('change', async () => {
    stamp = await readFile($('stamp-file') as HTMLInputElement);
    $('stamp-remove')!.hidden = !stamp;
    onChange();
  });
  // A chosen stamp can be taken back: clear the file control too, so the same file can be picked again.
  $('stamp-remove')?.addEventListener('click', () => {
    const input = $('stamp-file') as HTMLInputElement;
    input.value = '';
    input.dispatchEvent(new Event('file-control:reset'));
    stamp = null;
    $('stamp-remove')!.hidden = true;
    input.focus();
    onChange();
  });
  // The translated file controls show the chosen file's name (src/doors/file-control.tsx).
  wireFileControls(document);
  $('sig-apply')?.addEventListener('click', () => {
    adopt();
    onChange();
  });
  window.addEventListener('resize', () => {
    if (method === 'drawn') setupPad();
  });

  return {
    get method() {
      return method;
    },
    hasSignature() {
      if (method === 'typed') return (($('sig-text') as HTMLInputElement | null)?.value.trim().length ?? 0) >= 2;
      if (method === 'drawn') return Boolean(pad && !pad.isEmpty());
      return Boolean(uploaded);
    },
    signature() {
      return method === 'typed' ? { method, text: ($('sig-text') as HTMLInputElement).value.trim() } : { method, image: method === 'drawn' ? pad!.toDataURL('image/png') : uploaded };
    },
    stamp: () => stamp,
    adopted: () => adopted,
    preview() {
      if (method === 'typed') {
        const text = ($('sig-text') as HTMLInputElement | null)?.value.trim() ?? '';
        return text.length >= 2 ? { text } : null;
      }
      const image = method === 'drawn' ? drawnUrl : uploaded;
      return image ? { image } : null;
    },
  };
}
