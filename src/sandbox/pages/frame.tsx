/** @jsxImportSource hono/jsx */
import { hostScript, type PortalFrame } from '../bx24.js';

export interface FramePost extends PortalFrame {
  /** The sandbox page's CSP nonce: the host script is inline (src/http/security-headers.ts). */
  nonce: string;
}

/**
 * A placement framed the way Bitrix24 does it: a hidden form with the placement payload, POSTed
 * into an iframe named `DOMAIN|PROTOCOL|APP_SID`; the host script answers Bitrix24's SDK inside it
 * (src/sandbox/bx24.ts) and opens the portal paths it asks for in the sandbox.
 */
export function PlacementFrame(props: { post: FramePost; title: string }) {
  const { post } = props;
  return (
    <div class="frame-wrap">
      <iframe class="b24" name={post.name} id="b24frame" title={props.title}></iframe>
      <form id="b24form" method="post" target={post.name} action={post.action} hidden>
        {Object.entries(post.fields).map(([k, v]) => (
          <input type="hidden" name={k} value={v} />
        ))}
      </form>
      <script nonce={post.nonce} dangerouslySetInnerHTML={{ __html: hostScript(post, { go: '/sandbox/go?path=', appUrl: '/sandbox/app' }) }} />
    </div>
  );
}
