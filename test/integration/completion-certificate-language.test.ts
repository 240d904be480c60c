import { execFileSync } from 'node:child_process';
import { envelopePdf } from '../helpers/blobs.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { STAMP_TEXT } from '../../src/documents/stamp-i18n.js';
import { runCompletion } from '../../src/signing/completion.js';
import { intersects, linkRects, measureQuietZone, pdfPages } from '../helpers/pdf-geometry.js';
import { rasterize } from '../helpers/render-diff.js';
import { createTestServices } from '../helpers/services.js';
import { client, codeFromBody, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

/** The client signs in the bottom-right corner of page 2, where the stamp's QR code used to go. */
const CORNER_SIG = { x: 470, y: 8, w: 120, h: 50 };
const FIELDS = [
  { key: 'company_sig', type: 'signature', label: 'Firma', page: 1, box: { x: 50, y: 200, w: 180, h: 50 }, party: 'company', required: true },
  { key: 'client_sig', type: 'signature', label: 'Firma', page: 1, box: CORNER_SIG, party: 'client', required: true },
];

/** What the events of this flow must read as, written out here rather than taken from the code. */
const EXPECTED = {
  it: ['inviato', 'codice confermato', 'firmato', 'completato', 'utente Bitrix24 1'],
  ru: ['отправлен', 'код подтверждён', 'подписан', 'завершён', 'пользователь Битрикс24 1'],
} as const;
const ENGLISH_EVENTS = /\b(sent|opened|viewed|code confirmed|signed|approved|completed|Bitrix24 user)\b/i;

/** Every label of the English certificate and stripe (nested tables included). */
function englishLabels(lang: 'it' | 'ru'): string[] {
  const out: string[] = [];
  const walk = (en: unknown, other: unknown) => {
    if (typeof en === 'string') {
      // A loanword the language uses as it is (E-mail in Italian, the product name) is not English left over.
      if (en !== other) out.push(en.replace(/ ?\{page\}.*$/, ''));
      return;
    }
    for (const [k, v] of Object.entries(en as Record<string, unknown>)) walk(v, (other as Record<string, unknown>)[k]);
  };
  walk(STAMP_TEXT.en, STAMP_TEXT[lang]);
  return out.filter((s) => s.length > 2);
}

describe('the sealed certificate speaks the document’s language', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let http: ReturnType<typeof client>;

  beforeAll(async () => {
    services = await createTestServices();
    http = client(services);
  });
  afterAll(() => services.testDb.close());

  async function sealed(lang: 'it' | 'ru'): Promise<{ pdf: Uint8Array; sourcePages: number }> {
    const source = await samplePdf();
    const bearer = await sessionFor(services);
    const created = await http.req('POST', '/api/envelopes', {
      bearer,
      body: {
        title: lang === 'it' ? 'Contratto di fornitura' : 'Договор поставки',
        lang,
        pdfBase64: Buffer.from(source).toString('base64'),
        fields: FIELDS,
        recipients: [
          { party: 'company', name: 'Anna Rossi', email: 'anna@seller.example' },
          { party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' },
        ],
        send: true,
      },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    for (const r of created.data.recipients as { id: string }[]) {
      const token = tokenFromBody((await lastMessage(services, r.id, 'invitation'))!.body)!;
      await http.req('GET', `/api/sign/${token}`);
      await http.req('POST', `/api/sign/${token}/code`);
      const code = codeFromBody((await lastMessage(services, r.id, 'code'))!.body);
      const { actionToken } = (await http.req('POST', `/api/sign/${token}/verify`, { body: { code } })).data;
      const res = await http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: {}, signature: { method: 'drawn', image: TINY_PNG_B64 } }, headers: { 'x-sign-action': actionToken } });
      expect(res.status, JSON.stringify(res.data)).toBe(200);
    }
    const envelopeId = created.data.envelope.id as string;
    await runCompletion(services, { portalId: 'prt_test', envelopeId });
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelopeId));
    return { pdf: (await envelopePdf(services, env!, 'sealed'))!, sourcePages: pdfPages(source) };
  }

  it.each(['it', 'ru'] as const)('%s: event names, actors and labels are translated; the QR keeps off the corner signature', async (lang) => {
    const { pdf, sourcePages } = await sealed(lang);
    const pages = pdfPages(pdf);
    expect(pages).toBeGreaterThan(sourcePages);
    const text = (first: number, last: number) =>
      execFileSync('pdftotext', ['-f', String(first), '-l', String(last), '-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8').replace(/\s+/g, ' ');
    const certificate = text(sourcePages + 1, pages);
    expect(certificate).toContain(STAMP_TEXT[lang].certificateTitle);
    for (const s of EXPECTED[lang]) expect(certificate).toContain(s);
    expect(certificate).not.toMatch(ENGLISH_EVENTS);
    // No English label on the certificate, nor in the stripes on the signed pages (whose own text is English here).
    // As whole words: the Italian "Cliente" is not the English "Client".
    const word = (w: string) => new RegExp(`(^|[^\\p{L}])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u');
    for (const label of englishLabels(lang)) expect(certificate, `English "${label}" in the ${lang} certificate`).not.toMatch(word(label));
    const all = text(1, pages);
    expect(all).not.toMatch(/Document ID|Verify at|page \d+ of \d+/);
    for (let p = 1; p <= pages; p++) expect(text(p, p)).toContain(`${STAMP_TEXT[lang].verifyAt}: `);

    // The QR on page 2 clears the signature box in its corner, with a 4-module quiet zone.
    const links = await linkRects(pdf);
    const qr = links[1]!.find((r) => Math.abs(r.x1 - r.x0 - (r.y1 - r.y0)) < 0.01 && r.x1 - r.x0 < 60)!;
    expect(qr).toBeDefined();
    expect(intersects(qr, { x0: CORNER_SIG.x, y0: CORNER_SIG.y, x1: CORNER_SIG.x + CORNER_SIG.w, y1: CORNER_SIG.y + CORNER_SIG.h })).toBe(false);
    expect(measureQuietZone(rasterize(pdf, 144)[1]!, 144, 841.89, qr).quietModules).toBeGreaterThanOrEqual(4);
  });
});
