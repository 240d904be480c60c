import { Hono, type Context } from 'hono';
import { loadBlob } from '../blobs/blobs.js';
import { compress } from 'hono/compress';
import { z } from 'zod';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { auditEvents } from '../db/schema/audit-events.js';
import type { EnvelopeLang } from '../db/schema/envelopes.js';
import { envelopes } from '../db/schema/envelopes.js';
import { fieldValues } from '../db/schema/field-values.js';
import { clientIp } from '../http/client-ip.js';
import { AppError, isAppError } from '../http/errors.js';
import { jsonBody } from '../http/json-body.js';
import type { Services } from '../services.js';
import type { AppEnv } from '../types.js';
import { brandingOf } from '../settings/store.js';
import { complete, decline, fieldsOf, inPortalUrlOf, maskEmail, markOpened, requestCode, resolveSigner, verifyCode, type RequestMeta, type SignerContext } from '../signing/flow.js';
import { fmt, pageTexts, type PageKey } from '../signing/page-texts.js';
import { verifyFinalToken } from '../signing/tokens.js';
import { buildEvidencePackage } from '../signing/evidence.js';
import { stampNeed } from '../signing/stamp-rule.js';
import { pageImage, pageImageList, PAGE_IMAGE_WIDTHS } from '../signing/page-images.js';
import { DOCUMENT_CSS, DocumentPages, type DocPage } from './sign-document.js';
import { SignatureCapture } from './signature-capture.js';
import { formatDateTime } from '../i18n/dates.js';

const LANGS: EnvelopeLang[] = ['en', 'it', 'ru'];
const LANG_NAMES: Record<EnvelopeLang, string> = { en: 'English', it: 'Italiano', ru: 'Русский' };

/** Who acts, for the audit and the certificate: the real client (X-Forwarded-For only through TRUSTED_PROXIES). */
export function requestMeta<E extends AppEnv>(c: Context<E>): RequestMeta {
  return { ip: clientIp(c) ?? null, userAgent: c.req.header('user-agent')?.slice(0, 400) ?? null };
}

const pickLang = (q: string | undefined, fallback: EnvelopeLang): EnvelopeLang => (LANGS.includes(q as EnvelopeLang) ? (q as EnvelopeLang) : fallback);

/* ---------------------------------------------------------------- page ---- */

function StatePage(props: { lang: EnvelopeLang; title: string; heading: string; text?: string; token?: string; link?: { href: string; label: string } }) {
  return (
    <Shell lang={props.lang} title={props.title} token={props.token}>
      <section class="card state" aria-labelledby="state-h">
        <h2 id="state-h">{props.heading}</h2>
        {props.text ? <p>{props.text}</p> : null}
        {props.link ? (
          <p>
            <a href={props.link.href} target="_top" rel="noopener">
              {props.link.label}
            </a>
          </p>
        ) : null}
      </section>
    </Shell>
  );
}

/** The signing page's styles; the in-portal page (in-portal-sign.tsx) uses them too. */
export const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f3f4f6}
header{background:#fff;border-bottom:1px solid #e5e7eb;padding:.6rem 1rem;display:flex;gap:.5rem;align-items:center;justify-content:space-between;flex-wrap:wrap}
header h1{font-size:1.05rem;margin:0;overflow-wrap:anywhere}nav.lang a{margin-left:.5rem;color:#1d4ed8}nav.lang a[aria-current]{font-weight:700;color:#111827;text-decoration:none}
main{max-width:52rem;margin:0 auto;padding:1rem 1rem 6rem}.card{background:#fff;border-radius:.6rem;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(0,0,0,.06)}
h2{font-size:1.1rem;margin:.2rem 0 .8rem}label{display:block;font-weight:600;margin:.6rem 0 .25rem}.hint{color:#4b5563;font-size:.9rem;font-weight:400}
input[type=text],input[type=email],input[type=date],input[type=number],textarea{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #9ca3af;border-radius:.4rem;background:#fff}
input:focus,textarea:focus,button:focus,a:focus,canvas:focus{outline:3px solid #f59e0b;outline-offset:2px}
button{font:inherit;border:0;border-radius:.45rem;padding:.7rem 1.1rem;cursor:pointer;min-height:44px}button.primary{background:#1d4ed8;color:#fff}button.secondary{background:#e5e7eb;color:#111827}button.danger{background:#fff;color:#b91c1c;border:1px solid #b91c1c}
button[disabled]{opacity:.55;cursor:not-allowed}.row{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
#pages{display:flex;flex-direction:column;gap:.75rem}.page{position:relative;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.15)}.page canvas{display:block;width:100%;height:auto}
.fbox{position:absolute;border:2px dashed #d97706;background:rgba(253,230,138,.45);border-radius:2px;cursor:pointer;font-size:10px;color:#111827;overflow:hidden;padding:0 2px;white-space:nowrap}
.fbox.filled{border-style:solid;border-color:#059669;background:rgba(167,243,208,.35)}.fbox.current{outline:3px solid #1d4ed8}
#guide{position:fixed;left:0;right:0;bottom:0;background:#111827;color:#fff;padding:.6rem 1rem;display:flex;justify-content:space-between;align-items:center;gap:.5rem;z-index:10}
#guide button{background:#fbbf24;color:#111827;font-weight:700}
.tabs{display:flex;gap:.25rem;margin-bottom:.5rem}.tabs button[aria-selected=true]{background:#1d4ed8;color:#fff}
#sig-pad{width:100%;height:180px;user-select:none;-webkit-user-select:none;border:1px solid #9ca3af;border-radius:.4rem;background:#fff;touch-action:none}
.typed{font-family:"Caveat",cursive;font-size:2.4rem;min-height:3.2rem;border-bottom:1px solid #9ca3af;padding:0 .3rem}
.msg{min-height:1.5rem;color:#065f46}.msg.err{color:#b91c1c}.state h2{font-size:1.3rem}
dialog{border:0;border-radius:.6rem;max-width:32rem;width:calc(100% - 2rem)}dialog::backdrop{background:rgba(0,0,0,.4)}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.prior{border-left:4px solid #059669}.prior h2{font-size:1rem;margin:0 0 .3rem}.prior ul{margin:0;padding-left:1.2rem}
.brand{display:flex;align-items:center;gap:.5rem;color:#4b5563;font-size:.9rem}.brand img{max-height:32px;width:auto}
.fbox .mark{display:block;width:100%;height:100%;object-fit:contain}.fbox .mark-text{font-family:"Caveat",cursive;font-size:1.4em;line-height:1;color:#0b2a6f}
`;

/** The portal's sender name, logo and offered languages (settings page, src/settings/store.ts brandingOf). */
type SigningBrand = Awaited<ReturnType<typeof brandingOf>>;

function Shell(props: { lang: EnvelopeLang; title: string; token?: string; children?: unknown; brand?: SigningBrand }) {
  const t = pageTexts(props.lang);
  const offered = props.brand?.languages ? LANGS.filter((l) => l === props.lang || props.brand!.languages!.includes(l)) : LANGS;
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <header>
          {props.brand?.logoUrl || props.brand?.senderName ? (
            <div class="brand" id="brand">
              {props.brand.logoUrl ? <img src={props.brand.logoUrl} alt="" height={32} /> : null}
              {props.brand.senderName ? <span>{props.brand.senderName}</span> : null}
            </div>
          ) : null}
          <h1>{props.title}</h1>
          <nav class="lang" aria-label={t['lang.label']}>
            {offered.map((l) => (
              <a href={`?lang=${l}`} lang={l} hreflang={l} aria-current={l === props.lang ? 'true' : undefined}>
                {LANG_NAMES[l]}
              </a>
            ))}
          </nav>
        </header>
        <main>{props.children as never}</main>
      </body>
    </html>
  );
}

/** Hono's body() wants an ArrayBuffer-backed view. */
const ab = (u: Uint8Array) => new Uint8Array(u) as Uint8Array<ArrayBuffer>;

const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

/** A moment as every page shows it (src/i18n/dates.ts): the date, hour and minute, UTC. */
const when = (d: Date, lang: EnvelopeLang) => formatDateTime(lang, d);

/**
 * Who has already signed or approved, from the audit chain's `signed`/`approved` events: name, side and
 * time only (never an address), so a later signer sees the earlier parties' part is done.
 */
async function signedBefore(services: Services, ctx: SignerContext, lang: EnvelopeLang) {
  const t = pageTexts(lang);
  const rows = await services.db
    .select({ type: auditEvents.type, recipientId: auditEvents.recipientId, at: auditEvents.at })
    .from(auditEvents)
    .where(and(eq(auditEvents.portalId, ctx.envelope.portalId), eq(auditEvents.envelopeId, ctx.envelope.id), inArray(auditEvents.type, ['signed', 'approved'])))
    .orderBy(asc(auditEvents.seq));
  return rows.flatMap((e) => {
    const who = ctx.all.find((x) => x.id === e.recipientId);
    if (!who || who.id === ctx.recipient.id) return [];
    return [fmt(t[e.type === 'approved' ? 'prior.approved' : 'prior.signed'], { name: who.name, party: t[who.party === 'company' ? 'party.company' : 'party.client'], at: when(e.at, lang) })];
  });
}

/** What the page script needs; never the OTP state, other recipients' e-mails or any hash. */
async function pageModel(services: Services, ctx: SignerContext, lang: EnvelopeLang) {
  const { envelope: env, recipient: r, all } = ctx;
  const mine = fieldsOf(env, all, r);
  const filled = await services.db
    .select()
    .from(fieldValues)
    .where(and(eq(fieldValues.portalId, env.portalId), eq(fieldValues.envelopeId, env.id)));
  return {
    /** Earlier parties' signatures, one line each (the note at the top of the page). */
    prior: await signedBefore(services, ctx, lang),
    lang,
    title: env.title,
    recipient: { name: r.name, role: r.role, party: r.party, emailMasked: r.email ? maskEmail(r.email) : '', verified: r.status === 'verified' },
    fields: mine.map((f) => ({ key: f.key, type: f.type, label: f.label ?? f.key, page: f.page, box: f.box, required: f.required, value: filled.find((v) => v.fieldKey === f.key)?.value ?? f.defaultValue ?? '' })),
    /** The same rule the server applies when the stamp arrives (src/signing/stamp-rule.ts). */
    stamp: stampNeed(r.role, mine),
    texts: pageTexts(lang),
  };
}

/** A line the page script fills with the outcome of an action, read out by screen readers. */
const Status = ({ id }: { id: string }) => <p id={id} class="msg" role="status" aria-live="polite"></p>;

/** Where this page's script and handwriting face are served (hashed names in a production build). */
interface PageAssets {
  script: string;
  caveat: string;
}

function ActivePage(props: { lang: EnvelopeLang; model: Awaited<ReturnType<typeof pageModel>>; assets: PageAssets; pages: DocPage[]; base: string; brand?: SigningBrand }) {
  const t = props.model.texts;
  const isSigner = props.model.recipient.role === 'signer';
  const dataFields = props.model.fields.filter((f) => !['signature', 'initials', 'stamp'].includes(f.type));
  return (
    <Shell lang={props.lang} title={props.model.title} brand={props.brand}>
      {/* The handwriting face loads only when a typed signature is about to show (src/signing/client/handwriting.ts). */}
      <meta name="b24-handwriting" content={props.assets.caveat} />
      <style dangerouslySetInnerHTML={{ __html: DOCUMENT_CSS }} />
      <script type="application/json" id="sign-data" dangerouslySetInnerHTML={{ __html: json(props.model) }} />
      <p class="hint">{fmt(t['doc.from'], { name: props.model.recipient.name })}</p>
      {props.model.prior.length ? (
        <section class="card prior" id="prior" aria-labelledby="prior-h">
          <h2 id="prior-h">{t['prior.heading']}</h2>
          <ul>
            {props.model.prior.map((line) => (
              <li>{line}</li>
            ))}
          </ul>
        </section>
      ) : null}
      <section class="card" aria-labelledby="doc-h">
        <h2 id="doc-h">{t['doc.heading']}</h2>
        <DocumentPages t={t} title={props.model.title} base={props.base} pages={props.pages} fields={props.model.fields} />
        <p>
          <a id="download" href="#" download>
            {t['doc.download']}
          </a>
        </p>
      </section>
      <section class="card" aria-labelledby="fields-h">
        <h2 id="fields-h">{t['fields.heading']}</h2>
        {dataFields.length === 0 ? <p>{t['fields.none']}</p> : null}
        <form id="fields-form" novalidate>
          {dataFields.map((f) => (
            <div>
              <label for={`f-${f.key}`}>
                {f.label} {f.required ? <span class="hint">({t['fields.required']})</span> : null}
              </label>
              {f.type === 'multiline' ? (
                <textarea id={`f-${f.key}`} name={f.key} data-field={f.key} rows={3} required={f.required}>
                  {f.value}
                </textarea>
              ) : f.type === 'checkbox' ? (
                <input type="checkbox" id={`f-${f.key}`} name={f.key} data-field={f.key} checked={f.value === 'true'} />
              ) : (
                <input
                  type={f.type === 'date' ? 'date' : 'text'}
                  inputmode={f.type === 'number' || f.type === 'money' ? 'decimal' : undefined}
                  id={`f-${f.key}`}
                  name={f.key}
                  data-field={f.key}
                  value={f.value}
                  required={f.required}
                />
              )}
            </div>
          ))}
        </form>
      </section>
      <section class="card" aria-labelledby="code-h">
        <h2 id="code-h">{t['code.heading']}</h2>
        <p>{fmt(t['code.explain'], { email: props.model.recipient.emailMasked })}</p>
        <div class="row">
          <button type="button" class="secondary" id="code-send">
            {t['code.send']}
          </button>
        </div>
        <label for="code-input">{t['code.label']}</label>
        <div class="row">
          <input type="text" id="code-input" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength={6} style="max-width:10rem;letter-spacing:.3em" />
          <button type="button" class="primary" id="code-verify">
            {t['code.verify']}
          </button>
        </div>
        <Status id="code-msg" />
      </section>
      <section class="card" aria-labelledby="sig-h">
        <h2 id="sig-h">{isSigner ? t['sig.heading'] : t['sig.approveHeading']}</h2>
        {isSigner ? <SignatureCapture t={t} name={props.model.recipient.name} stamp={props.model.stamp} apply={props.model.fields.some((f) => f.type === 'signature' || f.type === 'initials')} /> : null}
        <p>
          <label style="font-weight:400">
            <input type="checkbox" id="terms" /> {t['terms.label']}
          </label>
        </p>
        <div class="row">
          <button type="button" class="primary" id="submit">
            {isSigner ? t['action.sign'] : t['action.approve']}
          </button>
          <button type="button" class="danger" id="decline-open">
            {t['action.decline']}
          </button>
        </div>
        <Status id="submit-msg" />
      </section>
      <dialog id="decline-dialog" aria-labelledby="decline-h">
        <h2 id="decline-h">{t['decline.heading']}</h2>
        {/* Declining is confirmed with the e-mailed code, like signing: until then the dialog leads to it. */}
        <div id="decline-code">
          <p>{fmt(t['decline.needCode'], { email: props.model.recipient.emailMasked })}</p>
          <div class="row">
            <button type="button" class="primary" id="decline-get-code">
              {t['decline.getCode']}
            </button>
            <button type="button" class="secondary" id="decline-back">
              {t['decline.cancel']}
            </button>
          </div>
        </div>
        <div id="decline-form" hidden>
          <label for="decline-reason">{t['decline.reason']}</label>
          <textarea id="decline-reason" rows={4} required></textarea>
          <p id="decline-msg" class="msg err" role="alert"></p>
          <div class="row">
            <button type="button" class="danger" id="decline-confirm">
              {t['decline.confirm']}
            </button>
            <button type="button" class="secondary" id="decline-cancel">
              {t['decline.cancel']}
            </button>
          </div>
        </div>
      </dialog>
      <div id="guide" role="region" aria-label={t['guide.next']}>
        <span id="guide-progress" aria-live="polite"></span>
        <button type="button" id="guide-next">
          {t['guide.next']}
        </button>
      </div>
      <script type="module" src={props.assets.script}></script>
    </Shell>
  );
}

const STATE_KEYS: Record<string, [PageKey, PageKey | undefined]> = {
  completed: ['state.completed', 'state.completed.text'],
  declined: ['state.declined', 'state.declined.text'],
  voided: ['state.voided', 'state.voided.text'],
  expired: ['state.expired', 'state.expired.text'],
  revoked: ['state.revoked', 'state.revoked.text'],
  link_expired: ['state.link_expired', 'state.link_expired.text'],
  not_your_turn: ['state.not_your_turn', 'state.not_your_turn.text'],
  done: ['state.done', 'done.next'],
};

/* ---------------------------------------------------------------- routes ---- */

const ZVerify = z.object({ code: z.string().max(20) });
const ZDecline = z.object({ reason: z.string().max(4000) });
const b64 = z
  .string()
  .max(3_000_000)
  .transform((s) => new Uint8Array(Buffer.from(s.replace(/^data:[^,]*,/, ''), 'base64')));
const ZSign = z.object({
  values: z.record(z.string(), z.string().max(5000)).default({}),
  signature: z
    .object({ method: z.enum(['typed', 'drawn', 'uploaded']), text: z.string().max(200).optional(), image: b64.optional() })
    .optional(),
  stamp: b64.optional(),
  acceptTerms: z.boolean(),
});

/** The page loads only our own script, pdf.js and font; the token in its URL never leaves through a referrer. */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const noStore = (c: Context) => {
  c.header('Content-Security-Policy', PAGE_CSP);
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Robots-Tag', 'noindex');
};

export const signRoutes = new Hono<AppEnv>()
  /** The permanent link to the sealed PDF every party receives. */
  .get('/s/final/:token', async (c) => {
    const { services } = c.var;
    const claims = await verifyFinalToken(services.config.sessionSecret, c.req.param('token'));
    const [env] = await services.db
      .select({ key: envelopes.sealedPdfKey, publicId: envelopes.publicId })
      .from(envelopes)
      .where(and(eq(envelopes.portalId, claims.portalId), eq(envelopes.id, claims.envelopeId), eq(envelopes.status, 'completed')));
    if (!env?.key) throw new AppError('NOT_FOUND', 'The signed document is not ready yet.');
    const pdf = await loadBlob(services, { portalId: claims.portalId, key: env.key });
    noStore(c);
    return c.body(ab(pdf), 200, { 'Content-Type': 'application/pdf', 'Content-Disposition': `inline; filename="${env.publicId}.pdf"` });
  })
  /** The evidence package of that document, on the same permanent link's authority. */
  .get('/s/final/:token/evidence.zip', async (c) => {
    const { services } = c.var;
    const claims = await verifyFinalToken(services.config.sessionSecret, c.req.param('token'));
    const { filename, zip } = await buildEvidencePackage(services, { portalId: claims.portalId, envelopeId: claims.envelopeId });
    noStore(c);
    return c.body(ab(zip), 200, { 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="${filename}"` });
  })
  // The page is ~19 KB of HTML (texts and the page model inline), ~5 KB gzipped: one round trip less on a slow
  // phone. It reflects nothing a third party chooses (only ?lang= from a fixed list), so compression leaks nothing.
  .get('/s/:token', compress(), async (c) => {
    const { services } = c.var;
    noStore(c);
    let ctx: SignerContext;
    try {
      ctx = await resolveSigner(services, c.req.param('token'));
    } catch (e) {
      if (!isAppError(e)) throw e;
      const lang = pickLang(c.req.query('lang'), 'en');
      const t = pageTexts(lang);
      return c.html(<StatePage lang={lang} title="b24-sign" heading={t['state.invalid']} text={t['state.invalid.text']} />, 404);
    }
    const lang = pickLang(c.req.query('lang'), ctx.envelope.lang);
    const t = pageTexts(lang);
    if (ctx.state !== 'active') {
      const key = ctx.state === 'ended' ? ctx.envelope.status : ctx.state;
      const [h, txt] = STATE_KEYS[key] ?? ['state.invalid', undefined];
      // An ended envelope tells only its outcome: a stolen link must not reveal the document.
      return c.html(<StatePage lang={lang} title={ctx.envelope.title} heading={t[h]} text={txt ? t[txt] : undefined} />);
    }
    if (!ctx.recipient.email) {
      // An employee without an e-mail cannot get a code: they sign inside Bitrix24.
      const href = await inPortalUrlOf(services, ctx.envelope);
      return c.html(<StatePage lang={lang} title={ctx.envelope.title} heading={t['inPortal.heading']} text={t['inPortal.text']} link={href ? { href, label: t['inPortal.open'] } : undefined} />);
    }
    const assets = { script: services.assets.url('sign/app.js'), caveat: services.assets.url('sign/caveat.ttf') };
    const pages = await pageImageList(services.db, ctx.claims.portalId, ctx.claims.envelopeId);
    const base = `/api/sign/${encodeURIComponent(c.req.param('token'))}`;
    const brand = await brandingOf(services.db, ctx.claims.portalId, '');
    return c.html(<ActivePage lang={lang} model={await pageModel(services, ctx, lang)} assets={assets} pages={pages} base={base} brand={brand} />);
  })
  .get('/api/sign/:token', async (c) => {
    const { services } = c.var;
    noStore(c);
    const ctx = await resolveSigner(services, c.req.param('token'));
    const lang = pickLang(c.req.query('lang'), ctx.envelope.lang);
    if (ctx.state !== 'active') return c.json({ state: ctx.state, envelopeStatus: ctx.envelope.status, title: ctx.envelope.title, lang });
    const m = await pageModel(services, ctx, lang);
    return c.json({ state: ctx.state, envelopeStatus: ctx.envelope.status, title: m.title, lang, recipient: m.recipient, fields: m.fields });
  })
  .get('/api/sign/:token/document.pdf', async (c) => {
    const { services } = c.var;
    const ctx = await resolveSigner(services, c.req.param('token'));
    if (ctx.state !== 'active' && ctx.state !== 'done') throw new AppError('GONE', 'This link no longer opens the document.', { state: ctx.state });
    if (!ctx.envelope.sourcePdfKey) throw new AppError('NOT_FOUND', 'No document.');
    const pdf = await loadBlob(services, { portalId: ctx.claims.portalId, key: ctx.envelope.sourcePdfKey });
    noStore(c);
    return c.body(ab(pdf), 200, { 'Content-Type': 'application/pdf', 'Content-Disposition': 'inline; filename="document.pdf"' });
  })
  /** One page of the document as an image (made when the envelope was sent), for the signing page. */
  .get('/api/sign/:token/pages/:n{[0-9]{1,4}}/:px{[0-9]{1,5}}', async (c) => {
    const { services } = c.var;
    const px = Number(c.req.param('px'));
    if (!(PAGE_IMAGE_WIDTHS as readonly number[]).includes(px)) throw new AppError('NOT_FOUND', 'No such page image.');
    const ctx = await resolveSigner(services, c.req.param('token'));
    if (ctx.state !== 'active' && ctx.state !== 'done') throw new AppError('GONE', 'This link no longer opens the document.', { state: ctx.state });
    const img = await pageImage(services, ctx.claims.portalId, ctx.claims.envelopeId, Number(c.req.param('n')) - 1, px);
    if (!img) throw new AppError('NOT_FOUND', 'No such page image.');
    noStore(c);
    return c.body(ab(img.image), 200, { 'Content-Type': img.type });
  })
  .post('/api/sign/:token/open', async (c) => {
    const ctx = await markOpened(c.var.services, c.req.param('token'), requestMeta(c));
    return c.json({ status: ctx.recipient.status });
  })
  .post('/api/sign/:token/code', async (c) => {
    return c.json(await requestCode(c.var.services, c.req.param('token'), requestMeta(c)));
  })
  .post('/api/sign/:token/verify', async (c) => {
    const { code } = await jsonBody(c, ZVerify);
    return c.json(await verifyCode(c.var.services, c.req.param('token'), code, requestMeta(c)));
  })
  .post('/api/sign/:token/sign', async (c) => {
    const b = await jsonBody(c, ZSign);
    const actionToken = c.req.header('x-sign-action') ?? '';
    const out = await complete(c.var.services, c.req.param('token'), { actionToken, values: b.values, signature: b.signature, stamp: b.stamp, acceptTerms: b.acceptTerms }, requestMeta(c));
    return c.json(out);
  })
  .post('/api/sign/:token/decline', async (c) => {
    const { reason } = await jsonBody(c, ZDecline);
    // Declining ends the envelope for everyone: confirmed with the one-time code, like signing.
    const actionToken = c.req.header('x-sign-action') ?? '';
    await decline(c.var.services, c.req.param('token'), { actionToken, reason }, requestMeta(c));
    return c.json({ status: 'declined' });
  });
