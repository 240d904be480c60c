/**
 * Standalone emulator: `npm run emulator -- --port 8790 [--host 127.0.0.1] [--client-id local.x --client-secret s]
 * [--install-url http://127.0.0.1:3000/install] [--rate 2/50] [--ttl 3600]`.
 * Prints the base URL (and, with a client id, a ready portal with the app's tokens as one JSON line).
 * Virtual hosts live under the base: `<base>/<name>.bitrix24.test/rest/…`, `<base>/oauth.bitrix24.test/oauth/token/`.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createEmulator, type Emulator } from './index.js';

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    out[k] = inline ?? (argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i]! : '1');
  }
  return out;
}

async function main() {
  const a = args(process.argv.slice(2));
  const host = a.host ?? '127.0.0.1';
  const port = Number(a.port ?? 8790);
  const [perSecond, burst] = (a.rate ?? '2/50').split('/').map(Number);
  let emu: Emulator | undefined;
  const server = serve({ fetch: (req) => (emu ? emu.fetch(req) : new Response('starting', { status: 503 })), port, hostname: host }, async (info: AddressInfo) => {
    const base = `http://${host}:${info.port}`;
    emu = createEmulator({
      baseUrl: base,
      rateLimit: a.rate === 'off' ? false : { perSecond: perSecond ?? 2, burst: burst ?? 50 },
      accessTokenTtlMs: Number(a.ttl ?? 3600) * 1000,
      // The app under test runs on loopback without browser headers; downloads stay usable from curl.
      strictDownloadHeaders: a['strict-downloads'] === '1',
    });
    console.log(`Bitrix24 emulator on ${base}  (control API: ${base}/_emulator/)`);
    if (a['client-id']) {
      const portal = await emu.control.createPortal({
        name: a.portal ?? 'demo',
        app: {
          clientId: a['client-id'], clientSecret: a['client-secret'] ?? 'secret',
          ...(a['install-url'] ? { installUrl: a['install-url'], flavour: 'event' as const } : {}),
        },
      });
      console.log(JSON.stringify({ baseUrl: base, ...portal, app: portal.app && { ...portal.app, delivery: portal.app.delivery?.status } }));
    }
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
