/**
 * The signing flow's own costs, through the HTTP routes (in-process app.request) on a fresh database:
 * - create_send: POST /api/envelopes with a 2-page PDF, 2 signers and send:true (audit, jobs, invitation row);
 * - code / verify / sign: one recipient's requests;
 * - complete: the completion job (render values + marks, stamps + certificate page, one seal with the
 *   development certificate, store, permanent-link messages) for the two-party contract.
 * Medians over BENCH_RUNS envelopes (default 15). No SMTP: messages are recorded only.
 *
 *   npm run bench:signing          (PostgreSQL on 127.0.0.1; TEST_DB=pglite for embedded)
 */
import { cpus, loadavg } from 'node:os';
import { runCompletion } from '../src/signing/completion.js';
import { createTestServices } from '../test/helpers/services.js';
import { client, codeFromBody, FIELDS, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../test/helpers/signing.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const services = await createTestServices();
const http = client(services);
const pdfBase64 = Buffer.from(await samplePdf()).toString('base64');
const t: Record<string, number[]> = { create_send: [], code: [], verify: [], sign: [], complete: [] };
const time = async <T>(k: string, f: () => Promise<T>) => {
  const s = performance.now();
  const r = await f();
  t[k]!.push(performance.now() - s);
  return r;
};

try {
  for (let i = 0; i < RUNS + 1; i++) {
    const bearer = await sessionFor(services);
    const created = await time('create_send', () =>
      http.req('POST', '/api/envelopes', {
        bearer,
        body: {
          title: `Contract ${i}`,
          lang: 'en',
          pdfBase64,
          fields: FIELDS,
          recipients: [
            { party: 'company', name: 'Anna Rossi', email: 'anna@seller.example' },
            { party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' },
          ],
          send: true,
        },
      }),
    );
    if (created.status !== 201) throw new Error(JSON.stringify(created.data));
    for (const r of created.data.recipients as { id: string; party: string }[]) {
      const token = tokenFromBody((await lastMessage(services, r.id, 'invitation'))!.body)!;
      await time('code', () => http.req('POST', `/api/sign/${token}/code`));
      const code = codeFromBody((await lastMessage(services, r.id, 'code'))!.body);
      const v = await time('verify', () => http.req('POST', `/api/sign/${token}/verify`, { body: { code } }));
      const body = { acceptTerms: true, values: r.party === 'client' ? { client_vat: 'IT0123' } : {}, signature: r.party === 'client' ? { method: 'drawn', image: TINY_PNG_B64 } : { method: 'typed', text: 'Anna Rossi' } };
      const s = await time('sign', () => http.req('POST', `/api/sign/${token}/sign`, { body, headers: { 'x-sign-action': v.data.actionToken } }));
      if (s.status !== 200) throw new Error(JSON.stringify(s.data));
    }
    await time('complete', () => runCompletion(services, { portalId: 'prt_test', envelopeId: created.data.envelope.id }));
  }
  // The first envelope warms fonts, the sealer and the JIT: reported in the medians' place only if RUNS is 0.
  const med = (xs: number[]) => {
    const s = xs.slice(1).sort((a, b) => a - b);
    return Math.round((s[Math.floor(s.length / 2)] ?? NaN) * 10) / 10;
  };
  console.log(`database: ${services.dbHandle.kind}; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}; ${RUNS} envelopes after one warm-up`);
  for (const [k, xs] of Object.entries(t)) console.log(`${k.padEnd(12)} median ${med(xs)} ms`);
  console.log(
    JSON.stringify({
      db: services.dbHandle.kind,
      create_send_ms: med(t.create_send!),
      code_ms: med(t.code!),
      verify_ms: med(t.verify!),
      sign_ms: med(t.sign!),
      complete_2page_ms: med(t.complete!),
    }),
  );
} finally {
  await services.testDb.close();
}
