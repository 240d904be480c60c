/** @jsxImportSource hono/jsx */
import { eq } from 'drizzle-orm';
import { templates } from '../db/schema/templates.js';
import { catalogFor, format, type Lang } from '../i18n/index.js';
import { REGISTRY_MESSAGES } from '../registry/texts.js';
import type { Access } from '../roles/policy.js';
import { ROLES } from '../roles/policy.js';
import type { Services } from '../services.js';
import { jsonForScript } from './frame-page.js';
import { REGISTRY_SCRIPT } from './app-registry-script.js';

/**
 * The app page's registry (issue 17 item 5) and, for admins, roles (item 3): server-rendered forms
 * and empty tables, filled by REGISTRY_SCRIPT through /api/registry and /api/roles.
 */
const CSS = `
.reg-filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end}.reg-filters label{display:flex;flex-direction:column;font-size:12px;color:#59626e}
.reg-filters input,.reg-filters select,#roles select,#roles input{height:30px;font:inherit;border:1px solid #c6cdd3;border-radius:6px;padding:0 6px;background:#fff}
.reg-actions{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:10px 0}.reg-table{overflow-x:auto}#registry td,#registry th{font-size:13px;white-space:nowrap}
#registry td:nth-child(2){white-space:normal;min-width:10rem}
`;

const STATUSES = ['draft', 'sent', 'in_progress', 'completed', 'declined', 'expired', 'voided'] as const;

/** Names of the portal's first employees, for the responsible column (best effort: ids otherwise). */
async function names(services: Services, portalId: string): Promise<Record<number, string>> {
  try {
    const rows = await services.bitrix24.forPortal(portalId).call<Record<string, unknown>[]>('user.get', { SORT: 'ID', ORDER: 'ASC' });
    const out: Record<number, string> = {};
    for (const u of Array.isArray(rows) ? rows : []) out[Number(u.ID)] = [u.NAME, u.LAST_NAME].filter((x) => typeof x === 'string' && x).join(' ') || `#${u.ID}`;
    return out;
  } catch {
    return {};
  }
}

export async function RegistryAndRoles(props: { services: Services; portalId: string; lang: Lang; token: string; nonce?: string; access: Access }) {
  const { services, portalId, lang, access } = props;
  const t = catalogFor(REGISTRY_MESSAGES, lang);
  if (access.role === 'none') return <p class="muted" id="registry-no-role">{t.noRole}</p>;
  const tpls = await services.db.select({ id: templates.id, name: templates.name }).from(templates).where(eq(templates.portalId, portalId));
  const isAdmin = access.role === 'admin';
  const boot = { token: props.token, lang, userId: access.userId, roles: ROLES, names: await names(services, portalId), t };
  return (
    <div>
      <style dangerouslySetInnerHTML={{ __html: CSS }} />
      <h2>{t.registry}</h2>
      <p class="muted" id="registry-role" data-role={access.role}>{format(t.yourRole, { role: t[`role_${access.role}`] })}</p>
      <div class="panel" id="registry">
        <form id="registry-filters" class="reg-filters">
          <label>{t.status}<select name="status"><option value="">{t.any}</option>{STATUSES.map((s) => <option value={s}>{t[`st_${s}`]}</option>)}</select></label>
          <label>{t.template}<select name="templateId"><option value="">{t.any}</option>{tpls.map((x) => <option value={x.id}>{x.name}</option>)}</select></label>
          <label>{t.responsible}<select name="responsible"><option value="">{t.any}</option><option value="me">{t.me}</option></select></label>
          <label>{t.crmItem}<select name="entityTypeId"><option value="">{t.any}</option>{[2, 1, 3, 4].map((n) => <option value={String(n)}>{t[`et_${n}` as 'et_2']}</option>)}</select></label>
          <label>{t.itemId}<input name="entityId" inputmode="numeric" pattern="[0-9]*" size={6} /></label>
          <label>{t.from}<input type="date" name="from" /></label>
          <label>{t.to}<input type="date" name="to" /></label>
          <button type="submit">{t.apply}</button>
        </form>
        <div class="reg-actions">
          <label><input type="checkbox" id="registry-all" /> {t.selectAll}</label>
          {access.role !== 'viewer' ? (
            <span>
              <button type="button" id="registry-resend">{t.resend}</button> <input id="registry-reason" placeholder={t.reason} aria-label={t.reason} maxlength={2000} />{' '}
              <button type="button" id="registry-void">{t.void}</button>
            </span>
          ) : (
            <span hidden><button type="button" id="registry-resend"></button><input id="registry-reason" /><button type="button" id="registry-void"></button></span>
          )}
          <button type="button" id="registry-export">{t.exportCsv}</button>
          <span id="registry-status" role="status"></span>
        </div>
        <div class="reg-table">
          <table>
            <thead><tr><th></th><th>{t.title}</th><th>{t.status}</th><th>{t.template}</th><th>{t.responsible}</th><th>{t.crmItem}</th><th>{t.created}</th><th>{t.signed}</th><th></th></tr></thead>
            <tbody id="registry-rows"></tbody>
          </table>
        </div>
        <p><button type="button" id="registry-more" hidden>{t.more}</button></p>
      </div>
      {isAdmin ? (
        <div>
          <h2>{t.roles}</h2>
          <div class="panel" id="roles">
            <p class="muted">{t.rolesHelp}</p>
            <table>
              <tbody>
                <tr><th>{t.everyone}</th><td id="roles-everyone"></td><td></td></tr>
              </tbody>
              <tbody id="roles-rows"></tbody>
            </table>
            <form id="roles-add" class="reg-filters">
              <label>{t.user} / {t.department}<select id="roles-add-type"><option value="user">{t.user}</option><option value="department">{t.department}</option></select></label>
              <label>{t.userId}<input id="roles-add-user" inputmode="numeric" pattern="[0-9]*" size={6} /></label>
              <select id="roles-add-department" aria-label={t.department} hidden></select>
              <label>{t.roles}<select id="roles-add-role">{ROLES.map((r) => <option value={r}>{t[`role_${r}`]}</option>)}</select></label>
              <button type="submit">{t.add}</button>
            </form>
            <p id="roles-status" role="status"></p>
            <h2>{t.changes}</h2>
            <ul id="roles-changes"></ul>
          </div>
        </div>
      ) : null}
      <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: `${REGISTRY_SCRIPT}(${jsonForScript(boot)});` }} />
    </div>
  );
}
