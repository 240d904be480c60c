import { DATE_LOCALES, DATE_OPTIONS, DATE_TIME_OPTIONS } from '../i18n/dates.js';
/**
 * The browser side of the app page's registry and roles sections (src/doors/app-registry.tsx,
 * app-roles.tsx): plain ES2017 in a string, run inline with the page's CSP nonce. It talks only to
 * /api/registry* and /api/roles* with the page's session token; every text comes from the boot object.
 */
export const REGISTRY_SCRIPT = String.raw`(function(boot){
var t=boot.t,$=function(id){return document.getElementById(id);};
function fmt(s,v){return s.replace(/\{(\w+)\}/g,function(m,k){return k in v?String(v[k]):m;});}
function api(method,path,body){return fetch(path,{method:method,headers:Object.assign({authorization:'Bearer '+boot.token},body?{'content-type':'application/json'}:{}),body:body?JSON.stringify(body):undefined})
.then(function(r){return r.json().then(function(j){if(!r.ok)throw new Error((j.error&&j.error.message)||String(r.status));return j;});});}
function el(tag,attrs,kids){var e=document.createElement(tag);for(var k in attrs||{}){if(k==='text')e.textContent=attrs[k];else e.setAttribute(k,attrs[k]);}(kids||[]).forEach(function(c){if(c)e.appendChild(c);});return e;}
var LOC=${JSON.stringify(DATE_LOCALES)}[boot.lang]||boot.lang;
function day(s){return s?new Date(s).toLocaleDateString(LOC,${JSON.stringify(DATE_OPTIONS)}):'';}
function stamp(s){return s?new Date(s).toLocaleString(LOC,${JSON.stringify(DATE_TIME_OPTIONS)}):'';}
var reg=$('registry');
if(reg){
  var body=$('registry-rows'),status=$('registry-status'),more=$('registry-more'),next=null;
  function query(){var f=$('registry-filters'),q=new URLSearchParams();
    ['status','templateId','responsible','entityTypeId','entityId','from','to'].forEach(function(n){var v=f.elements[n].value;if(v)q.set(n,v==='me'?String(boot.userId):v);});
    q.set('limit','25');return q;}
  function row(r){
    var cb=el('input',{type:'checkbox','data-id':r.id});if(!r.canManage)cb.disabled=true;
    var crm=r.crm?el('a',{href:r.crm.url,target:'_top',rel:'noopener',text:(t['et_'+r.crm.entityTypeId]||('#'+r.crm.entityTypeId))+' #'+r.crm.entityId}):el('span',{text:'—'});
    var pdf=r.sealed?el('a',{href:'#','data-pdf':r.id,text:t.pdf}):null;
    return el('tr',{'data-id':r.id,'data-status':r.status},[el('td',{},[cb]),el('td',{text:r.title}),el('td',{text:t['st_'+r.status]||r.status}),el('td',{text:r.template?(r.template.name||r.template.id):'—'}),
      el('td',{text:r.responsibleUserId?(boot.names[r.responsibleUserId]||('#'+r.responsibleUserId)):'—'}),el('td',{},[crm]),el('td',{text:day(r.createdAt)}),el('td',{text:r.recipients.done+'/'+r.recipients.total}),el('td',{},[pdf])]);}
  function load(reset,note){var q=query();if(!reset&&next)q.set('cursor',next);status.textContent='…';
    api('GET','/api/registry?'+q.toString()).then(function(j){if(reset)body.textContent='';j.rows.forEach(function(r){body.appendChild(row(r));});next=j.next;more.hidden=!next;
      status.textContent=note||(body.children.length?'':t.empty);}).catch(function(e){status.textContent=fmt(t.failed,{error:e.message});});}
  $('registry-filters').addEventListener('submit',function(e){e.preventDefault();next=null;load(true);});
  more.addEventListener('click',function(){load(false);});
  var all=$('registry-all');all.addEventListener('change',function(){body.querySelectorAll('input[type=checkbox]:not([disabled])').forEach(function(c){c.checked=all.checked;});});
  function picked(){return Array.prototype.map.call(body.querySelectorAll('input[type=checkbox]:checked'),function(c){return c.getAttribute('data-id');});}
  function bulk(action){var ids=picked();if(!ids.length)return;var reason=$('registry-reason').value.trim();
    if(action==='void'&&!reason){status.textContent=t.needReason;$('registry-reason').focus();return;}
    api('POST','/api/registry/bulk',{action:action,ids:ids,reason:reason||undefined}).then(function(j){var ok=j.results.filter(function(r){return r.ok;}).length;
      next=null;load(true,fmt(t.bulkDone,{ok:ok,failed:j.results.length-ok}));}).catch(function(e){status.textContent=fmt(t.failed,{error:e.message});});}
  $('registry-resend').addEventListener('click',function(){bulk('resend');});
  $('registry-void').addEventListener('click',function(){bulk('void');});
  function download(path,name){return fetch(path,{headers:{authorization:'Bearer '+boot.token}}).then(function(r){if(!r.ok)throw new Error(String(r.status));return r.blob();})
    .then(function(b){var a=el('a',{href:URL.createObjectURL(b),download:name});document.body.appendChild(a);a.click();a.remove();}).catch(function(e){status.textContent=fmt(t.failed,{error:e.message});});}
  $('registry-export').addEventListener('click',function(){var q=query();q.delete('limit');download('/api/registry/export.csv?'+q.toString(),'b24-sign-registry.csv');});
  body.addEventListener('click',function(e){var id=e.target&&e.target.getAttribute&&e.target.getAttribute('data-pdf');if(!id)return;e.preventDefault();download('/api/envelopes/'+encodeURIComponent(id)+'/sealed.pdf',id+'.pdf');});
  load(true);
}
var roles=$('roles');
if(roles){
  var rs=$('roles-status'),list=$('roles-rows'),log=$('roles-changes'),deps={};
  function roleSelect(value,withNone){var s=el('select',{});(withNone?[['','everyoneDefault'],['none','role_none']]:[]).concat(boot.roles.map(function(r){return [r,'role_'+r];})).forEach(function(o){var op=el('option',{value:o[0],text:t[o[1]]});if(o[0]===(value||''))op.selected=true;s.appendChild(op);});return s;}
  function subject(a){return a.subjectType==='department'?(t.department+': '+(deps[a.subjectId]||('#'+a.subjectId))):a.subjectType==='user'?(t.user+': '+(boot.names[a.subjectId]||('#'+a.subjectId))):t.everyone;}
  function save(type,id,role){return api('PUT','/api/roles/assignments',{subjectType:type,subjectId:id,role:role}).then(function(){rs.textContent=t.saved;return refresh();}).catch(function(e){rs.textContent=fmt(t.failed,{error:e.message});});}
  function refresh(){return Promise.all([api('GET','/api/roles'),api('GET','/api/roles/changes?limit=20')]).then(function(x){var j=x[0];
    j.departments.forEach(function(d){deps[d.id]=d.name;});
    var every=$('roles-everyone');every.textContent='';var es=roleSelect(j.everyone,true);es.id='roles-everyone-select';es.setAttribute('aria-label',t.everyone);
    es.addEventListener('change',function(){save('everyone',0,es.value||null);});every.appendChild(es);
    var dsel=$('roles-add-department');if(!dsel.children.length)j.departments.forEach(function(d){dsel.appendChild(el('option',{value:String(d.id),text:d.name}));});
    list.textContent='';j.assignments.filter(function(a){return a.subjectType!=='everyone';}).forEach(function(a){var s=roleSelect(a.role,false);s.setAttribute('aria-label',subject(a));
      s.addEventListener('change',function(){save(a.subjectType,a.subjectId,s.value);});var rm=el('button',{type:'button',text:t.remove});rm.addEventListener('click',function(){save(a.subjectType,a.subjectId,null);});
      list.appendChild(el('tr',{'data-subject':a.subjectType+':'+a.subjectId},[el('td',{text:subject(a)}),el('td',{},[s]),el('td',{},[rm])]));});
    log.textContent='';x[1].changes.forEach(function(c){log.appendChild(el('li',{text:fmt(t.changeLine,{at:stamp(c.at),actor:c.actorUserId,subject:subject(c),before:c.before?t['role_'+c.before]:t.unset,after:c.after?t['role_'+c.after]:t.unset})}));});
  }).catch(function(e){rs.textContent=fmt(t.failed,{error:e.message});});}
  var type=$('roles-add-type');type.addEventListener('change',function(){$('roles-add-user').hidden=type.value!=='user';$('roles-add-department').hidden=type.value!=='department';});
  $('roles-add').addEventListener('submit',function(e){e.preventDefault();var id=Number(type.value==='user'?$('roles-add-user').value:$('roles-add-department').value);if(!(id>0))return;save(type.value,id,$('roles-add-role').value);});
  refresh();
}
})`;
