/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import type { Lang } from '../i18n/index.js';

/**
 * The frame for the pages our Bitrix24 doors render inside the portal's iframe (install, app
 * status, placement start page): small, inline CSS, no external assets; our frame script when asked.
 */
export const FRAME_CSS = `
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#333;background:#f5f7f8;margin:0}
main{max-width:46rem;margin:0 auto;padding:18px}
h1{font-size:20px;margin:0 0 12px}h2{font-size:15px;margin:18px 0 8px}
.panel{background:#fff;border:1px solid #dfe3e8;border-radius:10px;padding:14px 16px;margin-bottom:12px}
.ok{color:#2d7a0e}.bad{color:#b3261e}.muted{color:#59626e}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eef1f4;vertical-align:top}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.2rem;word-break:break-all}
ol li,ul li{margin:4px 0}
button{height:32px;padding:0 14px;border-radius:16px;border:1px solid #c6cdd3;background:#fff;font:inherit;font-weight:600;cursor:pointer}
`;

/** JSON inside <script>: `</script>` and line separators must not end or break the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * `script`: the app's frame script (placements/app.js, which talks to the portal through Bitrix24's SDK:
 * fitWindow, and installFinish on a body marked `data-install-finish`).
 */
export function FramePage(props: { lang: Lang; title: string; script?: string; installFinish?: boolean; children?: Child }) {
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>{props.title}</title>
        <style dangerouslySetInnerHTML={{ __html: FRAME_CSS }} />
        {props.script ? <script type="module" src={props.script}></script> : null}
      </head>
      <body data-install-finish={props.installFinish ? '' : undefined}>
        <main role="main">{props.children}</main>
      </body>
    </html>
  );
}
