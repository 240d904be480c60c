import { html } from 'hono/html';

/** A plain, accessible error page for HTML doors; it shows the code and request id, never internals. */
export function renderErrorPage(e: { code: string; message: string; requestId?: string }) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>b24-sign — ${e.code}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2937}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.2rem}</style>
</head><body><main role="main"><h1>${e.message}</h1>
<p>Error code <code>${e.code}</code>${e.requestId ? html`, request <code>${e.requestId}</code>` : ''}.</p></main></body></html>`;
}
