/**
 * CRM_*_DETAIL_TAB and CRM_*_DETAIL_TOOLBAR: the item's envelopes (already rendered by the server)
 * and the flows that make new ones.
 */
import { createApi } from '../shared/api.js';
import { makeT, readBoot } from '../shared/boot.js';
import { connectFrame } from '../shared/bx24.js';
import { clear, localiseTimes } from '../shared/dom.js';
import { endpoints } from '../shared/endpoints.js';
import { wireListActions } from '../shared/list-actions.js';
import type { ComposeStart } from '../shared/compose.js';

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

async function refresh() {
  if (!list || !entity) return;
  list.innerHTML = await ep.listFragment(entity);
  localiseTimes(list, boot.lang);
}

if (list) wireListActions(list, { boot, t, api, ep, frame, refresh });

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
      void refresh();
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
