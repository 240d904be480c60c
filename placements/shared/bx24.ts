/**
 * The thin layer over Bitrix24's BX24 JS inside the iframe. Everything degrades to a no-op when the
 * library is missing (page opened directly, script blocked): the page still works, just unframed.
 */
interface BX24Like {
  init(cb: () => void): void;
  fitWindow(cb?: () => void): void;
  resizeWindow?(w: number | string, h: number, cb?: () => void): void;
  openPath?(path: string, cb?: (r: unknown) => void): void;
  placement?: { info(): { placement: string; options: Record<string, unknown> } };
  getAuth?(): unknown;
}

declare global {
  interface Window {
    BX24?: BX24Like;
  }
}

export interface Frame {
  /** Resolves true once BX24.init has called back, false if BX24 never arrived. */
  ready: Promise<boolean>;
  fit(): void;
  /** Opens a portal path (a CRM card, a deep link) in the portal's slider; false when unframed. */
  openPath(path: string): boolean;
}

const WAIT_MS = 6000;

export function connectFrame(): Frame {
  let bx: BX24Like | undefined;
  const framed = window.parent !== window;
  if (framed) document.documentElement.classList.add('framed');

  const ready = new Promise<boolean>((resolve) => {
    const start = () => {
      const lib = window.BX24;
      if (!lib) return false;
      lib.init(() => {
        bx = lib;
        resolve(true);
      });
      return true;
    };
    if (start()) return;
    const script = document.getElementById('bx24-js');
    const timer = setTimeout(() => resolve(false), WAIT_MS);
    script?.addEventListener('load', () => {
      if (!start()) resolve(false);
      clearTimeout(timer);
    });
    script?.addEventListener('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
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
      if (!bx || h === lastHeight) return;
      lastHeight = h;
      bx.fitWindow();
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
      if (!bx?.openPath) return false;
      bx.openPath(path);
      return true;
    },
  };
}
