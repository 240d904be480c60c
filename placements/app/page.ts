/**
 * REST_APP_URI (deep links from timeline buttons and chat) and the app's own page: one envelope with
 * its recipients' progress, its actions and its document.
 */
import { createApi } from '../shared/api.js';
import { makeT, readBoot } from '../shared/boot.js';
import { connectFrame } from '../shared/bx24.js';
import { localiseTimes } from '../shared/dom.js';
import { endpoints } from '../shared/endpoints.js';
import { wireListActions } from '../shared/list-actions.js';

const boot = readBoot();
const t = makeT(boot);
const api = createApi(boot.token);
const ep = endpoints(api);
const frame = connectFrame();
const list = document.getElementById('list');
localiseTimes(document.body, boot.lang);

if (list && boot.envelopeId) {
  const envelopeId = boot.envelopeId;
  wireListActions(list, {
    boot, t, api, ep, frame,
    refresh: async () => {
      list.innerHTML = await (await api.raw(`/api/card/envelopes/${encodeURIComponent(envelopeId)}/fragment`)).text();
      localiseTimes(list, boot.lang);
    },
  });
}
