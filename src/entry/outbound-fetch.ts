import { lookup as systemLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { cidrContains, parseCidr, parseIp, type Cidr } from '../lib/ip.js';

/**
 * The Node entry's outbound fetch (Bitrix24 portals, OAuth servers, the TSA). Endpoint rules
 * (src/bitrix24/endpoints.ts) look at the URL; this looks at where the connection really goes. A
 * host name is resolved once, by the connection itself (undici's `connect.lookup` is handed to
 * net/tls.connect), and that resolution is checked: a name resolving to a private address is
 * refused like a private IP, so a portal name that points inside our network (or re-points there
 * between a check and the connect: DNS rebinding) reaches nothing. Self-hosted portals on a private
 * network are listed by name in BITRIX24_PRIVATE_HOSTS.
 */

/** Loopback, RFC 1918, CGNAT, link-local, benchmarking, multicast/reserved, unique-local, NAT64 of those. */
const PRIVATE_RANGES: Cidr[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8',
].map((r) => parseCidr(r)!);
const LOOPBACK: Cidr[] = ['127.0.0.0/8', '::1/128'].map((r) => parseCidr(r)!);

export function isPrivateAddress(address: string): boolean {
  const ip = parseIp(address);
  // Not an address at all: refuse rather than guess.
  return !ip || PRIVATE_RANGES.some((c) => cidrContains(c, ip));
}

const isLoopbackAddress = (address: string) => {
  const ip = parseIp(address);
  return Boolean(ip && LOOPBACK.some((c) => cidrContains(c, ip)));
};

export interface OutboundRules {
  /** Host names (any case) that may resolve to private addresses: self-hosted portals, an in-house TSA. */
  privateHosts: readonly string[];
  /** Loopback is reachable (BITRIX24_ALLOW_INSECURE_ENDPOINTS: the standalone emulator, tests). */
  allowLoopback: boolean;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Lookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

export class PrivateAddressError extends Error {
  readonly code = 'PRIVATE_ADDRESS';
  constructor(host: string, address: string) {
    super(`refusing to connect to ${host}: it resolves to the private address ${address} (list it in BITRIX24_PRIVATE_HOSTS if it is a self-hosted portal)`);
    this.name = 'PrivateAddressError';
  }
}

function allowed(host: string, address: string, rules: OutboundRules): boolean {
  if (!isPrivateAddress(address)) return true;
  if (rules.allowLoopback && isLoopbackAddress(address)) return true;
  return rules.privateHosts.some((h) => h.toLowerCase() === host.toLowerCase());
}

/** dns.lookup that fails when any resolved address is not allowed; the socket connects to what it returns. */
export function guardedLookup(rules: OutboundRules, lookup: Lookup = systemLookup as unknown as Lookup): Lookup {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, result) => {
      if (err) return callback(err, '');
      const list = (Array.isArray(result) ? result : [{ address: result, family: isIP(result) }]) as LookupAddress[];
      const refused = list.find((a) => !allowed(hostname, a.address, rules));
      if (refused || list.length === 0) return callback(new PrivateAddressError(hostname, refused?.address ?? '(none)'), '');
      if (options.all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/**
 * fetch over an undici Agent with the guarded lookup. IP literals never reach a lookup, so they are
 * checked here, by the same rule.
 */
export function createOutboundFetch(rules: OutboundRules, lookup?: Lookup): typeof fetch {
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(rules, lookup) } });
  const outbound = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !allowed(host, host, rules)) throw new TypeError('fetch failed', { cause: new PrivateAddressError(host, host) });
    const fromRequest = request
      ? { method: request.method, headers: request.headers, body: request.body, signal: request.signal, redirect: request.redirect, duplex: 'half' }
      : {};
    // undici's own fetch (not the global one): the dispatcher must come from the same undici.
    const res = await undiciFetch(url, { ...fromRequest, ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1]);
    return res as unknown as Response;
  };
  return outbound as typeof fetch;
}
