import { PDFDocument, degrees, rgb } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import type { FieldBox } from '../../src/documents/fields.js';
import { renderDocument } from '../../src/documents/render.js';
import { sealPdf } from '../../src/documents/seal/sealer.js';
import { appendCompletionPages } from '../../src/documents/completion-page.js';
import { documentFonts, stampAndAppendCertificate, type StampInput } from '../../src/documents/stamp.js';
import { pageOf, STAMP_TEXT } from '../../src/documents/stamp-i18n.js';
import { starterLayout } from '../../src/documents/templates/starters/index.js';
import { intersects, linkRects, measureQuietZone, pdfPages, pdfWords, phraseBoxes, type Box, type Word } from '../helpers/pdf-geometry.js';
import { rasterize } from '../helpers/render-diff.js';
import { testSealer } from '../helpers/sealer.js';

const ID = 'B24S-AAAA-BBBB-CCCC';
const base = (over: Partial<StampInput> = {}): StampInput => ({
  publicId: ID,
  verifyUrl: `https://sign.example.com/v/${ID}`,
  lang: 'it',
  title: 'Contratto',
  parties: [{ name: 'Anna', role: 'signer', party: 'company', method: 'typed', signedAt: new Date('2026-01-15T10:00:00Z'), timeZone: 'Europe/Rome', ip: '192.0.2.1' }],
  events: [],
  originalSha256: 'c'.repeat(64),
  auditHead: 'd'.repeat(64),
  development: false,
  ...over,
});

const toBox = (b: FieldBox): Box => ({ x0: b.x, y0: b.y, x1: b.x + b.w, y1: b.y + b.h });
/** The QR's link is the one square annotation on a page. */
const qrRect = (rects: Box[]) => rects.find((r) => Math.abs(r.x1 - r.x0 - (r.y1 - r.y0)) < 0.01 && r.x1 - r.x0 < 60);

describe('certificate of completion: what belongs together stays on one page', () => {
  it('never leaves a label, a party or a heading at the foot of a page without what follows', async () => {
    const T = STAMP_TEXT.it;
    // Many certificates in one file (fonts embedded once, one pdftotext). Across the runs the title
    // grows line by line (moving the parties) and the events one by one (moving the integrity block),
    // so page breaks fall at every spot of both.
    const doc = await PDFDocument.create();
    const fonts = await documentFonts(doc);
    const runs: Array<{ r: number; events: number; pages: number }> = [];
    for (let r = 0; r < 20; r++) {
      const parties = Array.from({ length: 3 }, (_, k) => ({
        name: `Persona R${r}P${k}X`,
        role: 'signer',
        party: k % 2 ? 'client' : 'company',
        method: 'drawn',
        signedAt: new Date(Date.UTC(2026, 0, 1, k)),
        timeZone: 'Europe/Rome',
        ip: `198.51.${r}.${k}`,
        email: `r${r}p${k}x@example.com`,
        userAgent: Array.from({ length: 30 }, (_, i) => `R${r}U${k}A-${i}`).join(' '),
      }));
      const n = 24 + r;
      const events = Array.from({ length: n }, (_, i) => ({
        at: new Date(Date.UTC(2026, 0, 1, 0, i)),
        type: i % 4 === 0 ? 'code_verified' : 'signed',
        actor: i % 5 === 0 ? Array.from({ length: 14 }, (_, j) => `R${r}E${i}V-${j}`).join(' ') : `R${r}E${i}V-only`,
        ip: '192.0.2.1',
      }));
      const title = Array.from({ length: (r * 7) % 23 }, () => 'Contratto di fornitura con allegati e condizioni').join(' ');
      const pages = await appendCompletionPages(doc, { ...base({ title, parties, events }), originalSha256: `${r}`.padStart(64, 'a'), auditHead: `${r}`.padStart(64, 'b') }, fonts);
      runs.push({ r, events: n, pages: pages.length });
    }
    const words = pdfWords(await doc.save());
    // Pages each marked item (a party, an event) was printed on.
    const seen = new Map<string, Set<number>>();
    for (const w of words) {
      const m = /^R(\d+)(?:P(\d+)X|U(\d+)A-|E(\d+)V-)/.exec(w.text) ?? /^198\.51\.(\d+)\.(\d+)$/.exec(w.text);
      if (!m) continue;
      const key = m[4] !== undefined ? `R${m[1]}E${m[4]}` : `R${m[1]}P${m[2] ?? m[3]}`;
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(w.page);
    }
    for (const { r, events: n, pages } of runs) {
      expect(pages).toBeGreaterThanOrEqual(2);
      const one = (what: string, key: string) => {
        const on = seen.get(key) ?? new Set();
        expect(on.size, `run ${r}: ${what} is spread over pages ${[...on].join(', ')}`).toBe(1);
      };
      for (let k = 0; k < 3; k++) one(`party ${k}`, `R${r}P${k}`);
      for (let i = 0; i < n; i++) one(`event ${i}`, `R${r}E${i}`);
      // Each hash sits on its label's page, and the label is the word just before it on that page.
      for (const hash of [`${r}`.padStart(64, 'a'), `${r}`.padStart(64, 'b')]) {
        const at = words.findIndex((w) => w.text === hash);
        expect(at, `run ${r}: hash ${hash}`).toBeGreaterThan(0);
        expect(words[at - 1]!.text).toMatch(/^(originale|audit):$/);
        expect(words[at - 1]!.page).toBe(words[at]!.page);
      }
      // Each heading sits with the first thing under it.
      const after = (heading: string, first: (w: Word) => boolean) => {
        const i = words.findIndex(first);
        const h = words.slice(0, i).map((w) => w.text).lastIndexOf(heading);
        expect(h, `run ${r}: heading ${heading}`).toBeGreaterThanOrEqual(0);
        expect(words[h]!.page, `run ${r}: heading ${heading} left at the foot of a page`).toBe(words[i]!.page);
      };
      after(T.parties, (w) => w.text === `R${r}P0X`);
      after(T.events, (w) => w.text === `R${r}E0V-0`);
      after(T.integrity, (w) => w.text === `${r}`.padStart(64, 'a'));
    }
    // Nothing of a certificate runs into the stripe's band at the bottom (the stripe is not drawn here).
    expect(words.filter((w) => w.y0 < 75).map((w) => w.text)).toEqual([]);
  });
});

describe('the QR code keeps its quiet zone and clears every box', () => {
  const DPI = 216;

  async function stamped(page: { rotate?: number; boxes: FieldBox[] }) {
    const doc = await PDFDocument.create();
    const p = doc.addPage([595.28, 841.89]);
    if (page.rotate) p.setRotation(degrees(page.rotate));
    // A signed box is ink to its edges (a drawn signature, a stamp): the QR must keep off it.
    for (const b of page.boxes) p.drawRectangle({ x: b.x, y: b.y, width: b.w, height: b.h, color: rgb(0, 0, 0) });
    await stampAndAppendCertificate(doc, base({ keepClear: page.boxes.map((box) => ({ page: 0, box })) }));
    const pdf = await doc.save();
    return { pdf, links: await linkRects(pdf) };
  }

  it('moves off a signature box that sits in the bottom-right corner, with 4 clear modules around it', async () => {
    const signature = { x: 440, y: 6, w: 150, h: 60 };
    const initials = { x: 300, y: 20, w: 60, h: 24 };
    const { pdf, links } = await stamped({ boxes: [signature, initials] });
    const qr = qrRect(links[0]!)!;
    expect(qr, 'a QR link on page 1').toBeDefined();
    for (const b of [signature, initials]) expect(intersects(qr, toBox(b))).toBe(false);
    const pages = rasterize(pdf, DPI);
    for (const [i, near] of [qr, qrRect(links[1]!)!].entries()) {
      const m = measureQuietZone(pages[i]!, DPI, 841.89, near);
      expect(m.modulePx * (72 / DPI), `module size on page ${i + 1}`).toBeGreaterThanOrEqual(0.9);
      expect(m.quietModules, `quiet zone on page ${i + 1}`).toBeGreaterThanOrEqual(4);
    }
  });

  it('shrinks within limits or moves along the edges when the bottom is taken, and leaves the QR out when nothing is free', async () => {
    // The whole bottom band is a signature line: the QR goes to the top edge.
    const wide = { x: 20, y: 4, w: 555, h: 70 };
    let { pdf, links } = await stamped({ boxes: [wide] });
    let qr = qrRect(links[0]!)!;
    expect(qr.y0).toBeGreaterThan(700);
    expect(intersects(qr, toBox(wide))).toBe(false);
    expect(measureQuietZone(rasterize(pdf, DPI)[0]!, DPI, 841.89, qr).quietModules).toBeGreaterThanOrEqual(4);

    // A rotated page: boxes are in user space, the QR is placed in what the reader sees.
    ({ pdf, links } = await stamped({ rotate: 90, boxes: [{ x: 500, y: 700, w: 95, h: 140 }] }));
    qr = qrRect(links[0]!)!;
    expect(intersects(qr, { x0: 500, y0: 700, x1: 595, y1: 840 })).toBe(false);

    // Both edges taken: no QR on that page (the text link stays), the certificate page still has one.
    ({ links } = await stamped({ boxes: [wide, { x: 20, y: 770, w: 555, h: 70 }] }));
    expect(qrRect(links[0]!)).toBeUndefined();
    expect(links[0]!.length).toBe(1);
    expect(qrRect(links[1]!)).toBeDefined();
  });
});

describe('starter layouts, stamped and sealed', () => {
  it.each(['it', 'ru', 'en'] as const)('%s NDA: the development label clears the footer, page numbers match pdfinfo, the QR clears the initials', async (lang) => {
    const layout = starterLayout('nda', lang)!;
    const rendered = await renderDocument({ layout, values: { purpose: 'Valutazione di una fornitura. '.repeat(60) }, lang });
    const original = rendered.doc.getPageCount();
    expect(original).toBeGreaterThanOrEqual(2);
    await stampAndAppendCertificate(rendered.doc, base({ lang, development: true, keepClear: rendered.placements }));
    const sealed = await sealPdf(rendered.doc, await testSealer());
    const pdf = sealed.bytes;
    const pages = pdfPages(pdf);
    expect(pages).toBeGreaterThan(original);
    const words = pdfWords(pdf);
    const T = STAMP_TEXT[lang];
    // "Accordo di riservatezza · pagina {page}": the words before the page number.
    const footer = layout.footer!.text.slice(0, layout.footer!.text.lastIndexOf(' · '));
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const links = await linkRects(pdf);
    const raster = rasterize(pdf, 144);
    for (let p = 0; p < pages; p++) {
      const text = words.filter((w) => w.page === p).map((w) => w.text).join(' ');
      // Every "page X of Y" printed says this page and the sealed total.
      const stated = [...text.matchAll(/(?:page|pagina|стр\.) (\d+) (?:of|di|из) (\d+)/g)];
      expect(stated.length, `page ${p + 1}: ${text}`).toBeGreaterThanOrEqual(1);
      for (const m of stated) expect([Number(m[1]), Number(m[2])]).toEqual([p + 1, pages]);
      expect(text).toContain(pageOf(lang, p + 1, pages));
      // Along the top edge (the certificate's body repeats it in its own text).
      const label = phraseBoxes(words, p, T.developmentLabel).filter((b) => b.y0 > 800);
      expect(label, `development label on page ${p + 1}`).toHaveLength(1);
      const stripe = [...phraseBoxes(words, p, `${T.documentId}: ${ID}`), ...phraseBoxes(words, p, `${T.verifyAt}:`)].filter((b) => b.y1 < 40);
      expect(stripe).toHaveLength(2);
      const qr = qrRect(links[p]!)!;
      expect(qr, `QR on page ${p + 1}`).toBeDefined();
      expect(measureQuietZone(raster[p]!, 144, 841.89, qr).quietModules, `quiet zone on page ${p + 1}`).toBeGreaterThanOrEqual(4);
      if (p >= original) continue;
      const foot = phraseBoxes(words, p, footer);
      expect(foot, `footer "${footer}" on page ${p + 1}`).toHaveLength(1);
      for (const s of [...label, ...stripe]) expect(intersects(s, foot[0]!), `stamp text over the footer on page ${p + 1}`).toBe(false);
      // The template's own footer number is this page's number.
      expect(text).toMatch(new RegExp(`${escape(footer)} · \\S+ ${p + 1}( |$)`));
      for (const pl of rendered.placements.filter((x) => x.page === p)) expect(intersects(qr, toBox(pl.box)), `QR over ${pl.key}`).toBe(false);
    }
  });
});
