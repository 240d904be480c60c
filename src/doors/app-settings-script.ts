import { DATE_LOCALES, DATE_TIME_OPTIONS } from '../i18n/dates.js';
/**
 * The browser side of the app page's settings section (src/doors/app-settings.tsx): plain ES2017 in
 * a string, run inline with the page's CSP nonce. It talks only to /api/settings* with the page's
 * session token; every text comes from the boot object. Files are read with FileReader and sent as
 * base64 in JSON; the passphrase field is cleared once sent.
 */
export const SETTINGS_SCRIPT = String.raw`(function(boot){
var t=boot.t,$=function(id){return document.getElementById(id);};
var LOC=${JSON.stringify(DATE_LOCALES)}[boot.lang]||boot.lang;function stamp(s){return new Date(s).toLocaleString(LOC,${JSON.stringify(DATE_TIME_OPTIONS)});}
function fmt(s,v){return s.replace(/\{(\w+)\}/g,function(m,k){return k in v?String(v[k]):m;});}
function api(method,path,body){return fetch(path,{method:method,headers:Object.assign({authorization:'Bearer '+boot.token},body?{'content-type':'application/json'}:{}),body:body?JSON.stringify(body):undefined})
.then(function(r){return r.json().then(function(j){if(!r.ok){var e=new Error((j.error&&j.error.message)||String(r.status));e.code=j.error&&j.error.code;e.details=(j.error&&j.error.details)||{};throw e;}return j;});});}
function why(e){var k='err_'+e.code;
  if(e.code==='TSA_UNAVAILABLE'){var r='tsaWhy_'+(e.details&&e.details.reason);return fmt(t.err_TSA_UNAVAILABLE,{message:fmt(r in t?t[r]:t.tsaWhy_other,{status:e.details&&e.details.status})});}
  return k in t?fmt(t[k],{message:e.message}):fmt(t.err_generic,{message:e.message});}
function show(id,text,cls){var el=$(id);el.textContent=text;el.className=cls||'';}
function base64Of(file){return new Promise(function(ok,bad){var r=new FileReader();r.onload=function(){var s=String(r.result);ok(s.slice(s.indexOf(',')+1));};r.onerror=function(){bad(r.error);};r.readAsDataURL(file);});}
function val(v){return v===null||v===undefined?t.notSet:Array.isArray(v)?v.join(', '):typeof v==='object'?(v.subject||v.sha256||JSON.stringify(v)):String(v);}
function changes(){api('GET','/api/settings/changes?limit=50').then(function(j){var ul=$('settings-changes');ul.textContent='';
  j.changes.forEach(function(c){var li=document.createElement('li');li.setAttribute('data-setting',c.setting);
    li.textContent=fmt(t.changeLine,{at:stamp(c.at),user:c.actorUserId,setting:t[c.setting]||c.setting,before:val(c.before),after:val(c.after)});ul.appendChild(li);});}).catch(function(){});}
function certShown(c){var box=$('settings-cert-live');if(!box){box=document.createElement('div');box.id='settings-cert-live';$('settings-cert-form').parentNode.insertBefore(box,$('settings-cert-form'));}
  box.textContent='';[[t.subject,c.subject],[t.issuer,c.issuer],[t.validUntil,c.notAfter.slice(0,10)],[t.sealedAs,c.sealName]].forEach(function(p){var d=document.createElement('div');d.textContent=p[0]+': '+p[1];box.appendChild(d);});
  if(c.expiringSoon){var w=document.createElement('p');w.className='warn';w.id='settings-cert-live-warning';w.textContent=fmt(t.expiresSoon,{days:c.daysLeft});box.appendChild(w);}
  var old=$('settings-cert');if(old)old.hidden=true;var none=$('settings-cert-none');if(none)none.hidden=true;}
$('settings-cert-form').addEventListener('submit',function(e){e.preventDefault();var f=$('settings-cert-file').files[0];if(!f){show('settings-cert-status',t.chooseFile,'bad');return;}
  show('settings-cert-status','…');base64Of(f).then(function(b64){return api('PUT','/api/settings/certificate',{p12:b64,passphrase:$('settings-cert-pass').value});})
  .then(function(j){$('settings-cert-pass').value='';certShown(j.certificate);show('settings-cert-status',t.uploaded,'ok');changes();})
  .catch(function(e){show('settings-cert-status',why(e),'bad');});});
var rm=$('settings-cert-remove');if(rm)rm.addEventListener('click',function(){api('DELETE','/api/settings/certificate').then(function(){$('settings-cert').hidden=true;show('settings-cert-status',t.removed,'ok');changes();}).catch(function(e){show('settings-cert-status',why(e),'bad');});});
$('settings-tsa-test').addEventListener('click',function(){var u=$('settings-tsa-url').value.trim();show('settings-tsa-status','…');
  api('POST','/api/settings/tsa-test',u?{url:u}:{}).then(function(j){show('settings-tsa-status',fmt(t.tsaOk,{time:j.time?stamp(j.time):'?',ms:j.ms}),'ok');})
  .catch(function(e){show('settings-tsa-status',why(e),'bad');});});
$('settings-save').addEventListener('click',function(){var p={};
  ['companySignerUserId','reminderFirstDays','reminderEveryDays','reminderMax','expiryDays'].forEach(function(k){var v=$('settings-'+k).value.trim();p[k]=v===''?null:Number(v);});
  var n=$('settings-senderName').value.trim();p.senderName=n||null;var u=$('settings-tsa-url').value.trim();p.tsaUrl=u||null;
  var ls=[].slice.call(document.querySelectorAll('input[name=settings-lang]:checked')).map(function(c){return c.value;});p.languages=ls.length?ls:null;
  show('settings-status','…');api('PUT','/api/settings',p).then(function(){show('settings-status',t.saved,'ok');changes();}).catch(function(e){show('settings-status',why(e),'bad');});});
$('settings-logo-upload').addEventListener('click',function(){var f=$('settings-logo-file').files[0];if(!f){show('settings-logo-status',t.chooseFile,'bad');return;}
  base64Of(f).then(function(b64){return api('PUT','/api/settings/logo',{image:b64});}).then(function(){show('settings-logo-status',t.saved,'ok');changes();}).catch(function(e){show('settings-logo-status',why(e),'bad');});});
var lr=$('settings-logo-remove');if(lr)lr.addEventListener('click',function(){api('DELETE','/api/settings/logo').then(function(){var i=$('settings-logo-img');if(i)i.hidden=true;show('settings-logo-status',t.removed,'ok');changes();}).catch(function(e){show('settings-logo-status',why(e),'bad');});});
changes();
})`;
