/** @jsxImportSource hono/jsx */
import type { Lang } from '../i18n/index.js';
import { wireFileControls } from '../signing/client/file-control.js';

/**
 * A file picker in the page's language. The browser's own <input type=file> speaks the browser's
 * language ("Choose File / No file chosen", "Выберите файл") whatever the page's is, so the input is
 * visually hidden (still focusable and announced: keyboard and screen readers use it as before) and a
 * translated button-like label and the chosen file's name stand in for it. The name is filled in by
 * FILE_CONTROL_SCRIPT (inline pages) or wireFileControls (page bundles).
 */
export const FILE_CONTROL_TEXTS: Record<Lang, { choose: string; none: string }> = {
  en: { choose: 'Choose a file', none: 'No file chosen' },
  it: { choose: 'Scegli un file', none: 'Nessun file scelto' },
  ru: { choose: 'Выбрать файл', none: 'Файл не выбран' },
};

export const FILE_CONTROL_CSS =
  '.file-control{display:flex;align-items:center;flex-wrap:wrap;gap:.5rem;margin:.35rem 0;position:relative}' +
  '.file-control input[type=file]{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;border:0}' +
  '.file-control .file-button{display:inline-block;padding:.45rem .9rem;border:1px solid #6b7280;border-radius:.4rem;background:#fff;color:#111827;cursor:pointer;font:inherit;font-weight:500}' +
  '.file-control .file-button:hover{background:#f3f4f6}' +
  '.file-control input[type=file]:focus-visible+.file-button{outline:3px solid #2563eb;outline-offset:2px}' +
  '.file-control .file-name{color:#374151;overflow-wrap:anywhere}';

export function FileControl(props: {
  id: string;
  lang?: Lang;
  accept: string;
  name?: string;
  required?: boolean;
  ariaRequired?: boolean;
  /** The field's own label, when the page has none for the input (it names the input for assistive technology). */
  label?: string;
  /** The page's own catalog of the two texts, when it has one (the signing page's texts travel with it). */
  texts?: { choose: string; none: string };
}) {
  const t = props.texts ?? FILE_CONTROL_TEXTS[props.lang ?? 'en'] ?? FILE_CONTROL_TEXTS.en;
  return (
    <span class="file-control" data-file-control>
      <input
        type="file"
        id={props.id}
        name={props.name}
        accept={props.accept}
        required={props.required}
        aria-required={props.ariaRequired ? 'true' : undefined}
        aria-label={props.label}
        aria-describedby={`${props.id}-name`}
      />
      <label for={props.id} class="file-button" aria-hidden="true">
        {t.choose}
      </label>
      <span class="file-name" id={`${props.id}-name`} data-none={t.none} aria-live="polite">
        {t.none}
      </span>
    </span>
  );
}

/** The same as wireFileControls, for pages that run only inline scripts (with their CSP nonce); plain ES5. */
export const FILE_CONTROL_SCRIPT =
  "document.querySelectorAll('[data-file-control]').forEach(function(w){var i=w.querySelector('input[type=file]'),n=w.querySelector('.file-name');if(!i||!n)return;" +
  "function s(){n.textContent=i.files&&i.files[0]?i.files[0].name:(n.getAttribute('data-none')||'');}i.addEventListener('change',s);i.addEventListener('file-control:reset',s);});";
