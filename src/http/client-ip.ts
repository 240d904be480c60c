import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Config } from '../config.js';
import { cidrContains, formatIp, parseCidr, parseIp, type Cidr } from '../lib/ip.js';
import type { AppEnv } from '../types.js';

/**
 * Who is asking: the one rule for the signing audit, the certificate page, and every per-IP limit.
 * The TCP peer is the client unless it is one of TRUSTED_PROXIES; then `X-Forwarded-For` is read
 * right to left, skipping trusted proxies, and the first address not in the list is the client.
 * Entries left of it were written by the client itself and prove nothing. With no proxies
 * configured (the default) the header is ignored entirely, so a client cannot pick its own address.
 */

/** How a runtime learns the TCP peer. Node: the socket (below). A Workers entry can pass `CF-Connecting-IP`. */
export type PeerAddress = (c: Context) => string | undefined;

/** The Node adapter's socket address; undefined when the request did not come through a socket (tests' app.request). */
export const nodePeerAddress: PeerAddress = (c) => {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
};

/** TRUSTED_PROXIES entries as ranges; config validation has already refused bad ones. */
export function parseTrustedProxies(list: readonly string[]): Cidr[] {
  return list.map((entry) => {
    const c = parseCidr(entry);
    if (!c) throw new Error(`not an IP address or CIDR range: ${entry}`);
    return c;
  });
}

const compiled = new WeakMap<Config, Cidr[]>();
function trustedOf(config: Config): Cidr[] {
  let list = compiled.get(config);
  if (!list) {
    list = parseTrustedProxies(config.TRUSTED_PROXIES);
    compiled.set(config, list);
  }
  return list;
}

/** Pure core: the client for a peer and the X-Forwarded-For hops (left to right, as sent). */
export function resolveClientIp(peer: string | undefined, forwardedFor: string | undefined, trusted: readonly Cidr[]): string | undefined {
  const peerIp = peer ? parseIp(peer) : undefined;
  if (!peerIp) return undefined;
  const isTrusted = (ip: NonNullable<ReturnType<typeof parseIp>>) => trusted.some((c) => cidrContains(c, ip));
  let client = peerIp;
  if (isTrusted(client) && forwardedFor) {
    const hops = forwardedFor.split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseIp(hops[i]!);
      // A malformed hop ends the walk: the last trusted proxy is the best we know.
      if (!hop) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
  }
  return formatIp(client);
}

/** The client's address for this request, or undefined when the runtime gave no peer. */
export function clientIp<E extends AppEnv>(c: Context<E>): string | undefined {
  const services = c.var.services;
  const peer = (services.peerAddress ?? nodePeerAddress)(c);
  return resolveClientIp(peer, c.req.header('x-forwarded-for'), trustedOf(services.config));
}
