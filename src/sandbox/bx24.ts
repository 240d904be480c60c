/**
 * The BX24 stand-in. A placement page loads BX24 JS (BX24_JS_URL points here while the sandbox
 * runs); this script gives it the documented surface and carries each call by postMessage to the
 * sandbox page that frames it, which answers like the portal: init data (auth, domain, member id,
 * placement and options), fitWindow/resizeWindow (the iframe grows), openPath (the sandbox opens the
 * portal path), installFinish. Every call is recorded in the host page's `window.__bx24`.
 */
export const BX24_STANDIN_JS = `(function(){
  if (window.BX24) return;
  var seq = 0, cbs = {}, initData = null, waiting = [];
  function call(cmd, params, cb){ var id = ++seq; if (cb) cbs[id] = cb; parent.postMessage({ __bx24: true, id: id, cmd: cmd, params: params || {} }, location.origin); }
  window.addEventListener('message', function(e){
    if (e.source !== parent || e.origin !== location.origin) return;
    var m = e.data; if (!m || !m.__bx24reply) return;
    if (m.cmd === 'init') { initData = m.result; waiting.splice(0).forEach(function(f){ f(); }); }
    if (cbs[m.id]) { var f = cbs[m.id]; delete cbs[m.id]; f(m.result); }
  });
  function height(){ return Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0); }
  window.BX24 = {
    init: function(cb){ if (initData) return cb(); waiting.push(cb); if (waiting.length === 1) call('init'); },
    fitWindow: function(cb){ call('fitWindow', { width: '100%', height: height() }, cb); },
    resizeWindow: function(w, h, cb){ call('resizeWindow', { width: w, height: h }, cb); },
    getScrollSize: function(){ return { scrollWidth: document.documentElement.scrollWidth, scrollHeight: height() }; },
    openPath: function(path, cb){ call('openPath', { path: path }, cb); },
    openApplication: function(params, cb){ call('openApplication', params || {}, cb); },
    closeApplication: function(cb){ call('closeApplication', {}, cb); },
    installFinish: function(){ call('installFinish'); },
    reloadWindow: function(){ location.reload(); },
    getAuth: function(){ return initData ? { access_token: initData.AUTH_ID, refresh_token: initData.REFRESH_ID, expires_in: 3600, domain: initData.DOMAIN, member_id: initData.MEMBER_ID } : false; },
    refreshAuth: function(cb){ if (cb) cb(window.BX24.getAuth()); },
    getLang: function(){ return initData ? initData.LANG : 'en'; },
    getDomain: function(){ return initData ? initData.DOMAIN : ''; },
    isAdmin: function(){ return initData ? !!initData.IS_ADMIN : false; },
    callMethod: function(method, params, cb){
      // The card talks to its own server, never to REST from the browser; say so instead of pretending.
      if (cb) cb({ error: function(){ return 'NOT_AVAILABLE_IN_SANDBOX'; }, data: function(){ return null; } });
    },
    placement: {
      info: function(){ return initData ? { placement: initData.PLACEMENT, options: initData.PLACEMENT_OPTIONS } : null; },
      getInterface: function(cb){ if (cb) cb({ command: [], event: [] }); },
      call: function(cmd, params, cb){ call('placement.call', { command: cmd, params: params }, cb); },
      bindEvent: function(){}
    }
  };
})();`;

/**
 * The host side, inlined into the sandbox page that holds the iframe: posts the placement form
 * into the iframe (as the portal does) and answers the stand-in's calls.
 */
export function hostScript(init: Record<string, unknown>): string {
  return `(function(){
  window.__bx24 = [];
  var frame = document.getElementById('b24frame');
  var init = ${JSON.stringify(init).replace(/</g, '\\u003c')};
  window.addEventListener('message', function(e){
    if (e.source !== frame.contentWindow || e.origin !== location.origin) return;
    var m = e.data; if (!m || !m.__bx24) return;
    window.__bx24.push({ cmd: m.cmd, params: m.params });
    var result = true;
    if (m.cmd === 'init') result = init;
    if ((m.cmd === 'fitWindow' || m.cmd === 'resizeWindow') && m.params.height) frame.style.height = Math.max(120, Math.ceil(Number(m.params.height) || 0)) + 'px';
    if (m.cmd === 'openPath' && m.params.path) { location.href = '/sandbox/go?path=' + encodeURIComponent(m.params.path); }
    if (m.cmd === 'closeApplication') { var c = document.querySelector('[data-close-slider]'); if (c) location.href = c.getAttribute('href'); }
    e.source.postMessage({ __bx24reply: true, id: m.id, cmd: m.cmd, result: result }, location.origin);
  });
  document.getElementById('b24form').submit();
})();`;
}
