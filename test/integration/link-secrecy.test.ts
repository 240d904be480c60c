/**
 * Signer and final links are bearer secrets. Their token part never reaches the request log, an
 * error log, a Referer (every answer says `Referrer-Policy: no-referrer`, error pages for a broken
 * link included) or a job row, through a whole signing flow that ends in the sealed PDF.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema/jobs.js';
import { describeError, enqueue } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/lib/logger.js';
import { redactTokens } from '../../src/lib/redact.js';
import { issueFinalToken } from '../../src/signing/tokens.js';
import { createTestServices, drainJobs, ManualClock } from '../helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

describe('the scrubber', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJwIjoicHJ0XzEiLCJlIjoiZW52XzEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc';
  it('removes link tokens and any compact JWS, nothing else', () => {
    expect(redactTokens(`/s/${jwt}?lang=it`)).toBe('/s/[token]?lang=it');
    expect(redactTokens(`GET https://x.example/s/final/${jwt} failed`)).toBe('GET https://x.example/s/final/[token] failed');
    expect(redactTokens(`/api/sign/${jwt}/verify`)).toBe('/api/sign/[token]/verify');
    expect(redactTokens(`/api/sign/not-even-a-jwt/code`)).toBe('/api/sign/[token]/code');
    expect(redactTokens(`x-sign-action: ${jwt}`)).toBe('x-sign-action: [token]');
    for (const plain of ['/v/B24S-AAAA-BBBB', '/assets/sign/app.js', '/sandbox/mail', '/api/envelopes/env_1/audit']) expect(redactTokens(plain)).toBe(plain);
  });

  it('logged errors and messages lose the token, and so do job errors', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug' }, { write: (l) => void lines.push(l) });
    const err = new Error(`fetch https://sign.example/s/${jwt} failed`);
    log.error({ err, url: `https://sign.example/s/final/${jwt}`, nested: { link: `/s/${jwt}` } }, `while sending /s/${jwt}`);
    log.child({ requestId: 'req_1' }).warn(`action ${jwt}`);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).not.toContain(jwt.split('.')[2]);
    expect(lines[0]).toContain('/s/[token]');
    expect(err.message).toContain(jwt); // the error itself is left intact for the code that handles it
    expect(describeError(err)).toBe('Error: fetch https://sign.example/s/[token] failed');
  });
});

describe('a signing flow leaves no link in logs, referrers or jobs', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  const lines: string[] = [];

  beforeAll(async () => {
    const base = await createTestServices({ clock: new ManualClock(new Date('2026-05-04T10:00:00Z')) });
    services = { ...base, logger: createLogger({ level: 'debug' }, { write: (l) => void lines.push(l) }) };
  });
  afterAll(() => services.testDb.close());

  it('request paths, error answers and job rows', async () => {
    const http = client(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer: await sessionFor(services),
      body: {
        title: 'Quiet links',
        lang: 'en',
        pdfBase64: Buffer.from(await samplePdf()).toString('base64'),
        fields: FIELDS.filter((f) => f.party !== 'company'),
        recipients: [{ party: 'client', name: 'Ugo Riva', email: 'ugo@buyer.example' }],
        send: true,
      },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const rid = created.data.recipients[0].id as string;
    const link = tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
    const secrets = [link];

    const answers = [
      await http.req('GET', `/s/${link}`, { headers: { accept: 'text/html' } }),
      await http.req('GET', `/api/sign/${link}`),
      await http.req('POST', `/api/sign/${link}/open`),
      await http.req('POST', `/api/sign/${link}/code`),
    ];
    const code = codeFromBody((await lastMessage(services, rid, 'code'))!.body)!;
    const verified = await http.req('POST', `/api/sign/${link}/verify`, { body: { code } });
    secrets.push(verified.data.actionToken);
    answers.push(verified);
    answers.push(
      await http.req('POST', `/api/sign/${link}/sign`, {
        body: { acceptTerms: true, values: { client_vat: 'IT09876543210' }, signature: { method: 'drawn', image: `data:image/png;base64,${TINY_PNG_B64}` } },
        headers: { 'x-sign-action': verified.data.actionToken },
      }),
    );
    expect(answers.at(-1)!.status, JSON.stringify(answers.at(-1)!.data)).toBe(200);
    // Seal it: the final link goes out by e-mail from a job.
    await drainJobs(services);
    const finalLink = /\/s\/final\/([A-Za-z0-9._-]+)/.exec((await lastMessage(services, rid, 'completed'))!.body)![1]!;
    secrets.push(finalLink);
    answers.push(await http.req('GET', `/s/final/${finalLink}`));
    // Broken and mistyped links: error pages and JSON errors.
    const forged = await issueFinalToken('another-secret-another-secret-another-secret', { portalId: 'prt_test', envelopeId: 'env_x', recipientId: 'rcp_x' }, new Date());
    secrets.push(forged);
    answers.push(await http.req('GET', `/s/final/${forged}`, { headers: { accept: 'text/html' } }));
    answers.push(await http.req('GET', `/s/${link}/extra`, { headers: { accept: 'text/html' } }));
    answers.push(await http.req('POST', `/api/sign/${link}x/verify`, { body: { code: '000000' } }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 404, 404, 401]);

    for (const a of answers) expect(a.headers.get('referrer-policy')).toBe('no-referrer');
    const log = lines.join('');
    expect(log).toContain('/s/[token]');
    expect(log).toContain('/api/sign/[token]/verify');
    const jobRows = JSON.stringify(await services.db.select({ payload: jobs.payload, lastError: jobs.lastError }).from(jobs));
    for (const s of secrets) {
      // A signed token by its signature; the invitation's short id (no dots) whole.
      const sig = s.includes('.') ? s.split('.')[2]! : s;
      expect(sig.length).toBeGreaterThanOrEqual(22);
      expect(log, 'log').not.toContain(sig);
      expect(jobRows, 'jobs').not.toContain(sig);
    }
  });

  it('a payload handed to the queue with a link in it is stored without the token', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyY3BfMSJ9.AAAAbbbbCCCCddddEEEEffff';
    const r = await enqueue(services.db, { kind: 'noop', payload: { note: `resend https://sign.example/s/${jwt}`, list: [`/s/final/${jwt}`], n: 3 } });
    const [row] = await services.db.select().from(jobs).where(eq(jobs.id, r.job.id));
    expect(row!.payload).toEqual({ note: 'resend https://sign.example/s/[token]', list: ['/s/final/[token]'], n: 3 });
  });
});
