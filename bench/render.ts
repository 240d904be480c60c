/**
 * npm run bench:render — median time and peak memory to render:
 *  - a 2-page sales contract (Russian, 20+ fields filled, signature/stamp/initials boxes), saved to bytes;
 *  - a 50-page document (the same contract grown to 50 pages by a long special-terms section), saved;
 *  - a 50-page uploaded PDF with one text field per page (extra figure), saved.
 * Render = renderDocument + save, i.e. the bytes a preview returns; the signing flow saves once itself.
 * Last line: one JSON object with render_2page_ms, render_50page_ms, peak_rss_mb.
 */
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { FieldDef, FieldValues } from '../src/documents/fields.js';
import { renderToBytes } from '../src/documents/render.js';
import { installNodeFonts } from '../src/entry/fonts.js';
import type { Layout } from '../src/documents/templates/layout.js';
import { starterLayout } from '../src/documents/templates/starters/index.js';
import { RUSSIAN } from '../test/fixtures/documents/render-values.js';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Wall-clock median (the figure asked for) plus the median CPU time of this process, which says what
 * the work costs when other processes compete for the two cores.
 */
installNodeFonts();

async function time(label: string, runs: number, warmup: number, fn: () => Promise<{ pages: number; bytes: number }>) {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  const cpu: number[] = [];
  let last = { pages: 0, bytes: 0 };
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = await fn();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const m = median(ms);
  console.log(
    `${label}: median ${m.toFixed(2)} ms wall, ${median(cpu).toFixed(2)} ms CPU (wall min ${Math.min(...ms).toFixed(2)}, max ${Math.max(...ms).toFixed(2)}, n=${runs}) — ${last.pages} pages, ${(last.bytes / 1024).toFixed(1)} KB`,
  );
  return { wall: m, cpu: median(cpu) };
}

const contract = starterLayout('sales-contract', 'ru')!;
const paragraph =
  'Стороны согласовали, что поставка осуществляется партиями по заявкам Покупателя, направляемым по электронной почте не позднее чем за пять рабочих дней до желаемой даты поставки. ';
// Enough special terms to push the contract onto a second page.
const twoPage: FieldValues = { ...RUSSIAN, special_terms: paragraph.repeat(14) };
const filled = contract.fields.filter((f) => twoPage[f.key] !== undefined || f.defaultValue !== undefined).length;

/**
 * 50 pages: the contract with its special-terms section repeated as many times as it takes (a value
 * is capped at 20 000 characters, so one huge value cannot make 50 pages by itself).
 */
async function fiftyPageLayout(): Promise<Layout> {
  const head = contract.blocks.slice(0, -2);
  const tail = contract.blocks.slice(-2);
  for (let k = 40; k < 400; k += 2) {
    const layout: Layout = { ...contract, blocks: [...head, ...Array.from({ length: k }, () => ({ kind: 'paragraph' as const, text: '{{special_terms}}' })), ...tail] };
    const { result } = await renderToBytes({ layout, values: twoPage, lang: 'ru' });
    if (result.pageCount >= 50) return layout;
  }
  throw new Error('could not reach 50 pages');
}

async function fiftyPageUpload(): Promise<{ pdf: Uint8Array; fields: FieldDef[] }> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < 50; i++) {
    const page = doc.addPage([595.28, 841.89]);
    for (let l = 0; l < 45; l++) page.drawText(`Page ${i + 1}, line ${l + 1}: the parties agree to the terms set out in this section.`, { x: 50, y: 790 - l * 16, size: 10, font });
  }
  const fields: FieldDef[] = Array.from({ length: 50 }, (_, i) => ({ key: `f${i}`, type: 'text', party: 'sender', required: false, page: i, box: { x: 50, y: 30, w: 250, h: 14 } }));
  return { pdf: await doc.save(), fields };
}

async function main() {
  console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} CPUs`);
  console.log(`2-page contract: ${contract.fields.length} fields in the layout, ${filled} with values`);

  const render2 = await time('render 2-page contract', 60, 10, async () => {
    const { bytes, result } = await renderToBytes({ layout: contract, values: twoPage, lang: 'ru' });
    return { pages: result.pageCount, bytes: bytes.byteLength };
  });
  const rss2 = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS after the 2-page runs: ${rss2.toFixed(1)} MB`);
  const layout50 = await fiftyPageLayout();
  const render50 = await time('render 50-page document', 15, 3, async () => {
    const { bytes, result } = await renderToBytes({ layout: layout50, values: twoPage, lang: 'ru' });
    return { pages: result.pageCount, bytes: bytes.byteLength };
  });
  const upload = await fiftyPageUpload();
  const values = Object.fromEntries(upload.fields.map((f, i) => [f.key, `Значение поля ${i + 1} — Ελληνικά — è`]));
  const render50Upload = await time('render 50 fields onto a 50-page uploaded PDF', 15, 3, async () => {
    const { bytes, result } = await renderToBytes({ pdf: upload.pdf, fields: upload.fields, values, lang: 'ru' });
    return { pages: result.pageCount, bytes: bytes.byteLength };
  });

  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const load = (await import('node:os')).loadavg()[0]!;
  console.log(`load average during the run: ${load.toFixed(2)} (2 cores; above ~1.5 the wall-clock figures include waiting for a core)`);
  console.log(`peak RSS ${peakRssMb.toFixed(1)} MB (target for the 2-page contract: < 30 ms median)`);
  console.log(
    JSON.stringify({
      render_2page_ms: round(render2.wall),
      render_50page_ms: round(render50.wall),
      render_50page_upload_ms: round(render50Upload.wall),
      render_2page_cpu_ms: round(render2.cpu),
      render_50page_cpu_ms: round(render50.cpu),
      peak_rss_mb: round(peakRssMb),
      peak_rss_2page_mb: round(rss2),
      fields_2page: filled,
      load_avg_1m: round(load),
    }),
  );
}

await main();
