/**
 * The placement pages' stylesheet, inlined into the HTML so the first render needs no extra request.
 * Colours follow Bitrix24's light interface (grey-blue text, green primary button, blue links) with
 * contrast ratios of at least 4.5:1 for text.
 */
export const PLACEMENT_CSS = `
:root{--fg:#333;--muted:#59626e;--line:#dfe3e8;--bg:#f5f7f8;--card:#fff;--link:#1f5fa6;--primary:#bbed21;--primary-h:#d2f95f;
--danger:#b3261e;--ok:#2d7a0e;--warn:#8a5a00;--focus:#1f5fa6;--radius:10px;font-size:14px}
*{box-sizing:border-box}
[hidden]{display:none!important}
html,body{margin:0;padding:0;background:var(--bg);color:var(--fg)}
html.framed,html.framed body{overflow:hidden}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
#app{padding:16px 18px 18px;max-width:1100px}
h1{font-size:18px;font-weight:600;margin:0}
h2{font-size:15px;font-weight:600;margin:0 0 10px}
h3{font-size:14px;font-weight:600;margin:0 0 6px}
p{margin:0 0 8px}
a{color:var(--link)}
.muted{color:var(--muted)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.bar{display:flex;align-items:center;gap:10px;flex-wrap:wrap;margin-bottom:14px}
.bar h1{margin-right:auto}
.btn{display:inline-flex;align-items:center;gap:6px;height:34px;padding:0 14px;border-radius:17px;border:1px solid #c6cdd3;
background:#fff;color:#333;font:inherit;font-weight:600;cursor:pointer;text-decoration:none;white-space:nowrap}
.btn:hover{border-color:#a1a8b0;background:#f8fafb}
.btn:disabled{opacity:.55;cursor:default}
.btn-primary{background:var(--primary);border-color:var(--primary);color:#333}
.btn-primary:hover{background:var(--primary-h);border-color:var(--primary-h)}
.btn-danger{color:var(--danger)}
.btn-sm{height:28px;padding:0 10px;border-radius:14px;font-size:13px;font-weight:500}
.btn-link{border:0;background:none;color:var(--link);padding:0 4px;height:auto;font-weight:500}
.btn-link:hover{background:none;text-decoration:underline}
:focus-visible{outline:2px solid var(--focus);outline-offset:2px}
[tabindex="-1"]:focus{outline:none}
.panel{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:14px 16px;margin-bottom:12px}
.suggest{display:flex;gap:12px;align-items:center;flex-wrap:wrap;background:#f2fbe0;border-color:#cfe9a0}
.suggest p{margin:0;flex:1 1 280px}
.empty{text-align:center;padding:28px 16px}
.empty .icon{font-size:34px;line-height:1;margin-bottom:8px}
.empty .actions{display:flex;gap:8px;justify-content:center;flex-wrap:wrap;margin-top:12px}
.env{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:12px 14px;margin-bottom:8px;
content-visibility:auto;contain-intrinsic-size:auto 118px}
.env-head{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.env-title{font-weight:600;font-size:15px;margin:0;flex:1 1 220px;overflow-wrap:anywhere}
.env-meta{color:var(--muted);font-size:12.5px}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;font-weight:600;background:#eef1f4;color:#414a55}
.badge-sent,.badge-in_progress{background:#e5f1fd;color:#174a85}
.badge-completed{background:#e7f6d6;color:#2a5f0c}
.badge-declined,.badge-voided,.badge-expired{background:#fdecea;color:#8c1d18}
.badge-draft{background:#f1f1f1;color:#4a4a4a}
.rcp{list-style:none;margin:8px 0 6px;padding:0;display:grid;gap:3px}
.rcp li{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap;font-size:13px}
.rcp .who{font-weight:500}
.dot{width:9px;height:9px;border-radius:50%;display:inline-block;background:#c0c6cc;flex:none;align-self:center}
.dot-signed,.dot-approved{background:#4a9e1b}.dot-opened,.dot-verified{background:#2d86d9}
.dot-invited{background:#8fb8e0}.dot-declined,.dot-expired{background:#c4332b}
.env-actions{display:flex;gap:6px;flex-wrap:wrap;margin-top:6px}
.steps{counter-reset:step}
.step{position:relative;padding-left:34px}
.step>h2::before{counter-increment:step;content:counter(step);position:absolute;left:0;top:-1px;width:22px;height:22px;border-radius:50%;
background:#e5f1fd;color:#174a85;font-size:12px;display:flex;align-items:center;justify-content:center}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:10px}
.field{display:flex;flex-direction:column;gap:3px}
.field label,.lbl{font-size:12.5px;color:var(--muted);font-weight:500}
input[type=text],input[type=email],input[type=tel],input[type=number],input[type=date],select,textarea{font:inherit;color:inherit;height:34px;
padding:0 10px;border:1px solid #c6cdd3;border-radius:6px;background:#fff;min-width:0}
textarea{height:auto;padding:6px 10px}
input[aria-invalid=true],select[aria-invalid=true]{border-color:var(--danger);background:#fff8f7}
.hint{font-size:12px;color:var(--muted)}
.err{font-size:12.5px;color:var(--danger)}
.warn{background:#fff7e0;border:1px solid #f0d68c;border-radius:8px;padding:8px 12px;color:#5c3d00;margin:8px 0}
.warn ul{margin:4px 0 0;padding-left:18px}
.tpls{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:8px}
.tpl{display:flex;gap:8px;align-items:flex-start;border:1px solid var(--line);border-radius:8px;padding:9px 10px;cursor:pointer;background:#fff}
.tpl:has(input:checked){border-color:#7fb3e6;background:#f2f8fe;box-shadow:0 0 0 1px #7fb3e6}
.tpl input{margin-top:3px}
.rrow .lbl{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.rrow{display:grid;grid-template-columns:96px minmax(120px,150px) minmax(140px,1fr) minmax(140px,1fr) minmax(120px,1fr) 34px;gap:8px;align-items:end;margin-bottom:8px}
@media (max-width:760px){.rrow{grid-template-columns:1fr 1fr}}
.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.spacer{flex:1}
.toast{position:fixed;left:50%;bottom:16px;transform:translateX(-50%);background:#2f3b47;color:#fff;padding:8px 14px;border-radius:8px;font-size:13px;z-index:9}
.pages{display:flex;flex-direction:column;gap:12px;align-items:center}
.page{position:relative;box-shadow:0 1px 4px rgba(0,0,0,.18);background:#fff}
.page canvas{display:block}
.fbox{position:absolute;border:1.5px solid #2d86d9;background:rgba(45,134,217,.12);border-radius:3px;font-size:11px;color:#174a85;
padding:0;overflow:visible;cursor:move;user-select:none;touch-action:none}
.fbox .flabel{position:absolute;left:-1.5px;bottom:100%;white-space:nowrap;line-height:14px;padding:0 4px;border-radius:3px 3px 0 0;background:#1a64a8;color:#fff;pointer-events:none}
.fbox.lbl-below .flabel{bottom:auto;top:100%;border-radius:0 0 3px 3px}
.fbox.lbl-right .flabel{left:auto;right:-1.5px}
.fbox.party-client{border-color:#b86e00;background:rgba(240,160,40,.14);color:#6b4000}
.fbox.party-client .flabel{background:#8a5200}
.fbox.party-sender .flabel{background:#4a5866}
.fbox.overlap{border-color:#c62828;border-style:dashed;background:rgba(198,40,40,.12)}
.fbox[aria-pressed=true]{box-shadow:0 0 0 2px #1f5fa6}
.editor{display:grid;grid-template-columns:170px 1fr 260px;gap:12px;align-items:start}
@media (max-width:820px){.editor{grid-template-columns:1fr}}
.palette{display:flex;flex-direction:column;gap:6px;position:sticky;top:8px}
.palette .btn{justify-content:flex-start;cursor:grab}
.drop{border:2px dashed #b8c2cc;border-radius:10px;padding:26px;text-align:center;background:#fff}
.drop.over{border-color:#2d86d9;background:#f2f8fe}
.spin{display:inline-block;width:14px;height:14px;border:2px solid #b8c2cc;border-top-color:#2d86d9;border-radius:50%;animation:s 1s linear infinite}
@keyframes s{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spin{animation:none}}
.doclist{list-style:none;padding:0;margin:0;display:grid;gap:6px}
.doclist label{display:flex;gap:10px;align-items:center;border:1px solid var(--line);border-radius:8px;padding:9px 12px;background:#fff;cursor:pointer}
.doclist label:has(input:checked){border-color:#7fb3e6;background:#f2f8fe}
`;
