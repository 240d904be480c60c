/**
 * REST_APP_URI (deep links from timeline buttons and chat): one envelope with its recipients'
 * progress and actions (rendered by the server), then its hash-chained history.
 */
import { createApi } from '../shared/api.js';
import { makeT, type PageBoot } from '../shared/boot.js';
import type { Frame } from '../shared/bx24.js';
import { clear, h, localiseTimes } from '../shared/dom.js';
import { endpoints } from '../shared/endpoints.js';
import { wireListActions } from '../shared/list-actions.js';
import { auditLabelKey, auditLabelVars } from './audit-label.js';
import { userMessage } from '../shared/errors.js';
import { DATE_LOCALES, DATE_TIME_OPTIONS } from '../../src/i18n/dates.js';
import type { Lang } from '../../src/i18n/index.js';

interface AuditRow {
  seq: number;
  type: string;
  actor: string;
  recipientId: string | null;
  at: string;
  data?: Record<string, unknown> | null;
}
type Chain = { ok: true; count: number } | { ok: false; count: number; firstBadSeq: number };

export function envelopePage(boot: PageBoot, frame: Frame) {
  const t = makeT(boot);
  const api = createApi(boot.token);
  const ep = endpoints(api);
  const list = document.getElementById('list');
  const detail = document.getElementById('detail');
  localiseTimes(document.body, boot.lang);

  async function history(envelopeId: string) {
    if (!detail) return;
    try {
      const [audit, env] = await Promise.all([
        api.get<{ chain: Chain; events: AuditRow[] }>(`/api/envelopes/${encodeURIComponent(envelopeId)}/audit`),
        ep.envelope(envelopeId),
      ]);
      const names = new Map(env.recipients.map((r) => [r.id, r.name]));
      const fmt = new Intl.DateTimeFormat(DATE_LOCALES[boot.lang as Lang] ?? boot.lang, DATE_TIME_OPTIONS);
      const who = (e: AuditRow) =>
        e.recipientId && names.has(e.recipientId) ? names.get(e.recipientId)!
        : e.actor.startsWith('user:') ? t('audit.user', { id: e.actor.slice(5) })
        : e.actor.startsWith('recipient:') ? (names.get(e.actor.slice(10)) ?? '')
        : t('audit.system');
      const label = (e: AuditRow) => {
        const key = auditLabelKey(e.type, e.data);
        const s = t(key, auditLabelVars(e.data));
        return s === key ? e.type : s;
      };
      clear(detail, h('div', { class: 'panel' },
        h('h2', {}, t('app.events')),
        h('p', { class: audit.chain.ok ? 'hint' : 'err' }, audit.chain.ok ? t('audit.intact', { n: audit.chain.count }) : t('audit.broken', { seq: audit.chain.firstBadSeq })),
        h('ol', { class: 'rcp', 'data-history': '' }, audit.events.map((e) =>
          h('li', {}, h('span', { class: 'muted' }, fmt.format(new Date(e.at))), h('span', { class: 'who' }, label(e)), h('span', { class: 'muted' }, who(e))))),
      ));
    } catch (e) {
      clear(detail, h('p', { class: 'err', role: 'alert' }, userMessage(t, e)));
    }
  }

  if (list && boot.envelopeId) {
    const envelopeId = boot.envelopeId;
    wireListActions(list, {
      boot, t, api, ep, frame,
      refresh: async () => {
        list.innerHTML = await (await api.raw(`/api/card/envelopes/${encodeURIComponent(envelopeId)}/fragment`)).text();
        localiseTimes(list, boot.lang);
        await history(envelopeId);
      },
    });
    if (list.querySelector('article')) void history(envelopeId);
  }
}
