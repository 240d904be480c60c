/**
 * The portal's side of the frame protocol, for the sandbox's pages and the browser tests' host page
 * (test/e2e/helpers/frame-host.ts): the page that frames a placement answers the messages Bitrix24's
 * own SDK (@bitrix24/b24jssdk, in the placement pages' bundles) posts to its parent, exactly as that
 * SDK's source builds and reads them:
 * - the frame's name is `DOMAIN|PROTOCOL|APP_SID`; the SDK reads it (packages/jssdk/src/loader-b24frame.ts,
 *   parseFrameQueryParams) and from it alone knows the portal's origin, `http(s)://DOMAIN`, the only
 *   origin it posts to and accepts answers from (packages/jssdk/src/frame/frame.ts, getTargetOrigin);
 * - a call is the string `command:params:callback:appSid` (params JSON, left out when empty), or an
 *   object `{ method, params, callback, appSid, requestId }` for `module:command` names; the answer is
 *   the string `callback:resultJSON` (packages/jssdk/src/frame/message/controller.ts, send and _runCallback);
 * - getInitData answers the MessageInitData fields (packages/jssdk/src/types/auth.ts), refreshAuth
 *   the RefreshAuthData ones; fitWindow arrives as resizeWindow with width '100%'
 *   (packages/jssdk/src/frame/parent.ts); openPath carries a width-chosen prefix and IFRAME=Y
 *   (packages/jssdk/src/frame/slider.ts); selectUser sends `{mult}` and expects one SelectedUser (or a
 *   list), selectCRM sends `{entityType, multiple, value}` and gets buckets keyed by index
 *   (packages/jssdk/src/frame/dialog.ts); installFinish is setInstallFinish (packages/jssdk/src/frame/b24.ts).
 * Every call is recorded in the host page's `window.__bx24` as `{ cmd, params }`.
 */
import type { Portal, Row } from '../emulator/types.js';

/** What the portal hands the SDK on getInitData (packages/jssdk/src/types/auth.ts, MessageInitData). */
export interface FrameInitData {
  DOMAIN: string;
  PROTOCOL: '0' | '1';
  APP_SID: string;
  PATH: string;
  LANG: string;
  AUTH_ID: string;
  REFRESH_ID: string;
  AUTH_EXPIRES: string;
  MEMBER_ID: string;
  IS_ADMIN: boolean;
  APP_OPTIONS: Record<string, unknown>;
  USER_OPTIONS: Record<string, unknown>;
  PLACEMENT: string;
  PLACEMENT_OPTIONS: Record<string, unknown>;
  INSTALL: boolean;
  FIRST_RUN: boolean;
}

/** An employee as Bitrix24's user picker returns it (packages/jssdk/src/frame/dialog.ts, SelectedUser). */
export interface PickerUser {
  id: string;
  name: string;
  photo: string;
  position: string;
  url: string;
  sub: boolean;
  sup: boolean;
}

/** A CRM record as Bitrix24's CRM picker returns it (packages/jssdk/src/frame/dialog.ts, SelectedCRMEntity). */
export interface PickerCrm {
  id: string;
  type: 'lead' | 'contact' | 'company' | 'deal';
  place: string;
  title: string;
  desc: string;
  url: string;
  image?: string;
}

export interface PortalPickers {
  users: PickerUser[];
  crm: Record<PickerCrm['type'], PickerCrm[]>;
}

/** A placement as the portal frames it: the form it POSTs into the named iframe, and what it answers. */
export interface PortalFrame {
  /** The iframe's (and the form's target's) name: `DOMAIN|PROTOCOL|APP_SID` of the framing page. */
  name: string;
  /** Handler URL with the query Bitrix24 adds (DOMAIN, PROTOCOL, LANG, APP_SID). */
  action: string;
  fields: Record<string, string>;
  init: FrameInitData;
  pickers: PortalPickers;
}

/**
 * Builds the frame from the emulator's frame POST (src/emulator/payloads.ts framePayload).
 * `parentOrigin` is where the framing page lives: the SDK posts there. In the sandbox that is our own
 * origin, not the emulated portal's DOMAIN, so DOMAIN stays the portal's name the app saw in the POST.
 */
export function portalFrame(o: {
  parentOrigin: string;
  handler: string;
  query: Record<string, string>;
  body: Record<string, string>;
  portal: Portal;
  isAdmin: boolean;
  /** The app is between a wizard install and installFinish (init data INSTALL). */
  install: boolean;
  /** The portal page's path (init data PATH). */
  path: string;
}): PortalFrame {
  const parent = new URL(o.parentOrigin);
  const protocol = parent.protocol === 'https:' ? '1' : '0';
  const appSid = o.query.APP_SID ?? '';
  const action = new URL(o.handler);
  for (const [k, v] of Object.entries(o.query)) action.searchParams.set(k, v);
  return {
    name: `${parent.host}|${protocol}|${appSid}`,
    action: action.toString(),
    fields: o.body,
    init: {
      DOMAIN: o.query.DOMAIN ?? parent.host,
      PROTOCOL: protocol,
      APP_SID: appSid,
      PATH: o.path,
      LANG: o.query.LANG ?? 'en',
      AUTH_ID: o.body.AUTH_ID ?? '',
      REFRESH_ID: o.body.REFRESH_ID ?? '',
      AUTH_EXPIRES: o.body.AUTH_EXPIRES ?? '3600',
      MEMBER_ID: o.body.member_id ?? '',
      IS_ADMIN: o.isAdmin,
      APP_OPTIONS: {},
      USER_OPTIONS: {},
      PLACEMENT: o.body.PLACEMENT ?? 'DEFAULT',
      PLACEMENT_OPTIONS: placementOptions(o.body.PLACEMENT_OPTIONS),
      INSTALL: o.install,
      FIRST_RUN: false,
    },
    pickers: portalPickers(o.portal),
  };
}

function placementOptions(raw: string | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw ?? '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const fullName = (r: Row) => [r.NAME, r.LAST_NAME].map(text).filter(Boolean).join(' ');
const firstValue = (v: unknown) => (Array.isArray(v) && v[0] ? text((v[0] as Row).VALUE) : '');

/** The portal's people and CRM records, as its pickers list them: every active employee, not a page. */
export function portalPickers(p: Portal): PortalPickers {
  const crm = (type: PickerCrm['type'], prefix: string, rows: Iterable<Row>, title: (r: Row) => string, desc: (r: Row) => string): PickerCrm[] =>
    [...rows].map((r) => ({ id: `${prefix}_${text(r.ID)}`, type, place: type, title: title(r), desc: desc(r), url: `/crm/${type}/details/${text(r.ID)}/`, ...(type === 'contact' || type === 'company' ? { image: '' } : {}) }));
  return {
    users: p.users
      .filter((u) => u.ACTIVE !== false && u.ACTIVE !== 'N')
      .map((u) => ({ id: text(u.ID), name: fullName(u), photo: text(u.PERSONAL_PHOTO), position: text(u.WORK_POSITION), url: `/company/personal/user/${text(u.ID)}/`, sub: false, sup: false })),
    crm: {
      contact: crm('contact', 'C', p.contacts.values(), fullName, (r) => firstValue(r.EMAIL)),
      company: crm('company', 'CO', p.companies.values(), (r) => text(r.TITLE), (r) => firstValue(r.EMAIL)),
      deal: crm('deal', 'D', p.deals.values(), (r) => text(r.TITLE), () => ''),
      lead: crm('lead', 'L', p.leads.values(), (r) => text(r.TITLE), () => ''),
    },
  };
}

/**
 * The framing page's script: names the iframe, answers the SDK's calls and submits the placement
 * form. `go` is the URL prefix a portal path is opened with (the sandbox's /sandbox/go?path=); without
 * it openPath/openApplication are only recorded, as a slider that stays open.
 */
export function hostScript(frame: PortalFrame, opts: { go?: string; appUrl?: string } = {}): string {
  const cfg = { init: frame.init, pickers: frame.pickers, appOrigin: new URL(frame.action).origin, go: opts.go ?? null, appUrl: opts.appUrl ?? null };
  return `(function(cfg){
  var calls = window.__bx24 = [];
  var init = cfg.init, frame = document.getElementById('b24frame');
  function parse(data){
    if (data && typeof data === 'object' && typeof data.method === 'string') return { cmd: data.method, params: data.params || {}, callback: String(data.callback || ''), appSid: data.appSid };
    if (typeof data !== 'string') return null;
    var i = data.indexOf(':'); if (i < 0) return null;
    var cmd = data.slice(0, i), rest = data.slice(i + 1);
    var j = rest.lastIndexOf(':'); if (j < 0) return null;
    var appSid = rest.slice(j + 1); rest = rest.slice(0, j);
    var k = rest.lastIndexOf(':'), callback = rest.slice(k + 1), raw = k < 0 ? '' : rest.slice(0, k), params = {};
    if (raw) { try { params = JSON.parse(raw); } catch (e) { params = { value: raw }; } }
    return { cmd: cmd, params: params, callback: callback, appSid: appSid };
  }
  function answer(m, result){
    frame.contentWindow.postMessage(result === undefined ? m.callback : m.callback + ':' + JSON.stringify(result), cfg.appOrigin);
  }
  function picker(title, items, done){
    var d = document.createElement('dialog');
    d.setAttribute('data-b24-picker', title);
    d.setAttribute('aria-label', title);
    d.style.cssText = 'min-width:320px;max-width:520px;padding:14px 16px;border:1px solid #c6cdd3;border-radius:10px';
    var head = document.createElement('strong'); head.textContent = title; d.appendChild(head);
    var find = document.createElement('input'); find.type = 'search'; find.setAttribute('aria-label', 'Search');
    find.style.cssText = 'display:block;width:100%;margin:8px 0;box-sizing:border-box'; d.appendChild(find);
    var list = document.createElement('ul'); list.style.cssText = 'list-style:none;margin:0;padding:0;max-height:50vh;overflow:auto'; d.appendChild(list);
    var settled = false;
    function finish(v){ if (settled) return; settled = true; if (d.open) d.close(); d.remove(); done(v); }
    items.forEach(function(it){
      var li = document.createElement('li'), b = document.createElement('button');
      b.type = 'button'; b.setAttribute('data-pick', it.key); b.textContent = it.label;
      b.style.cssText = 'display:block;width:100%;text-align:left;margin:2px 0';
      b.addEventListener('click', function(){ finish(it.value); });
      li.appendChild(b); list.appendChild(li);
    });
    find.addEventListener('input', function(){
      var q = find.value.toLowerCase();
      [].forEach.call(list.children, function(li){ li.hidden = q !== '' && li.textContent.toLowerCase().indexOf(q) < 0; });
    });
    var cancel = document.createElement('button'); cancel.type = 'button'; cancel.setAttribute('data-pick-cancel', ''); cancel.textContent = '✕';
    cancel.style.cssText = 'margin-top:8px'; cancel.addEventListener('click', function(){ finish(null); }); d.appendChild(cancel);
    d.addEventListener('cancel', function(){ finish(null); });
    document.body.appendChild(d); d.showModal(); find.focus();
  }
  var handlers = {
    getInitData: function(){ return init; },
    refreshAuth: function(){ return { AUTH_ID: init.AUTH_ID, REFRESH_ID: init.REFRESH_ID, AUTH_EXPIRES: init.AUTH_EXPIRES }; },
    resizeWindow: function(p){
      var h = Number(p.height);
      if (h > 0) frame.style.height = Math.max(120, Math.ceil(h)) + 'px';
      if (typeof p.width === 'number' && p.width > 0) frame.style.width = Math.ceil(p.width) + 'px';
    },
    setTitle: function(p){ var t = document.querySelector('h1'); if (t && p.title) t.textContent = String(p.title); },
    setScroll: function(p){ window.scrollTo(0, frame.getBoundingClientRect().top + window.scrollY + (Number(p.scroll) || 0)); },
    reloadWindow: function(){ location.reload(); },
    setInstall: function(){},
    setInstallFinish: function(){},
    setAppOption: function(p){ init.APP_OPTIONS[p.name] = p.value; },
    setUserOption: function(p){ init.USER_OPTIONS[p.name] = p.value; },
    getInterface: function(){ return { command: [], event: [] }; },
    openPath: function(p){ if (cfg.go && p.path) location.href = cfg.go + encodeURIComponent(p.path); return null; },
    openApplication: function(){ if (cfg.appUrl) location.href = cfg.appUrl; return null; },
    closeApplication: function(){ var c = document.querySelector('[data-close-slider]'); if (c) location.href = c.getAttribute('href'); return null; },
    selectUser: function(p, done){
      picker('selectUser', cfg.pickers.users.map(function(u){ return { key: 'user:' + u.id, label: u.name + (u.position ? ' — ' + u.position : ''), value: u }; }), function(u){
        done(p.mult ? (u ? [u] : []) : u);
      });
    },
    selectCRM: function(p, done){
      var types = p.entityType && p.entityType.length ? p.entityType : ['lead', 'contact', 'company', 'deal'];
      var items = [];
      types.forEach(function(type){ (cfg.pickers.crm[type] || []).forEach(function(e){ items.push({ key: e.id, label: e.title + (e.desc ? ' — ' + e.desc : ''), value: e }); }); });
      picker('selectCRM', items, function(e){ var out = {}; if (e) out[e.type] = { 0: e }; done(out); });
    }
  };
  window.addEventListener('message', function(e){
    if (e.source !== frame.contentWindow || e.origin !== cfg.appOrigin) return;
    var m = parse(e.data);
    if (!m || m.appSid !== init.APP_SID) return;
    calls.push({ cmd: m.cmd, params: m.params });
    var h = handlers[m.cmd];
    if (!h) return;
    if (h.length > 1) return h(m.params, function(result){ answer(m, result); });
    var result = h(m.params);
    // null: the portal answers later or never (a slider that stays open, a page that navigates away).
    if (result !== null) answer(m, result);
  });
  document.getElementById('b24form').submit();
})(${JSON.stringify(cfg).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')});`;
}
