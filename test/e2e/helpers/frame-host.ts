/**
 * A stand-in for the Bitrix24 page that frames a placement, for browser tests.
 *
 * Bitrix24 opens a placement by POSTing a form into an iframe named `DOMAIN|PROTOCOL|APP_SID`; the page
 * inside talks to the portal through Bitrix24's SDK (postMessage). Here:
 * - the emulator (src/emulator) builds the exact frame POST it would send (captured, not delivered);
 * - a host page on the portal's origin (`https://<portal>.bitrix24.test/…`) holds a form with those
 *   fields, targets the named iframe with it and submits, as the portal does;
 * - the host page answers the SDK's messages with the sandbox's portal side (src/sandbox/bx24.ts: init
 *   data, resizeWindow, openPath, selectUser and selectCRM from the portal's own people and CRM,
 *   setInstallFinish…) and records every call in `window.__bx24`;
 * - Chromium's requests are routed in-process: our app at `https://b24sign.test` via `app.fetch`, the
 *   portal's pages from here, everything else refused. No port is opened, and the origins are real
 *   https origins, so the CSP `frame-ancestors` check runs exactly as in production.
 */
import { chromium, type Browser, type BrowserContext, type Page, type Frame, type Route } from 'playwright-core';
import { createApp } from '../../../src/app.js';
import { createJobHandlers } from '../../../src/entry/jobs.js';
import { createJobRunner } from '../../../src/jobs/runner.js';
import type { Services } from '../../../src/services.js';
import { phpParseQuery } from '../../../src/emulator/index.js';
import { hostScript, portalFrame, type PortalFrame } from '../../../src/sandbox/bx24.js';
import { startEmulator, type StartedEmulator } from '../../helpers/emulator.js';
import { createTestServices } from '../../helpers/services.js';

export const APP_ORIGIN = 'https://b24sign.test';
export const CLIENT_ID = 'local.b24sign.card';
const CLIENT_SECRET = 'card-secret';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export interface FrameHost {
  services: Services & { testDb: { close(): Promise<void> } };
  app: ReturnType<typeof createApp>;
  emu: StartedEmulator;
  memberId: string;
  domain: string;
  portalId: string;
  browser: Browser;
  context: BrowserContext;
  /** Opens a placement the way the portal does; returns the host page and the placement's frame once its script ran. */
  /** `handler`: one of the app's handler URLs for the placement (DEFAULT: the install URL unless the app page, `${APP_ORIGIN}/b24/app`, is named). */
  open(o: { placement: string; options: Record<string, unknown>; lang?: string; userId?: string; width?: number; install?: boolean; handler?: string }): Promise<{ page: Page; frame: Frame }>;
  /** The frame POST the portal would send for this placement (not delivered): replay it with app.request. */
  framePost(o: { placement: string; options: Record<string, unknown>; lang?: string; userId?: string; handler?: string }): Promise<{ url: string; body: string }>;
  /** The SDK calls the page under test made, as the host page recorded them. */
  bx24Calls(page: Page): Promise<{ cmd: string; params: Record<string, unknown> }[]>;
  /**
   * The portal pages openPath asked the slider for. The SDK prefixes a width-choosing detour and adds
   * IFRAME=Y&IFRAME_TYPE=SIDE_SLIDER (packages/jssdk/src/frame/slider.ts); this is the page it lands on.
   */
  openedPaths(page: Page): Promise<string[]>;
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function hostPage(frame: PortalFrame, width: number): string {
  const inputs = Object.entries(frame.fields).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Bitrix24 (test host)</title>
<style>body{margin:0;background:#eef2f4;font:14px system-ui}header{padding:10px 16px;background:#fff;border-bottom:1px solid #dfe3e8}
#slot{width:${width}px;margin:12px auto;background:#fff}iframe{display:block;width:100%;border:0;height:120px}</style></head>
<body><header>CRM › Deal — app frame</header><div id="slot"><iframe name="${escapeHtml(frame.name)}" id="b24frame" title="app"></iframe></div>
<form id="b24form" method="POST" target="${escapeHtml(frame.name)}" action="${escapeHtml(frame.action)}">${inputs}</form>
<script>${hostScript(frame)}</script></body></html>`;
}

export async function startFrameHost(o: { env?: Record<string, string>; pdfDelayMs?: number } = {}): Promise<FrameHost> {
  const services = await createTestServices({
    env: {
      PUBLIC_URL: APP_ORIGIN,
      BITRIX24_CLIENT_ID: CLIENT_ID,
      BITRIX24_CLIENT_SECRET: CLIENT_SECRET,
      ...o.env,
    },
  });
  const app = createApp(services);
  const deliverToApp = (req: Request) => app.request(req);
  const emu = await startEmulator({ appFetch: deliverToApp, ...(o.pdfDelayMs !== undefined ? { pdfDelayMs: o.pdfDelayMs } : {}) });
  const portal = await emu.control.createPortal({ languageId: 'en' });
  const install = await emu.control.installApp({ memberId: portal.memberId, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, installUrl: `${APP_ORIGIN}/b24/install`, flavour: 'event' });
  if (install.delivery && install.delivery.status >= 300) throw new Error(`install answered ${install.delivery.status}`);
  const { portals } = await import('../../../src/db/schema/portals.js');
  const { eq } = await import('drizzle-orm');
  const [row] = await services.db.select({ id: portals.id }).from(portals).where(eq(portals.memberId, portal.memberId));
  if (!row) throw new Error('install did not store the portal');

  // Jobs run as in production (document-generator PDF fetch, timeline writes), polled briskly.
  const jobs = createJobRunner({ db: services.db, handlers: createJobHandlers(), services, logger: services.logger, concurrency: 2, pollMs: 100, leaseMs: 30_000, workerId: 'frame-host' });
  jobs.start();

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  const hostPages = new Map<string, string>();
  let hostSeq = 0;

  await context.route('**/*', async (route: Route) => {
    const req = route.request();
    const url = new URL(req.url());
    if (url.origin === APP_ORIGIN) {
      const headers = await req.allHeaders();
      const body = req.method() === 'GET' || req.method() === 'HEAD' ? undefined : (req.postDataBuffer() ?? undefined);
      const res = await app.fetch(new Request(url, { method: req.method(), headers, body: body ? new Uint8Array(body) : undefined }));
      const resHeaders: Record<string, string> = {};
      res.headers.forEach((v, k) => (resHeaders[k] = v));
      return route.fulfill({ status: res.status, headers: resHeaders, body: Buffer.from(await res.arrayBuffer()) });
    }
    if (url.hostname === portal.domain) {
      const html = hostPages.get(url.pathname);
      if (html) return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
      // Links the page opens in the portal (CRM cards, deep links) land on a blank portal page.
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>portal</title>' });
    }
    return route.abort('blockedbyclient');
  });

  const host: FrameHost = {
    services,
    app,
    emu,
    memberId: portal.memberId,
    domain: portal.domain,
    portalId: row.id,
    browser,
    context,
    async framePost({ placement, options, lang = 'en', userId, handler }) {
      // Let the emulator build the exact POST it would send, and keep it instead of delivering it.
      let captured: { url: string; body: string } | undefined;
      emu.setAppFetch(async (req) => {
        captured = { url: req.url, body: await req.text() };
        return new Response('captured', { status: 200 });
      });
      try {
        await emu.control.openPlacement({ memberId: portal.memberId, placement, options, lang, ...(userId ? { userId } : {}), ...(handler ? { handler } : {}) });
      } finally {
        emu.setAppFetch(deliverToApp);
      }
      if (!captured) throw new Error('the emulator sent no frame POST');
      return captured;
    },
    async open({ placement, options, lang = 'en', userId, width = 1000, install = false, handler: appHandler }) {
      const captured = await host.framePost({ placement, options, lang, ...(userId ? { userId } : {}), ...(appHandler ? { handler: appHandler } : {}) });
      const query = Object.fromEntries(new URL(captured.url).searchParams);
      const handler = new URL(captured.url);
      handler.search = '';
      const path = `/crm/_frame_${++hostSeq}/`;
      const p = emu.control.portal(portal.memberId);
      const framed = portalFrame({
        parentOrigin: `https://${portal.domain}`, handler: handler.toString(), query, body: phpParseQuery(captured.body) as Record<string, string>,
        portal: p, isAdmin: p.admins.has(userId ?? p.adminUserId), install, path,
      });
      hostPages.set(path, hostPage(framed, width));
      const page = await context.newPage();
      await page.goto(`https://${portal.domain}${path}`);
      const frame = await waitForFrame(page);
      await frame.waitForSelector('html[data-ready]', { state: 'attached', timeout: 60_000 });
      return { page, frame };
    },
    async bx24Calls(page) {
      return page.evaluate(() => (window as unknown as { __bx24: { cmd: string; params: Record<string, unknown> }[] }).__bx24);
    },
    async openedPaths(page) {
      return (await host.bx24Calls(page))
        .filter((c) => c.cmd === 'openPath')
        .map((c) => {
          const u = new URL(String(c.params.path), `https://${portal.domain}`);
          u.searchParams.delete('IFRAME');
          u.searchParams.delete('IFRAME_TYPE');
          return `${u.pathname}${u.search}`;
        });
    },
    async close() {
      await browser.close();
      await jobs.stop({ timeoutMs: 5000 });
      emu.close();
      await services.testDb.close();
    },
  };
  return host;
}

async function waitForFrame(page: Page): Promise<Frame> {
  for (let i = 0; i < 1200; i++) {
    const f = page.frames().find((x) => x.parentFrame() === page.mainFrame() && x.url().startsWith(APP_ORIGIN));
    if (f) return f;
    await page.waitForTimeout(50);
  }
  throw new Error('the placement frame never loaded');
}
