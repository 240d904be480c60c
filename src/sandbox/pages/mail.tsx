/** @jsxImportSource hono/jsx */
import type { Message } from '../../db/schema/messages.js';
import { parseImText } from '../../emulator/im-text.js';
import type { Lang } from '../../i18n/index.js';
import type { SandboxT } from '../texts.js';
import { Layout } from './layout.js';
import { formatDateTime } from '../../i18n/dates.js';

/** A portal path (a REST_APP_URI deep link in a messenger message) opens the sandbox's page for it. */
function hrefOf(link: string): string {
  try {
    const u = new URL(link);
    if (u.pathname.startsWith('/marketplace/view/')) return `/sandbox/go?path=${encodeURIComponent(u.pathname + u.search)}`;
  } catch {
    /* not a URL: left as written */
  }
  return link;
}

/**
 * A messenger notification as the portal user sees it: its formatting codes rendered the way the
 * messenger does (src/emulator/im-text.ts, from b24restdocs api-reference/chats/messages/index.md),
 * so `[URL=…]Review and sign[/URL]` is a link named "Review and sign", never visible code.
 */
function ImBody(props: { text: string }) {
  return (
    <div class="body" data-mail-body data-im>
      {parseImText(props.text).map((s) =>
        s.kind === 'break' ? (
          <br />
        ) : s.kind === 'link' ? (
          <a href={hrefOf(s.href)} target="_blank" rel="noopener" data-link>
            {s.text}
          </a>
        ) : s.bold || s.italic || s.underline || s.strike ? (
          <span style={[s.bold ? 'font-weight:600' : '', s.italic ? 'font-style:italic' : '', s.underline || s.strike ? `text-decoration:${[s.underline ? 'underline' : '', s.strike ? 'line-through' : ''].join(' ').trim()}` : ''].filter(Boolean).join(';')}>{s.text}</span>
        ) : (
          s.text
        ),
      )}
    </div>
  );
}

/** Links in a message body: our own pages open in a new tab so the mailbox stays at hand. */
function Body(props: { text: string }) {
  const parts = props.text.split(/(https?:\/\/[^\s<>"')\]]+)/g);
  return (
    <div class="body" data-mail-body>
      {parts.map((s, i) =>
        i % 2 === 1 ? (
          <a href={hrefOf(s)} target="_blank" rel="noopener" data-link>
            {s}
          </a>
        ) : (
          s
        ),
      )}
    </div>
  );
}

export function MailPage(props: { lang: Lang; t: SandboxT; messages: Message[]; selected?: Message; userNames: Map<string, string>; back: string; nonce: string }) {
  const { t, lang } = props;
  const fmt = (d: Date) => formatDateTime(lang, d);
  const to = (m: Message) => (m.to.startsWith('b24user:') ? `${props.userNames.get(m.to.slice(8)) ?? m.to} (Bitrix24)` : m.to);
  const sel = props.selected;
  return (
    <Layout lang={lang} t={t} title={t('mail.title')} section="mail" back={props.back}>
      <h1>{t('mail.title')}</h1>
      <p class="muted">{t('mail.intro')}</p>
      <p id="mail-new" class="flash" role="status" hidden>
        {t('mail.new')}
      </p>
      {props.messages.length === 0 ? (
        <div class="card">
          <p>{t('mail.empty')}</p>
        </div>
      ) : (
        <div class="mail">
          <section class="card" aria-label={t('mail.title')} style="padding:6px 0">
            <ul>
              {props.messages.map((m) => (
                <li>
                  <a href={`/sandbox/mail?m=${m.id}`} aria-current={sel?.id === m.id ? 'true' : undefined} data-message={m.id} data-template={m.template} data-to={m.to}>
                    <span class="subj">{m.subject}</span>
                    <span class="meta">
                      {to(m)} · {fmt(m.createdAt)}
                      <span class={`chip ${m.template}`}>{t(`tpl.${m.template}`)}</span>
                      <span class="chip">{m.channel === 'im' ? t('mail.kind.im') : t('mail.kind.email')}</span>
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          </section>
          <section class="card" aria-live="polite">
            {sel ? (
              <article data-selected={sel.id}>
                <h2>{sel.subject}</h2>
                <p class="small muted">
                  {t('mail.to')}: {to(sel)} · {t('mail.when')}: {fmt(sel.createdAt)}
                </p>
                {sel.channel === 'im' ? <ImBody text={sel.body} /> : <Body text={sel.body} />}
                {sel.html ? (
                  <details style="margin-top:12px">
                    <summary>{t('mail.html')}</summary>
                    {/* The recorded HTML as a mail client shows it: no scripts, links open a new tab. */}
                    <iframe title={t('mail.html')} sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc={sel.html.replace(/<a /g, '<a target="_blank" ')}></iframe>
                  </details>
                ) : null}
              </article>
            ) : (
              <p class="muted">{t('mail.select')}</p>
            )}
          </section>
        </div>
      )}
      <script
        nonce={props.nonce}
        dangerouslySetInnerHTML={{
          // New mail (a code just asked for on the signing page) shows up without a manual reload.
          __html: `(function(){var n=${props.messages.length};setInterval(function(){fetch('/sandbox/mail/count',{cache:'no-store'}).then(function(r){return r.json()}).then(function(j){if(j.count!==n){document.getElementById('mail-new').hidden=false;setTimeout(function(){location.reload()},400);n=j.count;}}).catch(function(){});},2500);})();`,
        }}
      />
    </Layout>
  );
}
