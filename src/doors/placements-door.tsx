/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { catalogFor, format, pickLang } from '../i18n/index.js';
import { issueFrameSession, verifyFramePost } from '../http/b24-auth.js';
import { ZFramePost, zPlacementCode, type PlacementOptions } from '../http/b24-payloads.js';
import { AppError } from '../http/errors.js';
import { parseForm, readBitrixForm } from '../http/form.js';
import { portalOrigin, setFrameHeaders } from '../http/frame-headers.js';
import type { Session } from '../http/session.js';
import type { AppEnv } from '../types.js';
import { describePlacement, parsePlacementOptions } from '../card/context.js';
import { canReadItem } from '../documents/crm-data.js';
import { crmClientFor } from '../http/crm-client.js';
import { FramePage, jsonForScript } from './frame-page.js';
import { frameProblemHandler } from './frame-problem.js';
import { INSTALL_MESSAGES } from './install-texts.js';

/** What a verified placement POST hands to the page renderer. Bitrix24 tokens never reach the page. */
export interface PlacementContext {
  session: Session;
  /** Our signed session token; the page's scripts send it as `Authorization: Bearer …`. */
  token: string;
  placement: string;
  /** PLACEMENT_OPTIONS as sent (parsed JSON object; `{}` when absent or "undefined"). */
  options: Record<string, unknown>;
  parsedOptions: PlacementOptions;
  /** The portal's STORED domain, never the DOMAIN query parameter. */
  portalDomain: string;
}

export type PlacementRenderer = (c: Context<AppEnv>, ctx: PlacementContext) => Response | Promise<Response>;

/**
 * Until the CRM card UI arrives, every placement opens this starting page: it proves the chain
 * (verified POST → session → JSON API with the session) and says plainly that the signing
 * screens come later.
 */
export const renderStartPage: PlacementRenderer = (c, ctx) => {
  const lang = ctx.session.lang;
  const t = catalogFor(INSTALL_MESSAGES, lang);
  const page = (
    <FramePage lang={lang} title={t.startTitle} script={c.var.services.assets.url('placements/app.js')}>
      <h1>{t.startTitle}</h1>
      <div class="panel">
        <p>{format(t.startBody, { placement: ctx.placement })}</p>
        {ctx.parsedOptions.entityId ? (
          <p>
            {t.crmItem}: <code>{ctx.parsedOptions.entityId}</code>
          </p>
        ) : null}
        <p>{format(t.signedInAs, { id: ctx.session.userId, admin: ctx.session.isAdmin ? t.adminSuffix : '' })}</p>
        <p id="session" role="status" class="muted">{t.sessionChecking}</p>
      </div>
      <script
        nonce={c.var.cspNonce}
        dangerouslySetInnerHTML={{
          __html: `(function(){var boot=${jsonForScript({ token: ctx.token, ok: t.sessionOk, bad: t.sessionBad })};
var el=document.getElementById('session');
fetch('/api/session',{headers:{authorization:'Bearer '+boot.token}}).then(function(r){return r.json().then(function(j){
if(r.ok){el.className='ok';el.textContent=boot.ok.replace('{domain}',j.portal.domain).replace('{expires}',new Date(j.expiresAt).toLocaleTimeString());}
else{el.className='bad';el.textContent=boot.bad.replace('{code}',(j.error&&j.error.code)||r.status);}});})
.catch(function(e){el.className='bad';el.textContent=boot.bad.replace('{code}',String(e));});})();`,
        }}
      />
    </FramePage>
  );
  return c.html(`<!doctype html>${page}`);
};

/**
 * POST /b24/placements/:name — every placement handler URL in the manifest. Verifies the frame
 * POST, issues the session, then lets the renderer draw the page. The route is stable; the
 * renderer is what later issues replace.
 */
export function placementRoutes(render: PlacementRenderer = renderStartPage) {
  const r = new Hono<AppEnv>();
  r.onError(frameProblemHandler);
  r.post('/b24/placements/:name', async (c) => {
    const name = zPlacementCode.safeParse(c.req.param('name'));
    if (!name.success) throw new AppError('NOT_FOUND', 'Unknown placement.');
    const { services } = c.var;
    const { body, query } = await readBitrixForm(c);
    const frame = parseForm(ZFramePost, { ...query, ...body });
    const { portal, user } = await verifyFramePost(services, frame);
    // Each placement is bound to its own URL, so the path names it; DEFAULT means "not said".
    const placement = frame.PLACEMENT !== 'DEFAULT' ? frame.PLACEMENT : name.data;
    const { token, session } = await issueFrameSession(services, { portalId: portal.id, user, placement, lang: pickLang(frame.LANG), frame });
    // The item comes from PLACEMENT_OPTIONS, which the user's own browser posts: before the page lists
    // anything about it, Bitrix24 must show that item to this user (their token, their CRM rights).
    const { entity } = describePlacement(placement, parsePlacementOptions(frame.PLACEMENT_OPTIONS.raw));
    if (entity && !(await canReadItem(crmClientFor(services, session), entity))) {
      throw new AppError('NOT_FOUND', 'No such CRM item, or you may not see it in Bitrix24.');
    }
    setFrameHeaders(c, portalOrigin(portal.clientEndpoint));
    return render(c, { session, token, placement, options: frame.PLACEMENT_OPTIONS.raw, parsedOptions: frame.PLACEMENT_OPTIONS, portalDomain: portal.domain });
  });
  return r;
}
