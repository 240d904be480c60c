/** @jsxImportSource hono/jsx */
import type { PageKey } from '../signing/page-texts.js';
import type { StampNeed } from '../signing/stamp-rule.js';
import { FILE_CONTROL_CSS, FileControl } from './file-control.js';

/** The signature tabs; the first is selected when the page opens. */
export const SIG_TABS = [
  ['typed', 'sig.type'],
  ['drawn', 'sig.draw'],
  ['uploaded', 'sig.upload'],
] as const;

/**
 * The three ways to sign (type, draw, upload) and the optional company stamp: one markup for the
 * signing page (src/doors/sign.tsx) and the in-portal page (src/doors/in-portal-sign.tsx); the browser
 * side that drives it is src/signing/client/capture.ts.
 */
export function SignatureCapture(props: { t: Record<PageKey, string>; name: string; stamp: StampNeed; apply?: boolean }) {
  const { t } = props;
  const files = { choose: t['file.choose'], none: t['file.none'] };
  return (
    <div id="sig">
      <style dangerouslySetInnerHTML={{ __html: FILE_CONTROL_CSS }} />
      <div class="tabs" role="tablist">
        {SIG_TABS.map(([kind, key], i) => (
          <button type="button" class="secondary" role="tab" id={`tab-${kind}`} aria-controls={`panel-${kind}`} aria-selected={i === 0 ? 'true' : 'false'}>
            {t[key]}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="panel-typed" aria-labelledby="tab-typed">
        <label for="sig-text">{t['sig.typeLabel']}</label>
        <input type="text" id="sig-text" autocomplete="name" value={props.name} />
        <div class="typed" id="sig-preview" aria-hidden="true">
          {props.name}
        </div>
      </div>
      <div role="tabpanel" id="panel-drawn" aria-labelledby="tab-drawn" hidden>
        <p class="hint" id="sig-pad-label">{t['sig.drawLabel']}</p>
        <canvas id="sig-pad" tabindex={0} aria-labelledby="sig-pad-label"></canvas>
        <button type="button" class="secondary" id="sig-clear">
          {t['sig.clear']}
        </button>
      </div>
      <div role="tabpanel" id="panel-uploaded" aria-labelledby="tab-uploaded" hidden>
        <label for="sig-file">{t['sig.uploadLabel']}</label>
        <FileControl id="sig-file" accept="image/png,image/jpeg" texts={files} />
      </div>
      {/* Where the signature shows in field boxes (the signing page): the pre-filled name is taken as is with one press. */}
      {props.apply ? (
        <button type="button" class="secondary" id="sig-apply">
          {t['sig.apply']}
        </button>
      ) : null}
      {props.stamp !== 'none' ? (
        <div>
          <label for="stamp-file">{t['stamp.label']}</label>
          <FileControl id="stamp-file" accept="image/png,image/jpeg" ariaRequired={props.stamp === 'required'} texts={files} />
          <button type="button" id="stamp-remove" hidden>
            {t['stamp.remove']}
          </button>
        </div>
      ) : null}
    </div>
  );
}
