/**
 * The bindings the Node adapter hands the app (`c.env.incoming`), which getConnInfo reads: pass as
 * app.request's third argument so a test request comes from a TCP peer, as a real one does.
 */
export function fromPeer(address: string) {
  return { incoming: { socket: { remoteAddress: address, remotePort: 50_123, remoteFamily: address.includes(':') ? 'IPv6' : 'IPv4' } } };
}
