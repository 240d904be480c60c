/**
 * CRM_*_DETAIL_TAB and CRM_*_DETAIL_TOOLBAR: the item's envelopes (already rendered by the server)
 * and the flows that make new ones.
 */
import { createApi } from '../shared/api.js';
import { makeT, readBoot } from '../shared/boot.js';
import { connectFrame } from '../shared/bx24.js';
import { clear, h, localiseTimes } from '../shared/dom.js';
import { endpoints } from '../shared/endpoints.js';
import { wireListActions } from '../shared/list-actions.js';
import type { ComposeStart } from '../shared/compose.js';
import type { LastUsed } from '../../src/card/card-data.js';
import type { CardKey } from '../../src/i18n/card.js';

const boot = readBoot();
const t = makeT(boot);
const api = createApi(boot.token);
const ep = endpoints(api);
const frame = connectFrame();
const app = document.getElementById('app')!;
const list = document.getElementById('list');
const workspace = document.getElementById('workspace');
const entity = boot.entity;

localiseTimes(app, boot.lang);

let shownList = '';
/**
 * Swaps in the item's list as the server renders it now; with `same`, also the "same as last time"
 * offer (after a send: it names the document just sent, or goes away on this item). Answers whether
 * the list changed. Focus stays on the same button when the list is swapped under it.
 */
async function refresh(o: { same?: boolean } = { same: true }): Promise<boolean> {
  if (!list || !entity) return false;
  const [html, state] = await Promise.all([ep.listFragment(entity), o.same ? ep.cardState(entity) : Promise.resolve(null)]);
  if (state) {
    boot.state = { lastUsed: state.lastUsed };
    renderSame(state.lastUsed);
  }
  if (html === shownList) return false;
  const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement : null;
  const key = focused ? ['action', 'envelope', 'recipient'].map((k) => focused.dataset[k] ?? '').join('|') : null;
  list.innerHTML = html;
  shownList = html;
  localiseTimes(list, boot.lang);
  if (key) {
    for (const el of list.querySelectorAll<HTMLElement>('[data-action]')) {
      if (['action', 'envelope', 'recipient'].map((k) => el.dataset[k] ?? '').join('|') === key) {
        el.focus();
        break;
      }
    }
  }
  return true;
}

function renderSame(last: LastUsed | null) {
  app.querySelector('#same')?.remove();
  if (!last || !list) return;
  const kindKey = `kind.${last.kind}` as CardKey;
  const kind = t(kindKey) === kindKey ? last.kind : t(kindKey);
  const panel = h('div', { class: 'panel suggest', id: 'same', 'data-template': last.templateId, 'data-kind': last.kind },
    h('p', {}, h('strong', {}, `${t('same.title')}. `), t('same.text', { template: last.templateName, kind, who: last.recipientsSummary })),
    h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'same' }, t('same.use')));
  panel.hidden = list.hidden;
  list.before(panel);
}

/**
 * The list follows what happens elsewhere (a robot sending after a stage move, a recipient signing)
 * without a reload: its fingerprint (/version) is asked after 2 s, then less and less often (×1.6 up to 30 s) while
 * nothing changes, and quickly again after a change. Nothing is asked while the tab is hidden, while
 * the sender composes, or while a dialog is open; coming back asks at once.
 */
const LIVE = { min: 2_000, max: 30_000, factor: 1.6 };
let liveDelay = LIVE.min;
let liveTimer: ReturnType<typeof setTimeout> | undefined;
function liveSchedule() {
  clearTimeout(liveTimer);
  liveTimer = undefined;
  if (!document.hidden) liveTimer = setTimeout(() => void liveTick(), liveDelay);
}
let shownVersion: string | null = null;
async function liveTick() {
  if (document.hidden) return;
  if (list && entity && !list.hidden && !document.querySelector('dialog[open]')) {
    try {
      // Only a fingerprint each time; the list itself when it differs (and once, to start from a known one).
      const { version } = await ep.listVersion(entity);
      const changed = version !== shownVersion && (await refresh({ same: false }));
      shownVersion = version;
      liveDelay = changed ? LIVE.min : Math.min(LIVE.max, liveDelay * LIVE.factor);
    } catch {
      liveDelay = Math.min(LIVE.max, liveDelay * 2);
    }
  }
  liveSchedule();
}
if (list && entity) {
  shownList = list.innerHTML;
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      clearTimeout(liveTimer);
      liveTimer = undefined;
    } else {
      liveDelay = LIVE.min;
      void liveTick();
    }
  });
  liveSchedule();
}

if (list) wireListActions(list, { boot, t, api, ep, frame, refresh: async () => void (await refresh()) });

function setBusy(composing: boolean) {
  for (const el of app.querySelectorAll<HTMLElement>('.bar > .btn, #same')) el.hidden = composing;
  if (list) list.hidden = composing;
}

async function compose(start: ComposeStart) {
  if (!workspace || !entity) return;
  setBusy(true);
  const { openCompose } = await import('../shared/compose.js');
  const close = () => {
    clear(workspace);
    setBusy(false);
    (app.querySelector('.bar .btn') as HTMLElement | null)?.focus();
  };
  await openCompose(workspace, {
    boot, t, ep, frame, entity,
    onCancel: close,
    onDone: () => {
      close();
      liveDelay = LIVE.min;
      void refresh().then(liveSchedule, liveSchedule);
    },
  }, start);
}

app.addEventListener('click', (ev) => {
  const btn = (ev.target as HTMLElement).closest<HTMLElement>('[data-action]');
  if (!btn) return;
  switch (btn.dataset.action) {
    case 'new':
      return void compose({ mode: 'template' });
    case 'own':
      return void compose({ mode: 'pdf' });
    case 'from-crm':
      return void compose({ mode: 'docgen' });
    case 'same': {
      const last = boot.state?.lastUsed;
      if (last) void compose({ mode: 'template', templateId: last.templateId, slots: last.slots, sameAsLast: true });
      return;
    }
  }
});

// The toolbar entry is an action ("Send for signing"): open straight on a new document; Cancel shows the list.
if (/_DETAIL_TOOLBAR$/.test(boot.placement) && entity) void compose({ mode: 'template' });
