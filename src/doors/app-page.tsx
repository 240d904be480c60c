/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { REQUIRED_SCOPES, RECOMMENDED_SCOPES, registrationManifest } from '../bitrix24/manifest.js';
import { missingScopes, scopeList } from '../bitrix24/scopes.js';
import { compareWithManifest, readRegistrations } from '../bitrix24/registration.js';
import { catalogFor, format, pickLang } from '../i18n/index.js';
import { issueFrameSession, verifyFramePost, type FrameUser } from '../http/b24-auth.js';
import { ZFramePost } from '../http/b24-payloads.js';
import { parseForm, readBitrixForm } from '../http/form.js';
import { portalOrigin, setFrameHeaders } from '../http/frame-headers.js';
import { findPortalByMemberId, type PortalRow } from '../portals/store.js';
import type { Services } from '../services.js';
import type { AppEnv } from '../types.js';
import { FramePage, jsonForScript } from './frame-page.js';
import { frameProblemHandler } from './frame-problem.js';
import { installFromWizard } from './install.js';
import { INSTALL_MESSAGES } from './install-texts.js';
import { DocumentsToSignEntry } from './in-portal-sign.js';
import { RegistryAndRoles } from './app-registry.js';
import { SettingsPanel } from './app-settings.js';
import { resolveAccess } from '../roles/access.js';

/**
 * POST /b24/app: the app's own page in Bitrix24 (PLACEMENT=DEFAULT). It shows the installation
 * status: portal, what is registered (read live from the portal), scopes, last error. An app set
 * up without an install wizard reaches us here first: an admin's visit installs it.
 */
export const appPageRoutes = new Hono<AppEnv>();
appPageRoutes.onError(frameProblemHandler);

type Status = { ok: true; view: ReturnType<typeof compareWithManifest> } | { ok: false; error: string };

async function liveStatus(services: Services, portal: PortalRow): Promise<Status> {
  try {
    const current = await readRegistrations(services.bitrix24.forPortal(portal.id), registrationManifest);
    return { ok: true, view: compareWithManifest(registrationManifest, current, services.config.publicUrl) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message.slice(0, 300) : 'unknown error' };
  }
}

appPageRoutes.post('/b24/app', async (c) => {
  const { services } = c.var;
  const { body, query } = await readBitrixForm(c);
  const frame = parseForm(ZFramePost, { ...query, ...body });
  const known = await findPortalByMemberId(services.db, frame.member_id);
  let portal: PortalRow;
  let user: FrameUser;
  if (!known || known.status === 'uninstalled') {
    // No install wizard configured: the first admin visit is the install (verified the same way).
    ({ portal, user } = await installFromWizard(services, frame));
  } else {
    ({ portal, user } = await verifyFramePost(services, frame));
  }
  const lang = pickLang(frame.LANG);
  const { token } = await issueFrameSession(services, { portalId: portal.id, user, placement: 'APP', lang, frame });
  const status = await liveStatus(services, portal);
  const fresh = (await findPortalByMemberId(services.db, portal.memberId)) ?? portal;
  const t = catalogFor(INSTALL_MESSAGES, lang);
  const scopes = scopeList(fresh.scope);
  const missing = missingScopes(scopes, REQUIRED_SCOPES);
  const recommended = missingScopes(scopes, RECOMMENDED_SCOPES);
  const mark = (ok: boolean) => <span class={ok ? 'ok' : 'bad'}>{ok ? `✓ ${t.yes}` : `✗ ${t.no}`}</span>;

  setFrameHeaders(c, portalOrigin(fresh.clientEndpoint));
  const page = (
    <FramePage lang={lang} title={t.statusTitle} script={services.assets.url('placements/app.js')}>
      <h1>{t.statusTitle}</h1>
      {await DocumentsToSignEntry({ services, portalId: fresh.id, portalDomain: fresh.domain, userId: user.id, lang })}
      <div class="panel">
        <table>
          <tbody>
            <tr><th>{t.portal}</th><td>{fresh.domain} <span class="muted">({fresh.memberId})</span></td></tr>
            <tr><th>{t.status}</th><td>{fresh.status}</td></tr>
            <tr><th>{t.installedBy}</th><td>{fresh.installedByUserId ?? '—'}</td></tr>
            <tr>
              <th>{t.scopes}</th>
              <td>
                {scopes.join(', ') || '—'}
                {missing.length ? <div class="bad">{format(t.missingScopes, { scopes: missing.join(', ') })}</div> : null}
                {recommended.length ? <div class="muted">{format(t.recommendedScopes, { scopes: recommended.join(', ') })}</div> : null}
              </td>
            </tr>
            <tr><th>{t.lastError}</th><td class={fresh.lastError ? 'bad' : ''}>{fresh.lastError ?? t.none}</td></tr>
          </tbody>
        </table>
      </div>
      {await RegistryAndRoles({ services, portalId: fresh.id, lang, token, nonce: c.var.cspNonce, access: await resolveAccess(services, { portalId: fresh.id, userId: user.id, isAdmin: user.isAdmin }) })}
      {await SettingsPanel({ services, portalId: fresh.id, lang, token, nonce: c.var.cspNonce, access: await resolveAccess(services, { portalId: fresh.id, userId: user.id, isAdmin: user.isAdmin }) })}
      <h2>{t.registered}</h2>
      <div class="panel" id="registrations">
        {status.ok ? (
          <table>
            <tbody>
              {status.view.placements.map((p) => (
                <tr data-kind="placement" data-registered={String(p.registered)}><td>{t.placements}</td><td><code>{p.code}</code></td><td>{mark(p.registered)}</td></tr>
              ))}
              {status.view.robots.map((r) => (
                <tr data-kind="robot" data-registered={String(r.registered)}><td>{t.robots}</td><td><code>{r.code}</code></td><td>{mark(r.registered)}</td></tr>
              ))}
              {status.view.triggers.map((x) => (
                <tr data-kind="trigger" data-registered={String(x.registered)}><td>{t.triggers}</td><td><code>{x.code}</code></td><td>{mark(x.registered)}</td></tr>
              ))}
              {status.view.events.map((e) => (
                <tr data-kind="event" data-registered={String(e.registered)}><td>{t.events}</td><td><code>{e.event}</code></td><td>{mark(e.registered)}</td></tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="bad">{format(t.readFailed, { error: status.error })}</p>
        )}
      </div>
      {user.isAdmin ? (
        <p>
          <button type="button" id="repair">{t.repair}</button> <span id="repair-result" role="status"></span>
        </p>
      ) : null}
      {user.isAdmin ? (
        <div>
          <p><button type="button" id="doctor">{t.doctor}</button></p>
          <div class="panel" id="doctor-result" role="status" hidden></div>
          <script
            nonce={c.var.cspNonce}
            dangerouslySetInnerHTML={{
              // Method by method: what the portal answered against what its contract expects (GET /api/portal/doctor).
              __html: `(function(){var boot=${jsonForScript({ token, healthy: t.doctorHealthy, problems: t.doctorProblems, failed: t.repairFailed })};
var b=document.getElementById('doctor'),out=document.getElementById('doctor-result');
function row(l){var tr=document.createElement('tr');tr.setAttribute('data-ok',String(l.ok));[l.ok?'\u2713':'\u2717',l.check,l.expected,l.answered].forEach(function(x){var td=document.createElement('td');td.textContent=x;tr.appendChild(td);});return tr;}
b.addEventListener('click',function(){b.disabled=true;out.hidden=false;out.textContent='…';fetch('/api/portal/doctor',{headers:{authorization:'Bearer '+boot.token}})
.then(function(r){return r.json().then(function(j){out.textContent='';if(!r.ok){out.textContent=boot.failed.replace('{error}',(j.error&&j.error.code)||r.status);return;}
var bad=j.lines.filter(function(l){return !l.ok;});var p=document.createElement('p');p.className=bad.length?'bad':'ok';p.textContent=bad.length?boot.problems.replace('{count}',bad.length):boot.healthy;out.appendChild(p);
var tb=document.createElement('tbody');(bad.length?bad.concat(j.lines.filter(function(l){return l.ok;})):j.lines).forEach(function(l){tb.appendChild(row(l));});var tab=document.createElement('table');tab.appendChild(tb);out.appendChild(tab);});})
.catch(function(e){out.textContent=boot.failed.replace('{error}',String(e));}).finally(function(){b.disabled=false;});});})();`,
            }}
          />
        </div>
      ) : null}
      <script
        nonce={c.var.cspNonce}
        dangerouslySetInnerHTML={{
          __html: `(function(){var boot=${jsonForScript({ token, done: t.repairDone, failed: t.repairFailed })};
var b=document.getElementById('repair');if(!b)return;var out=document.getElementById('repair-result');
b.addEventListener('click',function(){b.disabled=true;fetch('/api/portal/registrations',{method:'POST',headers:{authorization:'Bearer '+boot.token}})
.then(function(r){return r.json().then(function(j){out.textContent=r.ok?boot.done:boot.failed.replace('{error}',(j.error&&j.error.code)||r.status);});})
.catch(function(e){out.textContent=boot.failed.replace('{error}',String(e));}).finally(function(){b.disabled=false;});});})();`,
        }}
      />
    </FramePage>
  );
  return c.html(`<!doctype html>${page}`);
});
