/** @jsxImportSource hono/jsx */
import { catalogFor, format, LANGS, type Lang } from '../i18n/index.js';
import type { PortalSettings } from '../db/schema/portals.js';
import type { Access } from '../roles/policy.js';
import type { Services } from '../services.js';
import { portalTsaUrl } from '../settings/portal-sealer.js';
import { certificateView, logoOf, readPortalSettings, sealNameOf } from '../settings/store.js';
import { SETTINGS_MESSAGES } from '../settings/texts.js';
import { jsonForScript } from './frame-page.js';
import { SETTINGS_SCRIPT } from './app-settings-script.js';
import { FILE_CONTROL_CSS, FILE_CONTROL_SCRIPT, FileControl } from './file-control.js';

/**
 * The app page's settings section (issue 17 item 4), administrators only: the portal's seal
 * certificate, the TSA with a test button, defaults, sender name and logo, languages, and the change
 * log. Server-rendered with the current values; SETTINGS_SCRIPT talks to /api/settings.
 */
const CSS = `
#settings fieldset{border:1px solid #dfe3e8;border-radius:8px;margin:0 0 12px;padding:10px 12px}#settings legend{font-weight:600}
#settings label{display:flex;flex-direction:column;font-size:12px;color:#59626e;margin:4px 0}#settings .row{display:flex;flex-wrap:wrap;gap:10px;align-items:end}
#settings input[type=text],#settings input[type=url],#settings input[type=number],#settings input[type=password]{height:30px;font:inherit;border:1px solid #c6cdd3;border-radius:6px;padding:0 6px;background:#fff}
#settings .warn{color:#a15c00}#settings .bad{color:#b3261e}#settings .ok{color:#1b7f3b}#settings-logo-img{max-height:48px;max-width:200px;display:block;margin:4px 0}
#settings label.lang-choice{display:inline-flex;flex-direction:row;gap:4px;margin-right:8px}
#settings .field-title{display:block;font-size:12px;color:#59626e;margin:4px 0}
#settings .file-control label.file-button{display:inline-block;font-size:inherit;color:#111827;margin:0}
${FILE_CONTROL_CSS}
`;

const DAYS = [
  ['reminderFirstDays', 1, 90],
  ['reminderEveryDays', 1, 90],
  ['reminderMax', 0, 20],
  ['expiryDays', 1, 365],
] as const;

export async function SettingsPanel(props: { services: Services; portalId: string; lang: Lang; token: string; nonce?: string; access: Access }) {
  const { services, portalId, lang } = props;
  if (props.access.role !== 'admin') return null;
  const t = catalogFor(SETTINGS_MESSAGES, lang);
  const [settings, cert, logo] = await Promise.all([readPortalSettings(services.db, portalId).catch(() => ({}) as Record<string, unknown>), certificateView(services.db, portalId, services.clock.now()), logoOf(services.db, portalId)]);
  const num = (k: string) => (typeof settings[k] === 'number' ? String(settings[k]) : '');
  const langs = Array.isArray(settings.languages) ? (settings.languages as string[]) : [...LANGS];
  const platformTsa = services.config.TSA_URL ?? t.none;
  const boot = { token: props.token, lang, t };
  return (
    <div id="settings">
      <style dangerouslySetInnerHTML={{ __html: CSS }} />
      <h2>{t.settings}</h2>
      <div class="panel">
        <fieldset id="settings-seal">
          <legend>{t.sealTitle}</legend>
          <p class="muted">{format(t.sealHelp, { name: sealNameOf(cert?.company ?? '…') })}</p>
          {cert ? (
            <div id="settings-cert" data-leaf={cert.leafSha256}>
              <table>
                <tbody>
                  <tr><th>{t.subject}</th><td id="settings-cert-subject">{cert.subject}</td></tr>
                  <tr><th>{t.issuer}</th><td id="settings-cert-issuer">{cert.issuer}</td></tr>
                  <tr><th>{t.validUntil}</th><td id="settings-cert-expiry">{cert.notAfter.slice(0, 10)}</td></tr>
                  <tr><th>{t.sealedAs}</th><td>{cert.sealName}</td></tr>
                </tbody>
              </table>
              {cert.expired ? <p class="bad" id="settings-cert-warning">{t.expired}</p> : cert.expiringSoon ? <p class="warn" id="settings-cert-warning">{format(t.expiresSoon, { days: Math.max(cert.daysLeft, 0) })}</p> : null}
              <button type="button" id="settings-cert-remove">{t.remove}</button>
            </div>
          ) : (
            <p id="settings-cert-none" class="muted">{format(t.platformSeal, { name: services.sealer.signerName })}</p>
          )}
          <form id="settings-cert-form" class="row">
            <div>
              <span class="field-title" aria-hidden="true">{t.file}</span>
              <FileControl id="settings-cert-file" lang={lang} accept=".p12,.pfx,application/x-pkcs12" label={t.file} />
            </div>
            <label>{t.passphrase}<input type="password" id="settings-cert-pass" autocomplete="off" maxlength={1024} /></label>
            <button type="submit">{t.upload}</button>
          </form>
          <p id="settings-cert-status" role="status"></p>
        </fieldset>

        <fieldset id="settings-tsa">
          <legend>{t.tsaTitle}</legend>
          <div class="row">
            <label>{t.tsaUrl}<input type="url" id="settings-tsa-url" size={40} maxlength={500} value={portalTsaUrl(settings) ?? ''} placeholder="https://" /></label>
            <button type="button" id="settings-tsa-test">{t.test}</button>
          </div>
          <p class="muted">{format(t.tsaHelp, { url: platformTsa })}</p>
          <p id="settings-tsa-status" role="status"></p>
        </fieldset>

        <fieldset id="settings-defaults">
          <legend>{t.defaultsTitle}</legend>
          <div class="row">
            <label>{t.companySigner}<input type="number" id="settings-companySignerUserId" min={1} value={num('companySignerUserId')} /></label>
            {DAYS.map(([k, min, max]) => (
              <label>{t[k]}<input type="number" id={`settings-${k}`} min={min} max={max} value={num(k)} placeholder={t.platformDefault} /></label>
            ))}
          </div>
          <div class="row">
            <label>{t.senderName}<input type="text" id="settings-senderName" size={30} maxlength={100} value={(settings as PortalSettings).branding?.name ?? ''} /></label>
            <span>
              <span class="muted">{t.languages}</span>{' '}
              {LANGS.map((l) => (
                <label class="lang-choice"><input type="checkbox" name="settings-lang" value={l} checked={langs.includes(l)} />{l.toUpperCase()}</label>
              ))}
            </span>
          </div>
          <button type="button" id="settings-save">{t.save}</button> <span id="settings-status" role="status"></span>
        </fieldset>

        <fieldset id="settings-logo">
          <legend>{t.logoTitle}</legend>
          {logo ? <img id="settings-logo-img" alt="" src={`/logo/${encodeURIComponent(portalId)}/${logo.sha256}`} /> : null}
          <p class="muted">{t.logoHelp}</p>
          <div class="row">
            <FileControl id="settings-logo-file" lang={lang} accept="image/png,image/jpeg" label={t.logoTitle} />
            <button type="button" id="settings-logo-upload">{t.uploadLogo}</button>
            {logo ? <button type="button" id="settings-logo-remove">{t.remove}</button> : null}
          </div>
          <p id="settings-logo-status" role="status"></p>
        </fieldset>

        <h3>{t.changes}</h3>
        <ul id="settings-changes"></ul>
      </div>
      <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: `${SETTINGS_SCRIPT}(${jsonForScript(boot)});${FILE_CONTROL_SCRIPT}` }} />
    </div>
  );
}
