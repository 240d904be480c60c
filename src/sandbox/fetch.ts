import { Hosts, type Emulator } from '../emulator/index.js';
import { SANDBOX } from './config.js';

/**
 * Outbound HTTP while the sandbox runs. The sandbox portal lives in the in-process emulator, so
 * requests for it never touch the network:
 * - emulator virtual hosts (`*.bitrix24.test`, `oauth.bitrix24.test`) go to the emulator;
 * - `<origin>/sandbox/portal/<host>/…` (the emulator's path-prefix form, which it hands out as the
 *   portal's addresses, and the install stores its client_endpoint exactly so) goes to the emulator
 *   with the prefix removed;
 * - everything else (TSA, SMTP-less nothing) goes to the real network.
 */
export function sandboxFetch(emulator: Pick<Emulator, 'fetch'>, o: { origin: string; emulatorBase: string; domain: string }, fallback: typeof fetch): typeof fetch {
  const inner = async (req: Request, path: string) => {
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
    return emulator.fetch(new Request(new URL(path, 'http://emulator.internal'), { method: req.method, headers: req.headers, body }));
  };
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (Hosts.isVirtualHost(url.hostname)) return emulator.fetch(req);
    if (url.origin === o.origin && url.pathname.startsWith(`${SANDBOX.portalPath}/`)) {
      return inner(req, `${url.pathname.slice(SANDBOX.portalPath.length)}${url.search}`);
    }
    return fallback(req);
  };
}
