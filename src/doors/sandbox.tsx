/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { LANGS, pickLang, type Lang } from '../i18n/index.js';
import { portalFrame } from '../sandbox/bx24.js';
import { SANDBOX } from '../sandbox/config.js';
import { asReceived, dealTimeline, findSandboxMessage, sandboxMessages, sandboxPortal, stageOf, tourState, userName } from '../sandbox/data.js';
import type { SandboxHandle } from '../sandbox/handle.js';
import { AppFramePage, StartErrorPage } from '../sandbox/pages/app.js';
import { DealPage, dealVersion, type AppButton } from '../sandbox/pages/deal.js';
import type { FramePost } from '../sandbox/pages/frame.js';
import { HomePage } from '../sandbox/pages/home.js';
import { MailPage } from '../sandbox/pages/mail.js';
import { sandboxTexts } from '../sandbox/texts.js';
import type { AppEnv } from '../types.js';

/**
 * /sandbox: an emulated Bitrix24 portal for trying the app without an account (dev only; src/app.ts
 * mounts it only when the Node entry started the sandbox). The pages play the portal: they list its
 * CRM data, frame the app's placements as Bitrix24 does, move deals (firing the robot through the
 * app's real handler), show the timeline the app wrote and every message the app sent.
 */
const LANG_COOKIE = 'b24sbx_lang';
const DEAL_TAB = 'CRM_DEAL_DETAIL_TAB';
const DEAL_SLIDERS = ['CRM_DEAL_DETAIL_TOOLBAR', 'CRM_DEAL_DOCUMENTGENERATOR_BUTTON'];

function langOf(c: Context<AppEnv>): Lang {
  const q = c.req.query('lang');
  if (q && (LANGS as readonly string[]).includes(q)) return q as Lang;
  const k = getCookie(c, LANG_COOKIE);
  if (k && (LANGS as readonly string[]).includes(k)) return k as Lang;
  return pickLang(c.req.header('accept-language'));
}

/** Only our own relative paths; anything else goes home. */
const safeBack = (v: string | undefined) => (v && v.startsWith('/') && !v.startsWith('//') && !v.includes('\\') ? v : '/sandbox');
const here = (c: Context<AppEnv>) => {
  const u = new URL(c.req.url);
  return `${u.pathname}${u.search}`;
};

export function sandboxRoutes(h: SandboxHandle) {
  const app = new Hono<AppEnv>();

  // The sandbox portal's origin is PUBLIC_URL's: framed pages allow exactly that origin as their
  // ancestor, so the sandbox must be browsed there (127.0.0.1 vs localhost would break the frames).
  app.use('/sandbox', sameOrigin);
  app.use('/sandbox/*', sameOrigin);
  async function sameOrigin(c: Context<AppEnv>, next: () => Promise<void>) {
    const u = new URL(c.req.url);
    // Only once started: a sandbox that failed to start explains why wherever it is asked.
    if (h.portalId && c.req.method === 'GET' && u.origin !== h.origin) return c.redirect(`${h.origin}${u.pathname}${u.search}`, 302);
    c.header('Cache-Control', 'no-store');
    await next();
  }

  function ready(c: Context<AppEnv>): { portalId: string } | Response {
    if (h.portalId) return { portalId: h.portalId };
    const lang = langOf(c);
    return c.html(`<!doctype html>${<StartErrorPage lang={lang} t={sandboxTexts(lang)} error={h.startError ?? 'starting…'} back={here(c)} />}`, 503);
  }

  function framePost(placement: string, options: Record<string, unknown>, lang: Lang, nonce: string, path: string): FramePost {
    const f = h.emulator.control.placementFrame({ memberId: h.memberId, placement, options, lang });
    // The sandbox page is the portal page that frames the app: the SDK inside posts to its origin.
    const frame = portalFrame({ parentOrigin: h.origin, handler: f.handler, query: f.query, body: f.body, portal: sandboxPortal(h), isAdmin: true, install: false, path });
    return { ...frame, nonce };
  }

  function bindings(codes: string[], lang: Lang): AppButton[] {
    const p = sandboxPortal(h);
    return p.placements
      .filter((b) => b.clientId === SANDBOX.clientId && codes.includes(b.placement))
      .sort((a, b) => codes.indexOf(a.placement) - codes.indexOf(b.placement))
      .map((b) => ({ code: b.placement, title: b.langAll[lang]?.TITLE ?? b.title }));
  }

  app.get('/sandbox/lang', (c) => {
    const lang = pickLang(c.req.query('lang'));
    setCookie(c, LANG_COOKIE, lang, { path: '/sandbox', sameSite: 'Lax', maxAge: 365 * 86400 });
    return c.redirect(safeBack(c.req.query('back')), 303);
  });

  app.get('/sandbox', async (c) => {
    const r = ready(c);
    if (r instanceof Response) return r;
    const lang = langOf(c);
    const tour = await tourState(c.var.services.db, r.portalId);
    return c.html(`<!doctype html>${<HomePage lang={lang} t={sandboxTexts(lang)} portal={sandboxPortal(h)} tour={tour} tourDealId={h.tourDealId} back={here(c)} />}`);
  });

  app.get('/sandbox/deal/:id{[0-9]+}', async (c) => {
    const r = ready(c);
    if (r instanceof Response) return r;
    const lang = langOf(c);
    const t = sandboxTexts(lang);
    const p = sandboxPortal(h);
    const id = c.req.param('id');
    const deal = p.deals.get(id);
    if (!deal) return c.html(`<!doctype html>${<StartErrorPage lang={lang} t={t} error={t('deal.notFound')} back={here(c)} />}`, 404);
    const tabs = bindings([DEAL_TAB], lang);
    const toolbar = bindings(DEAL_SLIDERS, lang);
    const tab = tabs.some((b) => b.code === c.req.query('tab')) ? c.req.query('tab')! : 'general';
    const slider = toolbar.find((b) => b.code === c.req.query('slider'));
    let frame: { post: FramePost; title: string; in: 'tab' | 'slider' } | undefined;
    if (slider) {
      const options = slider.code.endsWith('DOCUMENTGENERATOR_BUTTON') ? { ENTITY_ID: id, URI: `/crm/deal/details/${id}/` } : { ID: id };
      frame = { post: framePost(slider.code, options, lang, c.var.cspNonce, `/crm/deal/details/${id}/`), title: slider.title, in: 'slider' };
    } else if (tab !== 'general') {
      frame = { post: framePost(tab, { ID: id }, lang, c.var.cspNonce, `/crm/deal/details/${id}/`), title: tabs.find((b) => b.code === tab)!.title, in: 'tab' };
    }
    const flash: string[] = [];
    const moved = c.req.query('moved');
    if (moved) flash.push(t('deal.moved', { stage: stageOf(p, moved)?.name ?? moved }));
    // How Bitrix24's call to the app went, in words: the status code itself stays in the server log.
    const robot = c.req.query('robot');
    const robotName = stageOf(p, moved ?? '', lang)?.robot ?? 'robot';
    if (robot === 'accepted') flash.push(t('deal.robotAccepted', { name: robotName }));
    else if (robot === 'refused') flash.push(t('deal.robotRefused', { name: robotName }));
    else if (robot === 'unreachable') flash.push(t('deal.robotUnreachable', { name: robotName }));
    return c.html(
      `<!doctype html>${(
        <DealPage lang={lang} t={t} portal={p} deal={deal} tabs={tabs} toolbar={toolbar} tab={slider ? 'general' : tab} frame={frame} flash={flash} timeline={dealTimeline(p, Number(id))} back={here(c)} nonce={c.var.cspNonce} />
      )}`,
    );
  });

  // The deal page's live script: a fingerprint of what the app changes in the background.
  app.get('/sandbox/deal/:id{[0-9]+}/live', (c) => {
    if (!h.portalId) return c.json({ version: '' }, 503);
    const p = sandboxPortal(h);
    const deal = p.deals.get(c.req.param('id'));
    if (!deal) return c.json({ version: '' }, 404);
    return c.json({ version: dealVersion(p, deal, dealTimeline(p, Number(c.req.param('id')))) });
  });

  // Dragging the deal along the stage bar: robots on the new stage POST to the app's real handler.
  app.post('/sandbox/deal/:id{[0-9]+}/stage', async (c) => {
    const r = ready(c);
    if (r instanceof Response) return r;
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    const stage = String(form.stage ?? '');
    const p = sandboxPortal(h);
    if (!p.deals.has(id) || !stageOf(p, stage)) return c.redirect(`/sandbox/deal/${id}`, 303);
    const move = await h.emulator.control.moveDeal({ memberId: h.memberId, dealId: id, stageId: stage });
    const fired = move.robots[0]?.delivery;
    const outcome = !fired ? null : fired.error || !fired.status ? 'unreachable' : fired.status >= 200 && fired.status < 300 ? 'accepted' : 'refused';
    const q = new URLSearchParams({ moved: stage, ...(outcome ? { robot: outcome } : {}) });
    return c.redirect(`/sandbox/deal/${id}?${q}`, 303);
  });

  app.get('/sandbox/mail', async (c) => {
    const r = ready(c);
    if (r instanceof Response) return r;
    const lang = langOf(c);
    const { db } = c.var.services;
    const list = (await sandboxMessages(db, r.portalId)).map((x) => asReceived(h, x));
    const m = c.req.query('m');
    const found = m ? await findSandboxMessage(db, r.portalId, m) : list[0];
    const selected = found && asReceived(h, found);
    const p = sandboxPortal(h);
    const names = new Map(p.users.map((u) => [String(u.ID), userName(p, u.ID)]));
    return c.html(`<!doctype html>${<MailPage lang={lang} t={sandboxTexts(lang)} messages={list} selected={selected} userNames={names} back={here(c)} nonce={c.var.cspNonce} />}`);
  });

  app.get('/sandbox/mail/count', async (c) => {
    if (!h.portalId) return c.json({ count: 0 });
    return c.json({ count: (await sandboxMessages(c.var.services.db, h.portalId)).length });
  });

  // The app on its own: the app page (DEFAULT) or a REST_APP_URI deep link with its params.
  app.get('/sandbox/app', (c) => {
    const r = ready(c);
    if (r instanceof Response) return r;
    const lang = langOf(c);
    const t = sandboxTexts(lang);
    const deep = c.req.query('placement') === 'REST_APP_URI';
    const params: Record<string, string> = {};
    if (deep) for (const [k, v] of Object.entries(c.req.query())) if (k !== 'placement' && k !== 'lang') params[k] = v;
    const post = framePost(deep ? 'REST_APP_URI' : 'DEFAULT', deep ? params : { any: '28/' }, lang, c.var.cspNonce, `/marketplace/app/${SANDBOX.clientId}/`);
    return c.html(`<!doctype html>${<AppFramePage lang={lang} t={t} title={deep ? 'b24-sign' : t('nav.app')} post={post} back={here(c)} />}`);
  });

  // The SDK's slider.openPath and timeline buttons name portal paths; open the sandbox's page for them.
  app.get('/sandbox/go', (c) => {
    const path = c.req.query('path') ?? '';
    let u: URL;
    try {
      u = new URL(path, 'https://portal.invalid');
    } catch {
      return c.redirect('/sandbox', 303);
    }
    const deal = /^\/crm\/deal\/details\/(\d+)\/?$/.exec(u.pathname);
    if (deal) return c.redirect(`/sandbox/deal/${deal[1]}`, 303);
    if (/^\/marketplace\/view\/[^/]+\/?$/.test(u.pathname)) {
      const q = new URLSearchParams({ placement: 'REST_APP_URI' });
      for (const [k, v] of u.searchParams) {
        const m = /^params\[([^\]]+)\]$/.exec(k);
        if (m) q.set(m[1]!, v);
      }
      return c.redirect(`/sandbox/app?${q}`, 303);
    }
    const crm = /^\/crm\/(lead|contact|company)\//.exec(u.pathname);
    if (crm) return c.redirect(`/sandbox#${crm[1] === 'lead' ? 'leads' : 'contacts'}`, 303);
    return c.redirect('/sandbox', 303);
  });

  return app;
}
