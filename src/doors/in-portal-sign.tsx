/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { EnvelopeLang } from '../db/schema/envelopes.js';
import { AppError } from '../http/errors.js';
import { jsonBody } from '../http/json-body.js';
import { requireSession, type Session, type SessionEnv } from '../http/session.js';
import { declineInPortal, documentsToSign, documentSource, openInPortal, signInPortal, type PortalUser, type WaitingDocument } from '../signing/in-portal.js';
import { inPortalTexts } from '../signing/in-portal-texts.js';
import { fmt, pageTexts } from '../signing/page-texts.js';
import type { StampNeed } from '../signing/stamp-rule.js';
import type { AppEnv } from '../types.js';
import { inPortalSignLink, SIGN_PARAM } from '../signing/in-portal-link.js';
import type { Services } from '../services.js';
import { parsePlacementOptions } from '../card/context.js';
import type { PlacementContext, PlacementRenderer } from './placements-door.js';
import { jsonForScript } from './frame-page.js';
import { CSS, requestMeta } from './sign.js';
import { SignatureCapture } from './signature-capture.js';

/**
 * In-portal signing (issue 17 item 1). The messenger invitation of an employee signer and the app's
 * "Documents to sign" entry open the app through the REST_APP_URI deep link `params[sign]=<envelope
 * id or "all">`; that frame POST is verified like every placement (src/doors/placements-door.tsx:
 * member_id → stored portal, AUTH_ID → `profile`), and its session names the user. This page lists the
 * documents waiting for that user, each with a preview, and signs them with one signature and one
 * confirmation. Its JSON routes sit behind the same session; src/signing/in-portal.ts checks that the
 * session's user is exactly the recipient's Bitrix24 user on the session's portal (else 403).
 */

const userOf = (s: Session): PortalUser => ({ portalId: s.portalId, userId: s.userId, ...(s.name ? { name: s.name } : {}) });

/** The strongest stamp need over the documents one signature goes to. */
function stampOver(docs: WaitingDocument[]): StampNeed {
  if (docs.some((d) => d.stamp === 'required')) return 'required';
  return docs.some((d) => d.stamp === 'optional') ? 'optional' : 'none';
}

const EXTRA_CSS = `
.doc{display:grid;grid-template-columns:minmax(0,9rem) 1fr;gap:1rem;align-items:start}.doc .thumb{background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.2);min-height:6rem}
.doc .thumb canvas{display:block;width:100%;height:auto}.doc h2{margin-top:0}.doc .pages{grid-column:1/-1;display:flex;flex-direction:column;gap:.5rem}
.doc .pages canvas{display:block;width:100%;height:auto;box-shadow:0 1px 3px rgba(0,0,0,.15)}.ok{color:#065f46}
@media (max-width:520px){.doc{grid-template-columns:1fr}}
`;

function InPortalPage(props: { lang: EnvelopeLang; session: Session; docs: WaitingDocument[]; focus: string | null; token: string; script: string; frameScript: string; caveat: string }) {
  const t = { ...pageTexts(props.lang), ...inPortalTexts(props.lang) };
  const { docs } = props;
  // The one named by the link first, then the rest, oldest first.
  const ordered = props.focus ? [...docs.filter((d) => d.envelopeId === props.focus), ...docs.filter((d) => d.envelopeId !== props.focus)] : docs;
  const anySigner = docs.some((d) => d.role === 'signer');
  const name = props.session.name ?? '';
  const boot = { lang: props.lang, token: props.token, docs: ordered, texts: t };
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{t['ip.title']}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS + EXTRA_CSS + `@font-face{font-family:"Caveat";src:url(${props.caveat}) format("truetype");font-display:swap}` }} />
        <script type="application/json" id="ip-data" dangerouslySetInnerHTML={{ __html: jsonForScript(boot) }} />
      </head>
      <body>
        <header>
          <h1>{t['ip.title']}</h1>
        </header>
        <main id="ip-main" data-user={String(props.session.userId)}>
          <p id="ip-as">{fmt(t['ip.as'], { name: name || '—', id: props.session.userId })}</p>
          <p class="hint">{t['ip.emailPath']}</p>
          {ordered.length === 0 ? (
            <section class="card state" id="ip-none">
              <h2>{t['ip.none']}</h2>
            </section>
          ) : (
            <>
              <p id="ip-count">{fmt(t['ip.count'], { n: ordered.length })}</p>
              {ordered.map((d) => (
                <article class="card doc" data-envelope={d.envelopeId} data-role={d.role} aria-labelledby={`h-${d.envelopeId}`}>
                  <div class="thumb" role="img" aria-label={fmt(t['ip.preview'], { title: d.title })} data-preview={d.envelopeId}></div>
                  <div>
                    <h2 id={`h-${d.envelopeId}`}>{d.title}</h2>
                    {d.role === 'approver' ? <p class="hint">{t['ip.approver']}</p> : null}
                    <div class="row">
                      <button type="button" class="secondary" data-open={d.envelopeId}>
                        {t['ip.open']}
                      </button>
                      <span class="ok" data-opened={d.envelopeId} hidden={!d.opened}>
                        ✓ {t['ip.opened']}
                      </span>
                      <button type="button" class="danger" data-decline={d.envelopeId}>
                        {t['action.decline']}
                      </button>
                    </div>
                    <label style="font-weight:400">
                      <input type="checkbox" data-ack={d.envelopeId} /> {t['ip.ack']}
                    </label>
                    {d.fields.map((f) => (
                      <div>
                        <label for={`f-${d.envelopeId}-${f.key}`}>
                          {f.label} {f.required ? <span class="hint">({t['fields.required']})</span> : null}
                        </label>
                        {f.type === 'multiline' ? (
                          <textarea id={`f-${d.envelopeId}-${f.key}`} data-env={d.envelopeId} data-field={f.key} rows={3} required={f.required}>
                            {f.value}
                          </textarea>
                        ) : f.type === 'checkbox' ? (
                          <input type="checkbox" id={`f-${d.envelopeId}-${f.key}`} data-env={d.envelopeId} data-field={f.key} checked={f.value === 'true'} />
                        ) : (
                          <input type={f.type === 'date' ? 'date' : 'text'} id={`f-${d.envelopeId}-${f.key}`} data-env={d.envelopeId} data-field={f.key} value={f.value} required={f.required} />
                        )}
                      </div>
                    ))}
                    {/* Inline, not a modal: the portal's slider grows with the page, so a centred dialog could sit off screen. */}
                    <div class="card" data-decline-form={d.envelopeId} hidden style="border:1px solid #b91c1c">
                      <h3 style="margin:0 0 .4rem;font-size:1rem">{t['decline.heading']}</h3>
                      <label for={`decline-${d.envelopeId}`}>{t['decline.reason']}</label>
                      <textarea id={`decline-${d.envelopeId}`} rows={3} data-decline-reason={d.envelopeId}></textarea>
                      <p class="msg err" role="alert" data-decline-msg={d.envelopeId}></p>
                      <div class="row">
                        <button type="button" class="danger" data-decline-confirm={d.envelopeId}>
                          {t['decline.confirm']}
                        </button>
                        <button type="button" class="secondary" data-decline-cancel={d.envelopeId}>
                          {t['decline.cancel']}
                        </button>
                      </div>
                    </div>
                  </div>
                  <div class="pages" data-pages={d.envelopeId} hidden></div>
                </article>
              ))}
              <section class="card" aria-labelledby="sig-h">
                <h2 id="sig-h">{anySigner ? t['ip.sigHeading'] : t['sig.approveHeading']}</h2>
                {anySigner ? <SignatureCapture t={t} name={name} stamp={stampOver(docs.filter((d) => d.role === 'signer'))} /> : null}
                <p>
                  <label style="font-weight:400">
                    <input type="checkbox" id="terms" /> {t['terms.label']}
                  </label>
                </p>
                <div class="row">
                  <button type="button" class="primary" id="submit">
                    {fmt(t['ip.sign'], { n: ordered.length })}
                  </button>
                </div>
                <p id="submit-msg" class="msg" role="status" aria-live="polite"></p>
              </section>
            </>
          )}
        </main>
        <script type="module" src={props.script}></script>
        {/* The app's frame script: the slider fits the page (fitWindow), as for the app's other pages. */}
        <script type="module" src={props.frameScript}></script>
      </body>
    </html>
  );
}

/**
 * The "Documents to sign" entry of the app's own page (src/doors/app-page.tsx): how many wait for this
 * user, and the deep link that opens them (through the SDK's openPath in the portal; `_top` otherwise).
 */
export async function DocumentsToSignEntry(props: { services: Services; portalId: string; portalDomain: string; userId: number; lang: EnvelopeLang }) {
  const t = inPortalTexts(props.lang);
  const n = (await documentsToSign(props.services, { portalId: props.portalId, userId: props.userId })).length;
  const link = inPortalSignLink(props.services.config, props.portalDomain, 'all');
  return (
    <div class="panel" id="to-sign" data-count={String(n)}>
      <h2 style="margin-top:0">{t['ip.title']}</h2>
      <p>{n ? fmt(t['ip.count'], { n }) : t['ip.none']}</p>
      {n ? (
        <p>
          <a href={link.url} target="_top" data-open-path={link.path}>
            {t['ip.openList']}
          </a>
        </p>
      ) : null}
    </div>
  );
}

/**
 * Wraps the placement renderer: a REST_APP_URI (or app) frame whose options carry `sign` gets the
 * in-portal signing page; everything else goes to `render` as before.
 */
export function withInPortalSigning(render: PlacementRenderer): PlacementRenderer {
  return async (c, ctx: PlacementContext) => {
    const which = ctx.placement === 'REST_APP_URI' || ctx.placement === 'DEFAULT' ? parsePlacementOptions(ctx.options)[SIGN_PARAM] : undefined;
    if (!which) return render(c, ctx);
    const { services } = c.var;
    const docs = await documentsToSign(services, userOf(ctx.session));
    const focus = /^env_[A-Za-z0-9]{1,64}$/.test(which) ? which : null;
    const page = (
      <InPortalPage
        lang={ctx.session.lang}
        session={ctx.session}
        docs={docs}
        focus={focus}
        token={ctx.token}
        script={services.assets.url('sign/portal.js')}
        frameScript={services.assets.url('placements/app.js')}
        caveat={services.assets.url('sign/caveat.ttf')}
      />
    );
    return c.html(`<!doctype html>${page}`);
  };
}

/* ---------------------------------------------------------------- JSON ---- */

const b64 = z
  .string()
  .max(3_000_000)
  .transform((s) => new Uint8Array(Buffer.from(s.replace(/^data:[^,]*,/, ''), 'base64')));
const ZBatch = z.object({
  items: z
    .array(
      z.object({
        envelopeId: z.string().max(80),
        values: z.record(z.string(), z.string().max(5000)).default({}),
        review: z.enum(['opened', 'acknowledged']),
        acknowledged: z.boolean().optional(),
      }),
    )
    .max(100),
  signature: z.object({ method: z.enum(['typed', 'drawn', 'uploaded']), text: z.string().max(200).optional(), image: b64.optional() }).optional(),
  stamp: b64.optional(),
  acceptTerms: z.boolean(),
});

export const inPortalSignRoutes = new Hono<SessionEnv>()
  .use('/api/in-portal/*', requireSession)
  .get('/api/in-portal/documents', async (c) => c.json({ documents: await documentsToSign(c.var.services, userOf(c.var.session)) }))
  .get('/api/in-portal/documents/:id/document.pdf', async (c) => {
    const pdf = await documentSource(c.var.services, userOf(c.var.session), c.req.param('id'));
    c.header('Cache-Control', 'no-store');
    return c.body(new Uint8Array(pdf) as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/pdf', 'Content-Disposition': 'inline; filename="document.pdf"' });
  })
  .post('/api/in-portal/documents/:id/open', async (c) => c.json(await openInPortal(c.var.services, userOf(c.var.session), c.req.param('id'), requestMeta(c as unknown as Context<AppEnv>))))
  .post('/api/in-portal/documents/:id/decline', async (c) => {
    const { reason } = await jsonBody(c, z.object({ reason: z.string().max(4000) }));
    await declineInPortal(c.var.services, userOf(c.var.session), c.req.param('id'), reason, requestMeta(c as unknown as Context<AppEnv>));
    return c.json({ status: 'declined' });
  })
  .post('/api/in-portal/sign', async (c) => {
    const b = await jsonBody(c, ZBatch);
    return c.json(await signInPortal(c.var.services, userOf(c.var.session), b, requestMeta(c as unknown as Context<AppEnv>)));
  });
