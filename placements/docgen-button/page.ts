/**
 * CRM_*_DOCUMENTGENERATOR_BUTTON and CRM_DEAL_ACTIVITY_TIMELINE_MENU: sign a document the CRM
 * document generator made for this item. The placement names only the item, so the page lists its
 * documents and lets the user pick one.
 */
import { createApi } from '../shared/api.js';
import { makeT, readBoot } from '../shared/boot.js';
import { connectFrame } from '../shared/bx24.js';
import { clear, h } from '../shared/dom.js';
import { endpoints } from '../shared/endpoints.js';
import { openCompose } from '../shared/compose.js';

const boot = readBoot();
const t = makeT(boot);
const ep = endpoints(createApi(boot.token));
const frame = connectFrame();
const workspace = document.getElementById('workspace');

if (workspace && boot.entity) {
  const entity = boot.entity;
  const start = () =>
    void openCompose(workspace, {
      boot, t, ep, frame, entity,
      onCancel: () => start(),
      onDone: () => clear(workspace, h('div', { class: 'panel' }, h('p', { role: 'status' }, t('toast.sent')))),
    }, { mode: 'docgen' });
  start();
}
