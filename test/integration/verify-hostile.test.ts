import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { hostileVerifyPdf } from '../helpers/hostile.js';
import { createTestServices } from '../helpers/services.js';

/**
 * Issue 14: one 4 MB upload of 200,000 repeated `/ByteRange [0 1 2 3]` froze the whole process for
 * minutes. Served over real HTTP on one event loop with the prober, so a stalled loop shows up as
 * slow /healthz answers.
 */
type Served = { services: Awaited<ReturnType<typeof createTestServices>>; server: ServerType; base: string };
async function start(env: Record<string, string>): Promise<Served> {
  const services = await createTestServices({ env: { VERIFY_RATE_PER_MINUTE: '1000', ...env } });
  const server = serve({ fetch: createApp(services).fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  return { services, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
const stop = async (s: Served) => {
  await new Promise((r) => s.server.close(r));
  await s.services.testDb.close();
};

/** Runs `during` while /healthz is asked every 20 ms; returns its result and every probe's latency. */
async function whileProbing<T>(base: string, during: () => Promise<T>): Promise<{ result: T; latencies: number[] }> {
  const latencies: number[] = [];
  let running = true;
  const prober = (async () => {
    while (running) {
      const t = performance.now();
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return { result: await during(), latencies };
  } finally {
    running = false;
    await prober;
  }
}

const postPdf = (base: string, bytes: Uint8Array) => fetch(`${base}/api/verify`, { method: 'POST', body: bytes as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/pdf' } });

describe('hostile verify upload', () => {
  let s: Served;
  beforeAll(async () => {
    s = await start({});
  });
  afterAll(() => stop(s));

  it('200,000 repeated /ByteRange keys: a bounded verdict while /healthz stays fast', async () => {
    const hostile = hostileVerifyPdf(200_000);
    expect(hostile.length).toBeGreaterThan(4_000_000);
    const t0 = performance.now();
    const { result: res, latencies } = await whileProbing(s.base, () => postPdf(s.base, hostile));
    const ms = performance.now() - t0;
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.verdict).toBe('signature_broken');
    expect(ms).toBeLessThan(10_000); // before: minutes
    expect(latencies.length).toBeGreaterThan(0);
    // The verification ran beside the event loop, not on it (generous for a loaded 2-core machine).
    expect(Math.max(...latencies)).toBeLessThan(1000);
  });
});

describe('verification limits', () => {
  let s: Served;
  beforeAll(async () => {
    s = await start({ VERIFY_TIMEOUT_MS: '1' });
  });
  afterAll(() => stop(s));

  it('a check that outlives VERIFY_TIMEOUT_MS is stopped and refused with PDF_TOO_COMPLEX', async () => {
    const res = await postPdf(s.base, hostileVerifyPdf(1000));
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: 'PDF_TOO_COMPLEX', details: { reason: 'timeout' } });
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
  });
});
