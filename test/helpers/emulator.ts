/**
 * The Bitrix24 emulator behind msw, for tests.
 *
 * ```ts
 * import { startEmulator } from '../helpers/emulator.js';
 * const app = createApp(services);                                  // our Hono app
 * const emu = await startEmulator({ appFetch: (req) => app.request(req) });
 * const portal = await emu.control.createPortal({ app: { clientId: 'local.t', clientSecret: 's' } });
 * // From here any fetch (global fetch, services.fetch, the REST client) to https://*.bitrix24.test or
 * // https://oauth.bitrix24.test lands in the emulator in-process; other hosts pass through untouched.
 * await emu.control.installApp({ memberId: portal.memberId, clientId: 'local.t', clientSecret: 's',
 *   installUrl: 'http://b24sign.test/install' });                  // POSTs ONAPPINSTALL via appFetch
 * afterAll(() => emu.close());
 * ```
 *
 * Wiring the app's side: the emulator reaches the app only through `appFetch` (install, placement, robot and
 * event POSTs). Give it `(req) => app.request(req)` (or `app.fetch`) so no port is needed; handler URLs may
 * then use any host (e.g. the test PUBLIC_URL `http://b24sign.test`). The app reaches the emulator with plain
 * `fetch` — msw intercepts it — so `services.fetch = globalThis.fetch` is enough. If the app is created after
 * the emulator, `emu.setAppFetch(fn)` swaps the target later.
 *
 * One msw server per test process: several startEmulator() calls stack, the newest open one answers.
 */
import { http } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import { createEmulator, Hosts, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';

let server: SetupServer | undefined;
const stack: Emulator[] = [];

export interface StartedEmulator extends Emulator {
  /** Points the emulator's outbound POSTs at another function (e.g. an app built after the emulator). */
  setAppFetch(fn: (req: Request) => Promise<Response> | Response): void;
  close(): void;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<StartedEmulator> {
  let appFetch: (req: Request) => Promise<Response> | Response = opts.appFetch ?? ((req: Request) => fetch(req));
  const emu = createEmulator({ ...opts, appFetch: (req) => appFetch(req) });
  stack.push(emu);
  if (!server) {
    server = setupServer(
      http.all(
        ({ request }) => Hosts.isVirtualHost(new URL(request.url).hostname),
        async ({ request }) => {
          const top = stack[stack.length - 1];
          if (!top) return new Response('emulator closed', { status: 503 });
          return top.fetch(request);
        },
      ),
    );
    server.listen({ onUnhandledFrame: 'bypass' });
  }
  return {
    ...emu,
    setAppFetch(fn) {
      appFetch = fn;
    },
    close() {
      const i = stack.indexOf(emu);
      if (i >= 0) stack.splice(i, 1);
      if (!stack.length && server) {
        server.close();
        server = undefined;
      }
    },
  };
}
