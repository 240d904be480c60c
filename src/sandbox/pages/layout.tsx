/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import { LANGS, type Lang } from '../../i18n/index.js';
import type { SandboxT } from '../texts.js';

/** A light Bitrix24-like chrome: blue top bar, left menu, white cards on a pale background. */
const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 "Open Sans",system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#333;background:#eef2f4}
a{color:#2067b0}a:hover{color:#0b66c3}
.top{display:flex;align-items:center;gap:16px;height:56px;padding:0 20px;background:linear-gradient(90deg,#1b9fd8,#2fc6f6);color:#fff}
.top .logo{font-weight:700;font-size:19px;letter-spacing:.2px;color:#fff;text-decoration:none}
.top .logo span{opacity:.85;font-weight:400}
.top .note{font-size:12px;opacity:.95;flex:1;max-width:60rem}
.top form{margin:0;display:flex;align-items:center;gap:4px}.top select{height:28px;border-radius:14px;border:0;padding:0 8px}
.top .go{height:28px;border-radius:14px;border:1px solid rgba(255,255,255,.7);background:transparent;color:#fff;font:inherit;font-size:12px;font-weight:600;padding:0 10px;cursor:pointer}
.top label{font-size:12px;margin-right:4px}
.shell{display:flex;min-height:calc(100vh - 56px)}
nav.side{width:200px;flex:none;background:#223a52;padding:12px 0}
nav.side a{display:block;padding:8px 20px;color:#d7e3ee;text-decoration:none;font-weight:600}
nav.side a:hover,nav.side a[aria-current=page]{background:#2c4b69;color:#fff}
main{flex:1;padding:18px 22px;min-width:0}
h1{font-size:22px;font-weight:400;margin:2px 0 14px;color:#333}
h2{font-size:16px;font-weight:600;margin:0 0 10px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.06);padding:16px 18px;margin-bottom:16px}
.muted{color:#6a737f}.small{font-size:12px}
table{border-collapse:collapse;width:100%}
th{font-size:12px;text-transform:uppercase;color:#80868e;font-weight:600;text-align:left;padding:6px 8px;border-bottom:1px solid #e4e8eb}
td{padding:7px 8px;border-bottom:1px solid #f0f2f4;vertical-align:top}
tr:hover td{background:#f7fafc}
.pill{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;color:#fff;white-space:nowrap}
.tour ol{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.tour li{border:1px solid #dfe6ea;border-radius:8px;padding:10px 12px;background:#fbfdfe;position:relative}
.tour li.done{border-color:#9fd46f;background:#f6fcef}
.tour .n{display:inline-flex;width:24px;height:24px;border-radius:12px;background:#2fc6f6;color:#fff;font-weight:700;align-items:center;justify-content:center;margin-right:6px}
.tour li.done .n{background:#7bd500}
.tour a.step{font-weight:700;font-size:15px}
.tour p{margin:6px 0 0;font-size:12px;color:#59626e}
.tour .ok{position:absolute;top:8px;right:10px;font-size:11px;color:#4c8a0b;font-weight:700}
.tabs{display:flex;gap:2px;border-bottom:1px solid #dfe3e8;margin:0 0 0;flex-wrap:wrap}
.tabs a{padding:10px 16px;text-decoration:none;color:#535c69;font-weight:600;border-bottom:3px solid transparent}
.tabs a[aria-current=page]{color:#333;border-bottom-color:#2fc6f6}
.stages{display:flex;gap:3px;margin:6px 0 14px;flex-wrap:wrap}
.stages form{margin:0;flex:1;min-width:110px}
.stages button{width:100%;height:34px;border:0;color:#fff;font:inherit;font-size:12px;font-weight:600;cursor:pointer;clip-path:polygon(0 0,calc(100% - 10px) 0,100% 50%,calc(100% - 10px) 100%,0 100%,10px 50%);opacity:.45;padding:0 14px}
.stages button[aria-pressed=true]{opacity:1}
.stages button:hover,.stages button:focus-visible{opacity:.85;outline:2px solid #1b6fae;outline-offset:1px}
.robot{font-size:11px;display:block;color:#333;margin-top:2px;text-align:center}
.flash{background:#fff8d6;border:1px solid #f1dc7c;border-radius:6px;padding:8px 12px;margin-bottom:12px}
.cols{display:grid;grid-template-columns:minmax(260px,340px) 1fr;gap:16px}
@media (max-width:900px){.cols{grid-template-columns:1fr}nav.side{display:none}}
dl{margin:0}dt{font-size:12px;color:#80868e;margin-top:8px}dd{margin:0}
.tl{list-style:none;margin:0;padding:0 0 0 18px;border-left:2px solid #dfe6ea}
.tl li{position:relative;background:#fff;border:1px solid #e4e8eb;border-radius:8px;padding:10px 12px;margin:0 0 10px}
.tl li::before{content:"";position:absolute;left:-26px;top:14px;width:12px;height:12px;border-radius:6px;background:#2fc6f6;border:2px solid #fff}
.tl li.activity::before{background:#7bd500}.tl li.comment::before{background:#ffa900}
.tl .head{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.tl .kind{font-size:11px;text-transform:uppercase;color:#80868e;font-weight:700}
.tl .when{font-size:11px;color:#9aa1a9;margin-left:auto}
.tag{font-size:11px;border-radius:9px;padding:1px 8px;font-weight:700}
.tag.primary{background:#e5f6fd;color:#0c7bb3}.tag.success{background:#eaf7dc;color:#3d7a06}.tag.warning{background:#fff3d6;color:#9a6400}
.tag.failure{background:#fde8e6;color:#b3261e}.tag.secondary{background:#eef1f4;color:#59626e}
.tl .blocks{margin:6px 0 0}.tl .blocks div{font-size:13px}
.tl .btns{display:flex;gap:8px;margin-top:8px}
.btn{display:inline-flex;align-items:center;height:32px;padding:0 14px;border-radius:16px;border:1px solid #c6cdd3;background:#fff;color:#333;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
.btn.primary{background:#3bc8f5;border-color:#3bc8f5;color:#fff}
.btn:hover{filter:brightness(.97)}
.frame-wrap{background:#fff;border-radius:0 0 8px 8px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
iframe.b24{display:block;width:100%;border:0;height:320px}
.slider{position:fixed;inset:0;background:rgba(20,36,52,.45);display:flex;justify-content:flex-end;z-index:10}
.slider .panel{width:min(1000px,92vw);height:100%;overflow:auto;background:#eef2f4;padding:16px 20px}
.slider .bar{display:flex;justify-content:space-between;align-items:center;margin-bottom:10px}
.mail{display:grid;grid-template-columns:minmax(280px,420px) 1fr;gap:16px}
.mail ul{list-style:none;margin:0;padding:0}
.mail li a{display:block;padding:9px 10px;border-bottom:1px solid #f0f2f4;text-decoration:none;color:#333}
.mail li a[aria-current=true]{background:#e5f6fd}
.mail li a:hover{background:#f5f9fb}
.mail .subj{font-weight:600;display:block}
.mail .meta{font-size:12px;color:#80868e}
.mail .body{white-space:pre-wrap;word-break:break-word;font-size:14px;background:#fbfcfd;border:1px solid #eef1f4;border-radius:6px;padding:12px}
.mail iframe{width:100%;height:420px;border:1px solid #eef1f4;border-radius:6px;background:#fff}
.chip{display:inline-block;font-size:11px;border-radius:9px;padding:0 7px;background:#eef1f4;color:#59626e;margin-left:4px}
.chip.code{background:#fff3d6;color:#9a6400}.chip.invitation{background:#e5f6fd;color:#0c7bb3}.chip.completed{background:#eaf7dc;color:#3d7a06}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
:focus-visible{outline:2px solid #1b6fae;outline-offset:2px}
`;

export type Section = 'home' | 'deals' | 'leads' | 'contacts' | 'mail';

export function Layout(props: { lang: Lang; t: SandboxT; title: string; section?: Section; children?: Child; back: string }) {
  const { t } = props;
  const nav: [Section | 'verify' | 'app', string, string][] = [
    ['home', '/sandbox', t('nav.home')],
    ['deals', '/sandbox#deals', t('nav.deals')],
    ['leads', '/sandbox#leads', t('nav.leads')],
    ['contacts', '/sandbox#contacts', t('nav.contacts')],
    ['mail', '/sandbox/mail', t('nav.mail')],
    ['verify', '/v', t('nav.verify')],
    ['app', '/sandbox/app', t('nav.app')],
  ];
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>{`${props.title} — ${t('brand')}`}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <header class="top">
          <a class="logo" href="/sandbox">
            Bitrix24 <span>sandbox</span>
          </a>
          <span class="note">{t('brand.note')}</span>
          <form method="get" action="/sandbox/lang">
            <label for="lang-switch">{t('lang')}</label>
            <select id="lang-switch" name="lang">
              {LANGS.map((l) => (
                <option value={l} selected={l === props.lang}>
                  {l === 'en' ? 'English' : l === 'it' ? 'Italiano' : 'Русский'}
                </option>
              ))}
            </select>
            <input type="hidden" name="back" value={props.back} />
            {/* An explicit button: changing a select must not navigate by itself (WCAG 3.2.2). */}
            <button type="submit" class="go">{t('lang.apply')}</button>
          </form>
        </header>
        <div class="shell">
          <nav class="side" aria-label="Bitrix24">
            {nav.map(([key, href, label]) => (
              <a href={href} aria-current={key === props.section ? 'page' : undefined}>
                {label}
              </a>
            ))}
          </nav>
          <main>{props.children}</main>
        </div>
      </body>
    </html>
  );
}
