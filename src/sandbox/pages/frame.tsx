/** @jsxImportSource hono/jsx */
import { hostScript } from '../bx24.js';

export interface FramePost {
  /** Handler URL with the query Bitrix24 adds (DOMAIN, PROTOCOL, LANG, APP_SID). */
  action: string;
  fields: Record<string, string>;
  /** What BX24.init hands the page (auth, domain, placement, options…). */
  init: Record<string, unknown>;
  /** The sandbox page's CSP nonce: the host script is inline (src/http/security-headers.ts). */
  nonce: string;
}

/**
 * A placement framed the way Bitrix24 does it: a hidden form with the placement payload, POSTed
 * into a named iframe; the host script answers the BX24 stand-in inside it.
 */
export function PlacementFrame(props: { post: FramePost; title: string }) {
  return (
    <div class="frame-wrap">
      <iframe class="b24" name="b24frame" id="b24frame" title={props.title}></iframe>
      <form id="b24form" method="post" target="b24frame" action={props.post.action} hidden>
        {Object.entries(props.post.fields).map(([k, v]) => (
          <input type="hidden" name={k} value={v} />
        ))}
      </form>
      <script nonce={props.post.nonce} dangerouslySetInnerHTML={{ __html: hostScript(props.post.init) }} />
    </div>
  );
}
