/**
 * The page's side of the Bitrix24 frame, through Bitrix24's own SDK (@bitrix24/b24jssdk, bundled at
 * build time): the SDK reads DOMAIN|PROTOCOL|APP_SID from the frame's name, asks the portal for its
 * init data and carries every call by postMessage in the portal's own protocol. Nothing is loaded
 * from another host. Everything degrades to a no-op when the page is not framed (opened directly,
 * or the portal never answers): the page still works, just unframed.
 */
import { initializeB24Frame, type B24Frame, type SelectedCRM, type SelectCRMParams, type SelectedUser } from '@bitrix24/b24jssdk';

export type { SelectedCRM, SelectedUser };

export interface Frame {
  /** Resolves true once the portal has answered the SDK's getInitData, false if it never does. */
  ready: Promise<boolean>;
  fit(): void;
  /** Opens a portal path (a CRM card, a deep link) in the portal's slider; false when unframed. */
  openPath(path: string): boolean;
  /** Bitrix24's own pickers exist only inside the portal. */
  canPick(): boolean;
  /** Bitrix24's employee picker (every employee, with its search); null when closed without a choice. */
  selectUser(): Promise<SelectedUser | null>;
  /** Bitrix24's CRM picker; null when unframed. */
  selectCRM(params: SelectCRMParams): Promise<SelectedCRM | null>;
  /**
   * Tells the portal the install wizard is done (nothing of the app shows until then). The SDK allows
   * it only while the portal says the app is being installed (init data INSTALL), so it runs once.
   */
  installFinish(): Promise<boolean>;
}

const WAIT_MS = 6000;

export function connectFrame(): Frame {
  let b24: B24Frame | undefined;
  const framed = window.parent !== window;
  if (framed) document.documentElement.classList.add('framed');

  const ready = new Promise<boolean>((resolve) => {
    if (!framed) return resolve(false);
    const timer = setTimeout(() => resolve(false), WAIT_MS);
    initializeB24Frame().then(
      (frame) => {
        clearTimeout(timer);
        b24 = frame;
        resolve(true);
      },
      () => {
        // No DOMAIN|PROTOCOL|APP_SID in the frame's name: framed by something other than a portal.
        clearTimeout(timer);
        resolve(false);
      },
    );
  });

  // fitWindow after every layout change, at most once per frame: the slider grows with the content
  // and the page never shows its own scrollbar.
  let queued = false;
  let lastHeight = -1;
  const fit = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const h = document.documentElement.scrollHeight;
      if (!b24 || h === lastHeight) return;
      lastHeight = h;
      void b24.parent.fitWindow().catch(() => undefined);
    });
  };
  void ready.then((ok) => {
    // Marks the page as live for tests and tools: scripts are wired and the frame is known.
    document.documentElement.dataset.ready = ok ? 'framed' : 'standalone';
    if (!ok) {
      document.documentElement.classList.remove('framed');
      return;
    }
    fit();
    new ResizeObserver(fit).observe(document.body);
    new MutationObserver(fit).observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
  });

  return {
    ready,
    fit,
    openPath(path) {
      if (!b24) return false;
      void b24.slider.openPath(b24.slider.getUrl(path)).catch(() => undefined);
      return true;
    },
    canPick: () => Boolean(b24),
    async selectUser() {
      return b24 ? ((await b24.dialog.selectUser()) ?? null) : null;
    },
    async selectCRM(params) {
      return b24 ? b24.dialog.selectCRM(params) : null;
    },
    async installFinish() {
      if (!(await ready) || !b24?.isInstallMode) return false;
      await b24.installFinish();
      return true;
    },
  };
}
