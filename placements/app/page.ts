/**
 * The app's own pages (PLACEMENT=DEFAULT and REST_APP_URI). A deep link shows one envelope
 * (./envelope.ts). The server's small frame pages (install wizard, status, start page) load this
 * script for the frame alone: fitting the slider and, on the install page, installFinish.
 */
import { readBoot } from '../shared/boot.js';
import { connectFrame } from '../shared/bx24.js';
import { envelopePage } from './envelope.js';

const frame = connectFrame();
// Only the install wizard's page asks (src/doors/install.tsx); the SDK refuses it outside an install.
if (document.body.hasAttribute('data-install-finish')) {
  void frame.installFinish().then(
    (done) => (document.body.dataset.installFinish = done ? 'done' : 'not-installing'),
    () => (document.body.dataset.installFinish = 'failed'),
  );
}
if (document.getElementById('b24s-boot')) envelopePage(readBoot(), frame);
// "Documents to sign" (src/doors/in-portal-sign.tsx): the deep link opens in the portal's slider when the SDK can.
document.addEventListener('click', (ev) => {
  const a = (ev.target as HTMLElement).closest<HTMLAnchorElement>('a[data-open-path]');
  if (a && frame.openPath(a.dataset.openPath!)) ev.preventDefault();
});
