/**
 * Who is asking (src/http/client-ip.ts): X-Forwarded-For counts only when the TCP peer is one of
 * TRUSTED_PROXIES, walked right to left. Checked as a pure function, then through the app: the
 * signing audit and the certificate's IP, and the verify door's per-IP limit.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ConfigError } from '../../src/config.js';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { parseTrustedProxies, resolveClientIp } from '../../src/http/client-ip.js';
import { cidrContains, formatIp, parseCidr, parseIp } from '../../src/lib/ip.js';
import { fromPeer } from '../helpers/peer.js';
import { createTestServices, testConfig } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, tokenFromBody } from '../helpers/signing.js';

describe('addresses and ranges', () => {
  it('parses IPv4, IPv6 and IPv4-mapped IPv6 as the same address', () => {
    expect(formatIp(parseIp('::ffff:10.1.2.3')!)).toBe('10.1.2.3');
    expect(formatIp(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001')!)).toBe('2001:db8::1');
    expect(formatIp(parseIp('[2001:db8::1]')!)).toBe('2001:db8::1');
    expect(formatIp(parseIp('fe80::1%eth0')!)).toBe('fe80::1');
    for (const bad of ['', 'unknown', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', '12345::1', 'g::1', '1.2.3.4:80', ':::']) expect(parseIp(bad), bad).toBeUndefined();
  });

  it('matches CIDR ranges of either family, mapped addresses included', () => {
    const net = parseCidr('10.0.0.0/8')!;
    expect(cidrContains(net, parseIp('10.255.0.1')!)).toBe(true);
    expect(cidrContains(net, parseIp('::ffff:10.0.0.9')!)).toBe(true);
    expect(cidrContains(net, parseIp('11.0.0.1')!)).toBe(false);
    expect(cidrContains(parseCidr('2001:db8::/32')!, parseIp('2001:db8:ffff::1')!)).toBe(true);
    expect(cidrContains(parseCidr('2001:db8::/32')!, parseIp('2001:db9::1')!)).toBe(false);
    expect(cidrContains(parseCidr('192.0.2.7')!, parseIp('192.0.2.7')!)).toBe(true);
    expect(cidrContains(parseCidr('192.0.2.7')!, parseIp('192.0.2.8')!)).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('8.8.8.8')!)).toBe(true);
    for (const bad of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8/1', 'proxy', '2001:db8::/129']) expect(parseCidr(bad), bad).toBeUndefined();
  });

  it('TRUSTED_PROXIES: none by default, a bad entry stops start-up naming the variable', () => {
    expect(testConfig().TRUSTED_PROXIES).toEqual([]);
    expect(testConfig({ TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8 ,::1' }).TRUSTED_PROXIES).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(() => testConfig({ TRUSTED_PROXIES: '10.0.0.0/8,loadbalancer' })).toThrow(ConfigError);
    expect(() => testConfig({ TRUSTED_PROXIES: '10.0.0.0/8,loadbalancer' })).toThrow(/TRUSTED_PROXIES/);
  });
});

describe('resolveClientIp', () => {
  const trusted = parseTrustedProxies(['10.0.0.0/8', '2001:db8:aa::/48']);

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(resolveClientIp('198.51.100.4', '1.1.1.1', [])).toBe('198.51.100.4');
    expect(resolveClientIp('198.51.100.4', '1.1.1.1', trusted)).toBe('198.51.100.4');
    expect(resolveClientIp('::ffff:198.51.100.4', '10.0.0.1', trusted)).toBe('198.51.100.4');
  });

  it('walks the chain right to left through trusted proxies only', () => {
    // The client wrote "1.1.1.1" itself; the proxy appended the address it saw.
    expect(resolveClientIp('10.0.0.2', '1.1.1.1, 203.0.113.50', trusted)).toBe('203.0.113.50');
    expect(resolveClientIp('10.0.0.2', '203.0.113.50, 10.9.9.9', trusted)).toBe('203.0.113.50');
    expect(resolveClientIp('2001:db8:aa::1', '2001:db8:bb::7', trusted)).toBe('2001:db8:bb::7');
    // Every hop trusted: the leftmost is the client.
    expect(resolveClientIp('10.0.0.2', '10.0.0.3', trusted)).toBe('10.0.0.3');
    // A trusted proxy that sent no header: the proxy is all we know.
    expect(resolveClientIp('10.0.0.2', undefined, trusted)).toBe('10.0.0.2');
    // Garbage ends the walk at the last trusted hop.
    expect(resolveClientIp('10.0.0.2', '203.0.113.50, nonsense', trusted)).toBe('10.0.0.2');
  });

  it('gives nothing without a peer (the runtime passed none)', () => {
    expect(resolveClientIp(undefined, '1.1.1.1', trusted)).toBeUndefined();
  });
});

describe('through the app', () => {
  let direct: Awaited<ReturnType<typeof createTestServices>>;
  let proxied: Awaited<ReturnType<typeof createTestServices>>;
  let pdfBase64: string;

  beforeAll(async () => {
    direct = await createTestServices({ env: { VERIFY_RATE_PER_MINUTE: '2' } });
    proxied = await createTestServices({ env: { VERIFY_RATE_PER_MINUTE: '2', TRUSTED_PROXIES: '127.0.0.1,10.0.0.0/8' } });
    pdfBase64 = Buffer.from(await samplePdf()).toString('base64');
  });
  afterAll(async () => {
    await direct.testDb.close();
    await proxied.testDb.close();
  });

  /** Sends, verifies the code and signs from `peer` with `xff`; returns the audit IPs and the certificate's. */
  async function signFrom(services: typeof direct, peer: string, xff: string) {
    const http = client(services);
    const fields = FIELDS.filter((f) => f.party !== 'company');
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: { title: 'Lease', lang: 'en', pdfBase64, fields, recipients: [{ party: 'client', name: 'Lia Verdi', email: 'lia@buyer.example' }], send: true },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const rid = created.data.recipients[0].id as string;
    const link = tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
    const as = { peer, headers: { 'x-forwarded-for': xff } };
    await http.req('POST', `/api/sign/${link}/open`, as);
    await http.req('POST', `/api/sign/${link}/code`, as);
    const code = codeFromBody((await lastMessage(services, rid, 'code'))!.body)!;
    const v = await http.req('POST', `/api/sign/${link}/verify`, { ...as, body: { code } });
    const signed = await http.req('POST', `/api/sign/${link}/sign`, {
      ...as,
      body: { acceptTerms: true, values: { client_vat: 'IT01234567890' }, signature: { method: 'typed', text: 'Lia Verdi' } },
      headers: { ...as.headers, 'x-sign-action': v.data.actionToken },
    });
    expect(signed.status, JSON.stringify(signed.data)).toBe(200);
    const events = await services.db.select().from(auditEvents).where(eq(auditEvents.recipientId, rid));
    const [row] = await services.db.select().from(recipients).where(eq(recipients.id, rid));
    return { auditIps: [...new Set(events.map((e) => e.ip))], certificateIp: row!.signedIp };
  }

  it('a spoofed X-Forwarded-For from an untrusted peer is not what the audit records', async () => {
    const got = await signFrom(direct, '198.51.100.23', '1.2.3.4');
    expect(got.auditIps).toEqual(['198.51.100.23']);
    expect(got.certificateIp).toBe('198.51.100.23');
  });

  it('behind a trusted proxy the audit and certificate record the client the proxy saw', async () => {
    // The client forged "1.2.3.4"; the proxy at 10.0.0.5 appended the real address.
    const got = await signFrom(proxied, '10.0.0.5', '1.2.3.4, 203.0.113.61');
    expect(got.auditIps).toEqual(['203.0.113.61']);
    expect(got.certificateIp).toBe('203.0.113.61');
  });

  it('the verify door limits the real client: spoofed headers do not reset it, clients behind a proxy are apart', async () => {
    const a = createApp(direct);
    const look = (peer: string, xff?: string) => a.request('/v/B24S-NOPE-NOPE-NOPE', { headers: xff ? { 'x-forwarded-for': xff } : {} }, fromPeer(peer));
    expect((await look('198.51.100.30', '1.0.0.1')).status).toBe(404);
    expect((await look('198.51.100.30', '1.0.0.2')).status).toBe(404);
    // A new forged address per request used to be a new bucket each time.
    expect((await look('198.51.100.30', '1.0.0.3')).status).toBe(429);

    const b = createApp(proxied);
    const viaProxy = (client: string) => b.request('/v/B24S-NOPE-NOPE-NOPE', { headers: { 'x-forwarded-for': client } }, fromPeer('10.0.0.5'));
    expect((await viaProxy('203.0.113.1')).status).toBe(404);
    expect((await viaProxy('203.0.113.1')).status).toBe(404);
    expect((await viaProxy('203.0.113.1')).status).toBe(429);
    expect((await viaProxy('203.0.113.2')).status).toBe(404);
  });

  it('a runtime without sockets injects its own peer (the Workers seam)', async () => {
    const services = { ...direct, peerAddress: (c: { req: { header(n: string): string | undefined } }) => c.req.header('cf-connecting-ip') };
    const app = createApp(services);
    const look = (cf: string) => app.request('/v/B24S-NOPE-NOPE-NOPE', { headers: { 'cf-connecting-ip': cf, 'x-forwarded-for': '9.9.9.9' } });
    expect((await look('192.0.2.200')).status).toBe(404);
    expect((await look('192.0.2.200')).status).toBe(404);
    expect((await look('192.0.2.200')).status).toBe(429);
    expect((await look('192.0.2.201')).status).toBe(404);
  });
});
