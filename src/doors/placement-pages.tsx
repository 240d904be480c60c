/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { CARD_MESSAGES, type CardKey } from '../i18n/card.js';
import { catalogFor, translator, type Lang } from '../i18n/index.js';
import type { Session } from '../http/session.js';
import type { AppEnv } from '../types.js';
import { describePlacement, parsePlacementOptions, type PlacementTarget } from '../card/context.js';
import { loadCardState, type CardState } from '../card/card-data.js';
import { appDeepLink } from '../card/links.js';
import { canChangeEmail, canResend, canVoid, deliveryReason, type CardDelivery, type CardEnvelope, type CardRecipient } from '../card/view.js';
import { PLACEMENT_CSS } from '../../placements/shared/styles.js';
import { formatDateTime } from '../i18n/dates.js';

/**
 * Everything the install/auth door knows after verifying a placement POST. It calls
 * renderPlacementPage with this; the page never sees Bitrix24 tokens, only our own session.
 */
export interface PlacementPageContext {
  session: Session;
  /** The signed session token the page's scripts send as `Authorization: Bearer …`. */
  token: string;
  /** PLACEMENT as posted (CRM_DEAL_DETAIL_TAB, REST_APP_URI, DEFAULT…). */
  placement: string;
  /** PLACEMENT_OPTIONS: the raw JSON string from the form, or an already parsed object. */
  options: unknown;
  /** The portal's stored domain (never the DOMAIN query parameter, which the caller controls). */
  portalDomain: string;
}

export type T = ReturnType<typeof translator<CardKey>>;

/** What the client script boots from; serialised into the page as JSON, never executed. */
export interface PageBoot {
  page: PlacementTarget['page'];
  token: string;
  lang: Lang;
  messages: Record<CardKey, string>;
  placement: string;
  options: Record<string, string>;
  entity: PlacementTarget['entity'];
  activityId: number | null;
  envelopeId: string | null;
  portalDomain: string;
  user: { id: number; isAdmin: boolean };
  appLinkBase: string;
  /** Only what the script needs: the list itself is already in the HTML, so it is not repeated here. */
  state: Pick<CardState, 'lastUsed'> | null;
}

/** `</script>` and line separators inside JSON would end or break the script element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export async function renderPlacementPage(c: Context<AppEnv>, ctx: PlacementPageContext): Promise<Response> {
  const { services } = c.var;
  const lang = ctx.session.lang;
  const messages = catalogFor(CARD_MESSAGES, lang);
  const t = translator(messages);
  const options = typeof ctx.options === 'string' || ctx.options === undefined ? parsePlacementOptions(ctx.options) : parsePlacementOptions(ctx.options);
  const target = describePlacement(ctx.placement, options);

  // Only the card and the app deep link need data before the first paint; the generator button's
  // list comes from Bitrix24 and loads after the page is on screen.
  const state =
    target.page === 'card' && target.entity
      ? await loadCardState(services, { portalId: ctx.session.portalId, ...target.entity })
      : target.page === 'app' && target.envelopeId
        ? await loadCardState(services, { portalId: ctx.session.portalId, envelopeId: target.envelopeId })
        : null;

  const boot: PageBoot = {
    page: target.page,
    token: ctx.token,
    lang,
    messages,
    placement: ctx.placement,
    options,
    entity: target.entity,
    activityId: target.activityId ?? null,
    envelopeId: target.envelopeId ?? null,
    portalDomain: ctx.portalDomain,
    user: { id: ctx.session.userId, isAdmin: ctx.session.isAdmin },
    appLinkBase: appDeepLink(services.config, ctx.portalDomain, {}),
    state: state ? { lastUsed: state.lastUsed } : null,
  };

  const script = target.page === 'card' ? 'crm-card' : target.page === 'docgen' ? 'docgen-button' : 'app';
  const body =
    target.page === 'card' ? (
      <CardPage t={t} lang={lang} state={state} hasEntity={Boolean(target.entity)} />
    ) : target.page === 'docgen' ? (
      <DocgenPage t={t} hasEntity={Boolean(target.entity)} />
    ) : (
      <AppPage t={t} lang={lang} state={state} envelopeId={target.envelopeId ?? null} />
    );

  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return c.html(
    '<!doctype html>' +
      (
        <html lang={lang}>
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width,initial-scale=1" />
            <title>{t('page.title')}</title>
            <style dangerouslySetInnerHTML={{ __html: PLACEMENT_CSS }} />
            <script type="application/json" id="b24s-boot" dangerouslySetInnerHTML={{ __html: jsonForScript(boot) }} />
            <script type="module" src={services.assets.url(`placements/${script}.js`)} />
          </head>
          <body>
            <main id="app" aria-live="polite">
              {body}
            </main>
          </body>
        </html>
      ).toString(),
  );
}

// ——— pages ———

function CardPage(p: { t: T; lang: Lang; state: CardState | null; hasEntity: boolean }) {
  const { t } = p;
  if (!p.hasEntity || !p.state) return <p class="panel err">{t('error.noEntity')}</p>;
  return (
    <>
      <div class="bar">
        <h1>{t('list.heading')}</h1>
        <StartButtons t={t} />
        <button type="button" class="btn" data-action="from-crm">
          {t('action.fromCrm')}
        </button>
      </div>
      <div id="workspace" />
      {p.state.lastUsed ? <SameAsLastTime t={t} last={p.state.lastUsed} /> : null}
      <section id="list" aria-label={t('list.heading')}>
        <EnvelopeList t={t} lang={p.lang} envelopes={p.state.envelopes} />
      </section>
    </>
  );
}

/** The two ways to start an envelope, on the card's bar and in its empty list. */
function StartButtons({ t }: { t: T }) {
  return (
    <>
      <button type="button" class="btn btn-primary" data-action="new">
        {t('action.new')}
      </button>
      <button type="button" class="btn" data-action="own">
        {t('action.ownPdf')}
      </button>
    </>
  );
}

function SameAsLastTime(p: { t: T; last: NonNullable<CardState['lastUsed']> }) {
  const { t, last } = p;
  const kind = t(`kind.${last.kind}` as CardKey) === `kind.${last.kind}` ? last.kind : t(`kind.${last.kind}` as CardKey);
  return (
    <div class="panel suggest" id="same" data-template={last.templateId} data-kind={last.kind}>
      <p>
        <strong>{t('same.title')}. </strong>
        {t('same.text', { template: last.templateName, kind, who: last.recipientsSummary })}
      </p>
      <button type="button" class="btn btn-primary" data-action="same">
        {t('same.use')}
      </button>
    </div>
  );
}

function DocgenPage(p: { t: T; hasEntity: boolean }) {
  const { t } = p;
  if (!p.hasEntity) return <p class="panel err">{t('error.noEntity')}</p>;
  // The compose screen that replaces the workspace carries the heading.
  return (
    <>
      <div id="workspace">
        <div class="panel">
          <h1>{t('docgen.heading')}</h1>
          <p class="muted">
            <span class="spin" aria-hidden="true" /> {t('new.loading')}
          </p>
        </div>
      </div>
    </>
  );
}

function AppPage(p: { t: T; lang: Lang; state: CardState | null; envelopeId: string | null }) {
  const { t } = p;
  if (!p.envelopeId) {
    return (
      <>
        <div class="bar">
          <h1>{t('page.title')}</h1>
        </div>
        <p class="panel">{t('app.home')}</p>
      </>
    );
  }
  const env = p.state?.envelopes[0];
  return (
    <>
      <div class="bar">
        <h1>{t('app.heading')}</h1>
      </div>
      <section id="list">{env ? <EnvelopeList t={t} lang={p.lang} envelopes={[env]} detail /> : <p class="panel">{t('app.notFound')}</p>}</section>
      <section id="detail" />
    </>
  );
}

// ——— the envelope list (also served as an HTML fragment after every action) ———

/** One formatter per rendered list: building an Intl.DateTimeFormat costs more than formatting with it. */
type Fmt = (iso: string | null) => string;

export function dateFormatter(lang: Lang): Fmt {
  // Server-side text is UTC; the page script rewrites <time> elements in the viewer's own zone.
  return (iso) => {
    if (!iso) return '';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : formatDateTime(lang, d);
  };
}

function When(p: { iso: string | null; fmt: Fmt }) {
  if (!p.iso) return null;
  return <time datetime={p.iso}>{p.fmt(p.iso)}</time>;
}

export function EnvelopeList(p: { t: T; lang: Lang; envelopes: CardEnvelope[]; detail?: boolean }) {
  const { t } = p;
  if (p.envelopes.length === 0) {
    return (
      <div class="panel empty">
        <div class="icon" aria-hidden="true">
          ✍️
        </div>
        <h2>{t('list.empty.title')}</h2>
        <p class="muted">{t('list.empty.text')}</p>
        <div class="actions">
          <StartButtons t={t} />
        </div>
      </div>
    );
  }
  const fmt = dateFormatter(p.lang);
  return (
    <div>
      {p.envelopes.map((e) => (
        <EnvelopeItem t={t} fmt={fmt} e={e} detail={p.detail} />
      ))}
    </div>
  );
}

function EnvelopeItem(p: { t: T; fmt: Fmt; e: CardEnvelope; detail?: boolean }) {
  const { t, e, fmt } = p;
  const titleId = `t-${e.id}`;
  return (
    <article class="env" data-envelope={e.id} data-status={e.status} aria-labelledby={titleId}>
      <div class="env-head">
        <h2 class="env-title" id={titleId}>
          {e.title}
        </h2>
        <span class={`badge badge-${e.status}`}>{t(`status.${e.status}` as CardKey)}</span>
      </div>
      <div class="env-meta">
        {e.createdByName
          ? withTime(t('env.created', { at: '\u0000', who: e.createdByName }), <When iso={e.createdAt} fmt={fmt} />)
          : withTime(t('env.createdNoWho', { at: '\u0000' }), <When iso={e.createdAt} fmt={fmt} />)}
      </div>
      <ol class="rcp">
        {e.recipients.map((r) => (
          <RecipientLine t={t} fmt={fmt} e={e} r={r} />
        ))}
      </ol>
      <div class="env-actions">
        {p.detail ? null : (
          <button type="button" class="btn btn-sm" data-action="open" data-envelope={e.id}>
            {t('action.open')}
          </button>
        )}
        {e.sealedPdfPath ? (
          <button type="button" class="btn btn-sm" data-action="download" data-envelope={e.id} data-href={e.sealedPdfPath}>
            {t('action.download')}
          </button>
        ) : null}
        {e.evidencePath ? (
          <button type="button" class="btn btn-sm" data-action="download" data-envelope={e.id} data-href={e.evidencePath} data-ext="zip">
            {t('action.downloadEvidence')}
          </button>
        ) : null}
        {e.verifyUrl ? (
          <button type="button" class="btn btn-sm" data-action="copy-verify" data-href={e.verifyUrl}>
            {t('action.copyVerify')}
          </button>
        ) : null}
        {canVoid(e) ? (
          <button type="button" class="btn btn-sm btn-danger" data-action="void" data-envelope={e.id} data-title={e.title}>
            {t('action.void')}
          </button>
        ) : null}
      </div>
    </article>
  );
}

function RecipientLine(p: { t: T; fmt: Fmt; e: CardEnvelope; r: CardRecipient }) {
  const { t, r, fmt } = p;
  const statusKey = `rstatus.${r.status}` as CardKey;
  // No e-mail only for an employee, who signs inside Bitrix24 (src/signing/envelopes.ts ZRecipientInput).
  const contact = r.email ?? r.phone ?? (r.email === null ? t('recipient.inPortal') : null);
  return (
    <li data-recipient={r.id} data-status={r.status}>
      <span class={`dot dot-${r.status}`} aria-hidden="true" />
      <span class="who">
        {r.order}. {r.name}
      </span>
      <span class="muted">
        {t(`party.${r.party}` as CardKey)} · {t(`role.${r.role}` as CardKey)}
        {contact ? ` · ${contact}` : ''}
      </span>
      <span>— {withTime(t(statusKey, { at: '\u0000' }), <When iso={r.at} fmt={fmt} />)}</span>
      {r.declineReason ? <span class="err">{t('rstatus.reason', { reason: r.declineReason })}</span> : null}
      {r.delivery.map((d) => <DeliveryNote t={t} d={d} />)}
      {canResend(p.e, r) ? (
        <button type="button" class="btn btn-link btn-sm" data-action="resend" data-envelope={p.e.id} data-recipient={r.id}>
          {t('action.resend')}
        </button>
      ) : null}
      {canChangeEmail(p.e, r) && r.email !== null ? (
        <button type="button" class="btn btn-link btn-sm" data-action="change-email" data-envelope={p.e.id} data-recipient={r.id} data-email={r.email}>
          {t('action.changeEmail')}
        </button>
      ) : null}
    </li>
  );
}

/** How the latest message on one channel is doing: nothing once sent (or only recorded), else sending / retrying / failed. */
function DeliveryNote(p: { t: T; d: CardDelivery }) {
  const { t, d } = p;
  const channel = t(`delivery.${d.channel}` as CardKey);
  // The stored error names SMTP and HTTP codes: the log has it; the card says why in words.
  const reason = t(`delivery.reason.${deliveryReason(d.error)}` as CardKey);
  if (d.status === 'failed') return <span class="err" data-delivery="failed">{t('delivery.failed', { channel, reason })}</span>;
  if (d.status !== 'queued') return null;
  if (d.error) return <span class="muted" data-delivery="retrying">{t('delivery.retrying', { channel, reason })}</span>;
  return <span class="muted" data-delivery="sending">{t('delivery.sending', { channel })}</span>;
}

/** Splits a translated sentence at the NUL marker so a <time> element sits where `{at}` was. */
function withTime(text: string, time: Child): Child {
  const i = text.indexOf('\u0000');
  if (i < 0) return text;
  return (
    <>
      {text.slice(0, i).trimEnd() ? text.slice(0, i) : ''}
      {time}
      {text.slice(i + 1)}
    </>
  );
}

/** The list as an HTML fragment, for the page script to swap in after an action. */
export function renderEnvelopeListFragment(lang: Lang, envelopes: CardEnvelope[], opts: { detail?: boolean } = {}): string {
  const t = translator(catalogFor(CARD_MESSAGES, lang));
  return (<EnvelopeList t={t} lang={lang} envelopes={envelopes} detail={opts.detail} />).toString();
}
