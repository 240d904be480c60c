/** @jsxImportSource hono/jsx */
import type { Lang } from '../../i18n/index.js';
import type { Portal, Row, TimelineEntry, WorkflowRun } from '../../emulator/types.js';
import { dealStages, firstValue, money, personName, userName } from '../data.js';
import type { SandboxT } from '../texts.js';
import { Layout } from './layout.js';
import { PlacementFrame, type FramePost } from './frame.js';
import { formatDateTime } from '../../i18n/dates.js';

export interface AppButton {
  code: string;
  title: string;
}

export interface DealPageProps {
  lang: Lang;
  t: SandboxT;
  portal: Portal;
  deal: Row;
  tabs: AppButton[];
  toolbar: AppButton[];
  /** The open tab: 'general' or a placement code. */
  tab: string;
  /** The placement framed in the tab or in the slider. */
  frame?: { post: FramePost; title: string; in: 'tab' | 'slider' };
  flash?: string[];
  back: string;
  /** CSP nonce of the page's one script (the live update). */
  nonce?: string;
}

export type RobotState = 'starting' | 'waiting' | 'sent' | 'signed' | 'declined' | 'expired' | 'voided' | 'failed' | 'stopped';

/**
 * What a robot run is really doing, from the workflow Bitrix24 keeps: running with nothing logged yet
 * (the app prepares the document), running after the app logged the send (waiting for signatures),
 * or finished with the status the app returned to the workflow.
 */
export function robotState(run: Pick<WorkflowRun, 'status' | 'logs' | 'returnValues'> | undefined): RobotState | null {
  if (!run) return null;
  if (run.status === 'terminated') return 'stopped';
  if (run.status === 'running') return run.logs.length ? 'waiting' : 'starting';
  const status = String(run.returnValues?.status ?? '');
  if (status === 'error' || status === '') return 'failed';
  return (['sent', 'signed', 'declined', 'expired', 'voided'] as const).find((x) => x === status) ?? 'failed';
}

/** A fingerprint of what the deal page shows that the app changes in the background (the live script compares it). */
export function dealVersion(p: Portal, deal: Row, timeline: TimelineEntry[]): string {
  const id = str(deal.ID);
  const runs = [...p.workflows.values()].filter((w) => w.documentId[2] === `DEAL_${id}`);
  return [
    str(deal.STAGE_ID),
    timeline.length,
    Math.max(0, ...timeline.map((e) => e.updated)),
    runs.map((w) => `${w.workflowId}:${w.status}:${w.logs.length}:${str(w.returnValues?.status)}`).sort().join(','),
  ].join('|');
}

/**
 * The deal page follows the app without a reload: it asks /live for the fingerprint after 1.5 s, then
 * less often (×1.6 up to 20 s) while nothing changes; on a change it fetches the page once and swaps
 * the parts marked data-live (stage bar, automation, timeline), never the app's frame. Nothing is
 * asked while the tab is hidden; coming back asks at once.
 */
function liveScript(id: string, version: string): string {
  return `(function(){var v=${JSON.stringify(version)},min=1500,max=20000,d=min,tm=0;
function sched(){clearTimeout(tm);tm=0;if(!document.hidden)tm=setTimeout(tick,d);}
function swap(html){var doc=new DOMParser().parseFromString(html,'text/html');document.querySelectorAll('[data-live]').forEach(function(el){var n=doc.querySelector('[data-live="'+el.getAttribute('data-live')+'"]');if(n)el.replaceWith(document.importNode(n,true));});var s=document.getElementById('live-status');if(s)s.textContent=s.getAttribute('data-text');}
function tick(){if(document.hidden)return;fetch('/sandbox/deal/${id}/live',{cache:'no-store'}).then(function(r){if(!r.ok)throw 0;return r.json();}).then(function(j){if(j.version===v){d=Math.min(max,d*1.6);return;}v=j.version;d=min;var u=new URL(location.href);u.searchParams.delete('moved');u.searchParams.delete('robot');return fetch(u.pathname+u.search,{cache:'no-store'}).then(function(r){return r.text();}).then(swap);}).catch(function(){d=Math.min(max,d*2);}).then(sched);}
document.addEventListener('visibilitychange',function(){if(document.hidden){clearTimeout(tm);tm=0;}else{d=min;tick();}});
window.__dealLive={get delay(){return d;}};sched();})();`;
}

const asObj = (v: unknown): Row => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : {});
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** `http…` in plain text becomes a link; nothing else is interpreted (the text is the app's, still untrusted). */
function Linkified(props: { text: string }) {
  const parts = props.text.split(/(https?:\/\/[^\s<>"')\]]+)/g);
  return (
    <>
      {parts.map((s, i) =>
        i % 2 === 1 ? (
          <a href={s} target="_blank" rel="noopener">
            {s}
          </a>
        ) : (
          s
        ),
      )}
    </>
  );
}

function blockText(b: Row): string {
  const props = asObj(b.properties);
  if (b.type === 'withTitle') return `${str(props.title)}: ${blockText(asObj(props.block))}`;
  if (b.type === 'text' || b.type === 'largeText') return str(props.value);
  if (b.type === 'link') return str(props.text);
  return '';
}

/** Where a timeline button leads: relative paths open inside the sandbox (as in a Bitrix24 slider). */
const buttonHref = (uri: string) => (/^https?:\/\//i.test(uri) ? uri : `/sandbox/go?path=${encodeURIComponent(uri)}`);

function TimelineItem(props: { e: TimelineEntry; t: SandboxT; lang: Lang; pdfByFile: Map<string, string> }) {
  const { e, t } = props;
  const when = formatDateTime(props.lang, e.updated);
  if (e.kind === 'activity') {
    const l = asObj(e.layout);
    const header = asObj(l.header);
    const tags = Object.values(asObj(header.tags)).map(asObj);
    const blocks = Object.values(asObj(asObj(l.body).blocks)).map(asObj);
    const buttons = Object.values(asObj(asObj(l.footer).buttons)).map(asObj);
    return (
      <li class="activity" data-kind="activity">
        <div class="head">
          <span class="kind">{t('tl.activity')}</span>
          <strong>{str(header.title)}</strong>
          {tags.map((g) => (
            <span class={`tag ${str(g.type)}`}>{str(g.title)}</span>
          ))}
          <span class="when">{when}</span>
        </div>
        <div class="blocks">
          {blocks.map((b) => (
            <div>{blockText(b)}</div>
          ))}
        </div>
        {buttons.length ? (
          <div class="btns">
            {buttons.map((b) => {
              const uri = str(asObj(b.action).uri);
              return uri ? (
                <a class={`btn ${b.type === 'primary' ? 'primary' : ''}`} href={buttonHref(uri)} target={/^https?:/i.test(uri) ? '_blank' : undefined} rel="noopener">
                  {str(b.title)}
                </a>
              ) : null;
            })}
          </div>
        ) : null}
      </li>
    );
  }
  if (e.kind === 'logmessage') {
    return (
      <li data-kind="logmessage">
        <div class="head">
          <span class="kind">{t('tl.log')}</span>
          <strong>{str(e.fields.title)}</strong>
          <span class="when">{when}</span>
        </div>
        <div>
          <Linkified text={str(e.fields.text)} />
        </div>
      </li>
    );
  }
  return (
    <li class="comment" data-kind="comment">
      <div class="head">
        <span class="kind">{t('tl.comment')}</span>
        <span class="when">{when}</span>
      </div>
      <div>
        <Linkified text={str(e.fields.COMMENT)} />
      </div>
      {(e.files ?? []).map((f) => {
        const href = props.pdfByFile.get(f.name);
        return (
          <div class="small">
            {t('tl.file')}:{' '}
            {href ? (
              <a href={href} data-file={f.name} target="_blank" rel="noopener">
                {f.name}
              </a>
            ) : (
              <span>{f.name}</span>
            )}{' '}
            <span class="muted">({Math.round(f.bytes / 1024)} KB)</span>
          </div>
        );
      })}
    </li>
  );
}

/**
 * The emulator keeps only a comment file's name and size; the sealed PDF behind `<publicId>.pdf` is
 * the one the app's activity for that envelope links to (its PDF button), so the file links there.
 */
function pdfLinksByFile(entries: TimelineEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    if (e.kind !== 'activity') continue;
    const l = asObj(e.layout);
    const doc = Object.values(asObj(asObj(l.body).blocks)).map(asObj).find((b) => b.type === 'withTitle' && /^[A-Z0-9-]{6,}$/i.test(str(asObj(asObj(asObj(b.properties).block).properties).value)));
    const id = doc ? str(asObj(asObj(asObj(doc.properties).block).properties).value) : '';
    const pdf = Object.values(asObj(asObj(l.footer).buttons)).map(asObj).map((b) => str(asObj(b.action).uri)).find((u) => /\/s\/final\//.test(u));
    if (id && pdf) out.set(`${id}.pdf`, pdf);
  }
  return out;
}

export function DealPage(props: DealPageProps & { timeline: TimelineEntry[] }) {
  const { t, portal: p, deal: d, lang } = props;
  const id = str(d.ID);
  const stages = dealStages(p, str(d.CATEGORY_ID || '0'));
  const company = p.companies.get(str(d.COMPANY_ID));
  const contact = p.contacts.get(str(d.CONTACT_ID));
  const base = `/sandbox/deal/${id}`;
  const docs = [...p.documents.values()].filter((x) => x.entityTypeId === 2 && x.entityId === Number(id));
  const pdfByFile = pdfLinksByFile(props.timeline);
  // Robot runs on this deal (the workflow Bitrix24 keeps waiting until the app answers with bizproc.event.send).
  const runs = [...p.workflows.values()].filter((w) => w.documentId[2] === `DEAL_${id}`).sort((a, b) => b.startedAt - a.startedAt);
  const robotName = (code: string) => {
    const n = p.robots.find((r) => r.code === code)?.name as Record<string, string> | string | undefined;
    return typeof n === 'string' ? n : (n?.[lang] ?? n?.en ?? code);
  };
  /** The state of the newest run on this deal of the robot attached to a stage (runs are newest first). */
  const stageRobot = (stageId: string) => {
    const code = p.robotAttachments.find((r) => r.stageId === stageId)?.code;
    return code ? { name: robotName(code), state: robotState(runs.find((w) => w.code === code)) } : null;
  };
  return (
    <Layout lang={lang} t={t} title={str(d.TITLE)} section="deals" back={props.back}>
      <div style="display:flex;gap:12px;align-items:center;flex-wrap:wrap">
        <h1 style="flex:1">{str(d.TITLE)}</h1>
        {props.toolbar.length ? (
          <div role="group" aria-label={t('deal.toolbar')} style="display:flex;gap:8px">
            {props.toolbar.map((b) => (
              <a class={`btn ${b.code.endsWith('DOCUMENTGENERATOR_BUTTON') ? '' : 'primary'}`} href={`${base}?slider=${b.code}`} data-placement={b.code}>
                {b.code.endsWith('DOCUMENTGENERATOR_BUTTON') ? `${t('deal.docgen')} › ${b.title}` : b.title}
              </a>
            ))}
          </div>
        ) : null}
      </div>
      {(props.flash ?? []).map((f) => (
        <div class="flash" role="status">
          {f}
        </div>
      ))}
      <div class="stages" role="group" aria-label={t('deal.stages')} data-live="stages">
        {stages.map((s) => {
          const robot = s.robot ? stageRobot(s.id) : null;
          return (
            <form method="post" action={`${base}/stage`}>
              <input type="hidden" name="stage" value={s.id} />
              <button type="submit" style={`background:${s.color}`} aria-pressed={s.id === str(d.STAGE_ID) ? 'true' : 'false'} data-stage={s.id} title={robot ? t('deal.robot', { name: robot.name }) : s.name}>
                {s.name}
              </button>
              {robot ? (
                <span class="robot" data-robot-state={robot.state ?? 'idle'}>
                  ⚙ {robot.name}
                  {robot.state ? <span class={`tag ${robotTag(robot.state)}`} style="display:inline-block;margin:2px 0 0 4px">{t(`robot.state.${robot.state}`)}</span> : null}
                </span>
              ) : null}
            </form>
          );
        })}
      </div>
      <p id="live-status" role="status" data-text={t('deal.updated')} style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap" />
      <nav class="tabs" aria-label={str(d.TITLE)}>
        <a href={base} aria-current={props.tab === 'general' ? 'page' : undefined}>
          {t('deal.general')}
        </a>
        {props.tabs.map((b) => (
          <a href={`${base}?tab=${b.code}`} aria-current={props.tab === b.code ? 'page' : undefined} data-placement={b.code}>
            {b.title}
          </a>
        ))}
      </nav>
      {props.frame && props.frame.in === 'tab' ? (
        <section aria-label={props.frame.title}>
          <PlacementFrame post={props.frame.post} title={props.frame.title} />
          <p class="small muted">{t('deal.framed')}</p>
        </section>
      ) : (
        <div class="cols" style="margin-top:16px">
          <div>
            <section class="card" aria-labelledby="about-h">
              <h2 id="about-h">{t('deal.about')}</h2>
              <dl>
                <dt>{t('col.amount')}</dt>
                <dd>{money(d.OPPORTUNITY, d.CURRENCY_ID, lang)}</dd>
                <dt>{t('col.company')}</dt>
                <dd>{str(company?.TITLE)}</dd>
                <dt>{t('col.contact')}</dt>
                <dd>
                  {personName(contact)} {contact ? <span class="muted small">{firstValue(contact.EMAIL)}</span> : null}
                </dd>
                <dt>{t('col.responsible')}</dt>
                <dd>{userName(p, d.ASSIGNED_BY_ID)}</dd>
              </dl>
            </section>
            <div data-live="automation">
            {runs.length ? (
              <section class="card" aria-labelledby="wf-h" id="automation">
                <h2 id="wf-h">{t('deal.automation')}</h2>
                {runs.map((w) => (
                  <div data-workflow={w.status} style="margin-bottom:10px">
                    <strong>⚙ {robotName(w.code)}</strong> <span class={`tag ${robotTag(robotState(w)!)}`} data-robot-state={robotState(w)}>{t(`robot.state.${robotState(w)!}`)}</span>
                    <ul class="small" style="margin:4px 0 0;padding-left:18px">
                      {w.logs.map((l) => (
                        <li>{l.message}</li>
                      ))}
                    </ul>
                    {w.returnValues ? (
                      <div class="small muted">
                        {t('wf.returned')}:{' '}
                        {Object.entries(w.returnValues)
                          .filter(([, v]) => v !== '' && v !== null && v !== undefined)
                          .map(([k, v]) => `${k} = ${String(v)}`)
                          .join(' · ')}
                      </div>
                    ) : null}
                  </div>
                ))}
              </section>
            ) : null}
            </div>
            {docs.length ? (
              <section class="card" aria-labelledby="docs-h">
                <h2 id="docs-h">{t('deal.documents')}</h2>
                <ul>
                  {docs.map((x) => (
                    <li>{x.title}</li>
                  ))}
                </ul>
              </section>
            ) : null}
          </div>
          <section class="card" id="timeline" aria-labelledby="tl-h" data-live="timeline">
            <h2 id="tl-h">{t('deal.timeline')}</h2>
            {props.timeline.length ? (
              <ul class="tl">
                {props.timeline.map((e) => (
                  <TimelineItem e={e} t={t} lang={lang} pdfByFile={pdfByFile} />
                ))}
              </ul>
            ) : (
              <p class="muted">{t('deal.timeline.empty')}</p>
            )}
          </section>
        </div>
      )}
      {props.frame && props.frame.in === 'slider' ? (
        <div class="slider" role="dialog" aria-modal="true" aria-label={props.frame.title}>
          <div class="panel">
            <div class="bar">
              <h2 style="margin:0">{props.frame.title}</h2>
              <a class="btn" href={base} data-close-slider>
                {t('deal.close')}
              </a>
            </div>
            <PlacementFrame post={props.frame.post} title={props.frame.title} />
          </div>
        </div>
      ) : null}
      {props.nonce ? <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: liveScript(id, dealVersion(p, d, props.timeline)) }} /> : null}
    </Layout>
  );
}

function robotTag(state: RobotState): string {
  return state === 'signed' || state === 'sent' ? 'success' : state === 'failed' || state === 'declined' ? 'failure' : state === 'starting' || state === 'waiting' ? 'warning' : 'secondary';
}
