import { describe, expect, it } from 'vitest';
import { createResendMailer } from '../../src/entry/workers/resend-mailer.js';
import { inProcessOffThread, PAGE_IMAGES_UNAVAILABLE } from '../../src/entry/workers/in-process-off-thread.js';
import { OFF_THREAD_FULL } from '../../src/lib/off-thread.js';

function recorder(status: number, answer: unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

describe('Resend mailer (Workers mail port)', () => {
  it('posts one message to /emails with the Bearer key, the Message-ID header and an idempotency key', async () => {
    const r = recorder(200, { id: 'abc-123' });
    const mailer = createResendMailer({ apiKey: 're_key', from: 'Sign <s@example.test>', baseUrl: 'http://stub.test/', fetch: r.fetch });
    const out = await mailer.send({ to: 'a@example.test', subject: 'Hi', text: 'plain', html: '<p>html</p>', messageId: '<m1@example.test>' });
    expect(out.messageId).toBe('<m1@example.test>');
    expect(r.calls).toHaveLength(1);
    const { url, init } = r.calls[0]!;
    expect(url).toBe('http://stub.test/emails');
    const headers = init.headers as Record<string, string>;
    expect(headers.authorization).toBe('Bearer re_key');
    expect(headers['idempotency-key']).toBe('<m1@example.test>');
    expect(JSON.parse(String(init.body))).toEqual({ from: 'Sign <s@example.test>', to: ['a@example.test'], subject: 'Hi', text: 'plain', html: '<p>html</p>', headers: { 'Message-ID': '<m1@example.test>' } });
  });

  it('answers with Resend’s id when the message has none, and throws the provider’s refusal with its HTTP status', async () => {
    expect((await createResendMailer({ apiKey: 'k', from: 'f@x.test', fetch: recorder(200, { id: 'r-1' }).fetch }).send({ to: 'a@x.test', subject: 's', text: 't' })).messageId).toBe('r-1');
    const refused = createResendMailer({ apiKey: 'k', from: 'f@x.test', fetch: recorder(422, { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' }).fetch });
    await expect(refused.send({ to: 'bad', subject: 's', text: 't' })).rejects.toThrow('Resend HTTP 422: validation_error: Invalid `to` field.');
  });
});

describe('in-process off-thread port (Workers)', () => {
  it('refuses page images with the stated reason, caps file size, and answers full when too many wait', async () => {
    const port = inProcessOffThread({ maxBytes: 10, timeoutMs: 1000, maxWaiting: 1 });
    expect(await port.run('page-images', { bytes: new Uint8Array(1) })).toEqual({ ok: true, value: { ok: false, detail: PAGE_IMAGES_UNAVAILABLE } });
    expect(await port.run('pdf-inspect', { bytes: new Uint8Array(11), maxPages: 1 })).toMatchObject({ ok: false, reason: 'memory' });
    const first = port.run('pdf-inspect', { bytes: new Uint8Array(5), maxPages: 1 });
    expect(await port.run('pdf-inspect', { bytes: new Uint8Array(5), maxPages: 1 })).toBe(OFF_THREAD_FULL);
    expect(await first).toMatchObject({ ok: true });
  });
});
