/** @jsxImportSource hono/jsx */
import type { Lang } from '../../i18n/index.js';
import type { Portal } from '../../emulator/types.js';
import { firstValue, leadStatusName, money, personName, stageOf, userName, type TourState } from '../data.js';
import { SANDBOX } from '../config.js';
import type { SandboxT } from '../texts.js';
import { Layout } from './layout.js';

export function HomePage(props: { lang: Lang; t: SandboxT; portal: Portal; tour: TourState; tourDealId: string; back: string }) {
  const { t, portal: p, lang, tour } = props;
  const deal = p.deals.get(props.tourDealId);
  const dealUrl = `/sandbox/deal/${props.tourDealId}`;
  const steps: { href: string; title: string; text: string; done: boolean }[] = [
    { href: dealUrl, title: t('tour.1'), text: t('tour.1.d', { deal: String(deal?.TITLE ?? '') }), done: tour.sent },
    { href: `${dealUrl}?tab=CRM_DEAL_DETAIL_TAB`, title: t('tour.2'), text: t('tour.2.d'), done: tour.sent },
    { href: '/sandbox/mail', title: t('tour.3'), text: t('tour.3.d'), done: tour.mail },
    { href: tour.pendingInvitationId ? `/sandbox/mail?m=${tour.pendingInvitationId}` : '/sandbox/mail', title: t('tour.4'), text: t('tour.4.d'), done: tour.completed },
    { href: `${dealUrl}#timeline`, title: t('tour.5'), text: t('tour.5.d'), done: tour.completed },
    { href: '/v', title: t('tour.6'), text: t('tour.6.d'), done: false },
  ];
  const robotStage = stageOf(p, SANDBOX.robotStageId);
  const companies = (id: unknown) => String(p.companies.get(String(id))?.TITLE ?? '');
  return (
    <Layout lang={lang} t={t} title={t('nav.home')} section="home" back={props.back}>
      <section class="card tour" aria-labelledby="tour-h">
        <h2 id="tour-h">{t('tour.title')}</h2>
        <p class="muted">{t('tour.intro')}</p>
        <ol>
          {steps.map((s, i) => (
            <li class={s.done ? 'done' : undefined} data-step={i + 1}>
              {s.done ? <span class="ok">✓ {t('tour.done')}</span> : null}
              <span class="n" aria-hidden="true">
                {i + 1}
              </span>
              <a class="step" href={s.href} data-tour={i + 1}>
                <span class="sr">{`${i + 1}. `}</span>
                {s.title}
              </a>
              <p>{s.text}</p>
            </li>
          ))}
        </ol>
        <p class="small muted">
          {t('tour.robot', { stage: robotStage?.name ?? SANDBOX.robotStageId, pipeline: String(p.categories.find((x) => String(x.id) === '0')?.name ?? '0') })}
        </p>
      </section>

      <section class="card" id="deals" aria-labelledby="deals-h">
        <h2 id="deals-h">{t('nav.deals')}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('col.title')}</th>
              <th scope="col">{t('col.stage')}</th>
              <th scope="col">{t('col.amount')}</th>
              <th scope="col">{t('col.company')}</th>
              <th scope="col">{t('col.responsible')}</th>
            </tr>
          </thead>
          <tbody>
            {[...p.deals.values()].map((d) => {
              const st = stageOf(p, String(d.STAGE_ID));
              return (
                <tr data-deal={String(d.ID)}>
                  <td>
                    <a href={`/sandbox/deal/${d.ID}`}>{String(d.TITLE)}</a>
                  </td>
                  <td>
                    <span class="pill" style={`background:${st?.color ?? '#9aa1a9'}`}>
                      {st?.name ?? String(d.STAGE_ID)}
                    </span>
                  </td>
                  <td>{money(d.OPPORTUNITY, d.CURRENCY_ID, lang)}</td>
                  <td>{companies(d.COMPANY_ID)}</td>
                  <td>{userName(p, d.ASSIGNED_BY_ID)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      <section class="card" id="leads" aria-labelledby="leads-h">
        <h2 id="leads-h">{t('nav.leads')}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('col.title')}</th>
              <th scope="col">{t('col.status')}</th>
              <th scope="col">{t('col.name')}</th>
              <th scope="col">{t('col.company')}</th>
              <th scope="col">{t('col.amount')}</th>
            </tr>
          </thead>
          <tbody>
            {[...p.leads.values()].map((l) => (
              <tr>
                <td>{String(l.TITLE)}</td>
                <td>{leadStatusName(p, String(l.STATUS_ID))}</td>
                <td>{personName(l)}</td>
                <td>{String(l.COMPANY_TITLE ?? '')}</td>
                <td>{money(l.OPPORTUNITY, l.CURRENCY_ID, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section class="card" id="contacts" aria-labelledby="contacts-h">
        <h2 id="contacts-h">{t('nav.contacts')}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('col.name')}</th>
              <th scope="col">{t('col.position')}</th>
              <th scope="col">{t('col.company')}</th>
              <th scope="col">{t('col.email')}</th>
              <th scope="col">{t('col.phone')}</th>
            </tr>
          </thead>
          <tbody>
            {[...p.contacts.values()].map((c) => (
              <tr>
                <td>{personName(c)}</td>
                <td>{String(c.POST ?? '')}</td>
                <td>{companies(c.COMPANY_ID)}</td>
                <td>{firstValue(c.EMAIL)}</td>
                <td>{firstValue(c.PHONE)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
