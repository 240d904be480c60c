import { PDFArray, PDFDocument, PDFRawStream, PDFRef, type PDFContext, type PDFObject } from 'pdf-lib';

/**
 * Incremental save for pdf-lib documents (PDF 32000-1 §7.5.6). pdf-lib can only rewrite a whole
 * file, which changes the bytes of an uploaded original and breaks any signature it carries. Here
 * the original stays a byte-identical prefix: only objects that are new or whose serialization
 * changed since `openIncremental` are appended, under their own object numbers, followed by a new
 * cross-reference section of the same kind as the original's last one (classic table or xref
 * stream) whose trailer points back to it with /Prev.
 *
 * Change detection compares each object's pdf-lib serialization with a fingerprint taken right
 * after loading; stream contents are compared by identity (pdf-lib never edits a parsed stream's
 * bytes in place, it replaces them), so big streams are never serialized to be compared.
 */
export interface IncrementalBase {
  readonly original: Uint8Array;
  /** Offset of the original's last cross-reference section (its final `startxref`). */
  readonly prevXref: number;
  readonly xrefStream: boolean;
  /** /Size of the original's last trailer. */
  readonly size: number;
  readonly fingerprints: Map<PDFRef, Fingerprint>;
}

export type Fingerprint = { text: string; contents?: Uint8Array };

const enc = new TextEncoder();
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

export function fingerprint(obj: PDFObject): Fingerprint {
  if (obj instanceof PDFRawStream) return { text: obj.dict.toString(), contents: obj.contents };
  return { text: obj.toString() };
}

function sameFingerprint(a: Fingerprint, obj: PDFObject): boolean {
  if (obj instanceof PDFRawStream) return a.contents === obj.contents && a.text === obj.dict.toString();
  return a.contents === undefined && a.text === obj.toString();
}

/** Reads the last `startxref`, what kind of section it points at, and that trailer's /Size. */
export function readLastXref(bytes: Uint8Array): { prevXref: number; xrefStream: boolean; size: number } {
  const tail = latin1(bytes.subarray(Math.max(0, bytes.length - 2048)));
  const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail) ?? /startxref\s+(\d+)(?![\s\S]*startxref)/.exec(tail);
  if (!m) throw new Error('No startxref at the end of the file');
  const prevXref = Number(m[1]);
  if (!(prevXref > 0 && prevXref < bytes.length)) throw new Error('startxref points outside the file');
  const head = latin1(bytes.subarray(prevXref, Math.min(bytes.length, prevXref + 64)));
  const xrefStream = !/^\s*xref/.test(head);
  let dictText: string;
  if (xrefStream) {
    if (!/^\s*\d+\s+\d+\s+obj/.test(head)) throw new Error('startxref points at neither an xref table nor an xref stream');
    dictText = latin1(bytes.subarray(prevXref, Math.min(bytes.length, prevXref + 4096)));
  } else {
    const t = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf('trailer', prevXref, 'latin1');
    if (t < 0) throw new Error('The xref table has no trailer');
    dictText = latin1(bytes.subarray(t, Math.min(bytes.length, t + 4096)));
  }
  const size = /\/Size\s+(\d+)/.exec(dictText);
  if (!size) throw new Error('The last trailer has no /Size');
  return { prevXref, xrefStream, size: Number(size[1]) };
}

/** Fingerprints a freshly loaded document so `saveIncremental` can tell what changed. */
export function snapshotForIncremental(doc: PDFDocument, original: Uint8Array): IncrementalBase {
  const last = readLastXref(original);
  const fingerprints = new Map<PDFRef, Fingerprint>();
  for (const [ref, obj] of doc.context.enumerateIndirectObjects()) fingerprints.set(ref, fingerprint(obj));
  // New objects must not take numbers the original's xref already spans (free entries included).
  doc.context.largestObjectNumber = Math.max(doc.context.largestObjectNumber, last.size - 1);
  return { original, ...last, fingerprints };
}

/** Loads bytes with pdf-lib and takes the snapshot: the start of every incremental edit. */
export async function openIncremental(bytes: Uint8Array): Promise<{ doc: PDFDocument; base: IncrementalBase }> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  return { doc, base: snapshotForIncremental(doc, bytes) };
}

/** The indirect objects that are new or changed since the snapshot, by object number. */
export function changedObjects(context: PDFContext, base: IncrementalBase): [PDFRef, PDFObject][] {
  const out: [PDFRef, PDFObject][] = [];
  for (const [ref, obj] of context.enumerateIndirectObjects()) {
    const fp = base.fingerprints.get(ref);
    if (!fp || !sameFingerprint(fp, obj)) out.push([ref, obj]);
  }
  return out.sort((a, b) => a[0].objectNumber - b[0].objectNumber);
}

/** Consecutive object numbers as [first, count] pairs: the subsections of an xref section. */
function subsections(nums: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const n of nums) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === n) last[1]++;
    else out.push([n, 1]);
  }
  return out;
}

/**
 * Appends the changes as one update and returns the whole new file (a fresh buffer: the original
 * is copied, never modified). Fonts and images pdf-lib embeds lazily are flushed first, as save() does.
 */
export async function saveIncremental(doc: PDFDocument, base: IncrementalBase): Promise<Uint8Array> {
  await doc.flush();
  return appendUpdate(doc.context, doc.context.getObjectRef(doc.catalog) ?? (doc.context.trailerInfo.Root as PDFRef), base);
}

/** Writes the objects of `context` that are new or changed since `base` after the original bytes. */
export function appendUpdate(context: PDFContext, root: PDFRef, base: IncrementalBase): Uint8Array {
  const objects = changedObjects(context, base);
  const { original } = base;
  const trailer = context.trailerInfo;
  const refText = (o: PDFObject | undefined) => (o ? o.toString() : undefined);
  const id = trailer.ID instanceof PDFArray ? trailer.ID.toString() : freshId();
  const trailerEntries = [`/Root ${root.toString()}`, ...(trailer.Info ? [`/Info ${refText(trailer.Info)}`] : []), `/ID ${id}`, `/Prev ${base.prevXref}`];

  // Layout: [original][\n if needed][objects…][xref section][trailer / startxref / %%EOF].
  const lead = original[original.length - 1] === 0x0a || original[original.length - 1] === 0x0d ? 0 : 1;
  const heads = objects.map(([ref]) => enc.encode(`${ref.objectNumber} ${ref.generationNumber} obj\n`));
  const END = enc.encode('\nendobj\n');
  const offsets: number[] = [];
  let size = original.length + lead;
  objects.forEach(([, obj], i) => {
    offsets.push(size);
    size += heads[i]!.length + obj.sizeInBytes() + END.length;
  });
  const xrefAt = size;
  const entries = objects.map(([ref], i) => ({ num: ref.objectNumber, gen: ref.generationNumber, off: offsets[i]! }));
  let maxNum = Math.max(base.size - 1, ...entries.map((e) => e.num));

  let tail: Uint8Array;
  if (base.xrefStream) {
    // An uncompressed xref stream (W [1 4 2]) including its own entry.
    const self = maxNum + 1;
    maxNum = self;
    entries.push({ num: self, gen: 0, off: xrefAt });
    const rows = new Uint8Array(entries.length * 7);
    entries.forEach((e, i) => {
      const o = i * 7;
      rows[o] = 1;
      rows[o + 1] = (e.off >>> 24) & 0xff;
      rows[o + 2] = (e.off >>> 16) & 0xff;
      rows[o + 3] = (e.off >>> 8) & 0xff;
      rows[o + 4] = e.off & 0xff;
      rows[o + 5] = (e.gen >> 8) & 0xff;
      rows[o + 6] = e.gen & 0xff;
    });
    const index = subsections(entries.map((e) => e.num)).flat().join(' ');
    const dict = `${self} 0 obj\n<< /Type /XRef /Size ${maxNum + 1} /W [1 4 2] /Index [${index}] ${trailerEntries.join(' ')} /Length ${rows.length} >>\nstream\n`;
    tail = concat([enc.encode(dict), rows, enc.encode(`\nendstream\nendobj\nstartxref\n${xrefAt}\n%%EOF\n`)]);
  } else {
    const lines = ['xref'];
    let i = 0;
    for (const [first, count] of subsections(entries.map((e) => e.num))) {
      lines.push(`${first} ${count}`);
      for (let k = 0; k < count; k++, i++) {
        const e = entries[i]!;
        // Each entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, two-byte EOL.
        lines.push(`${String(e.off).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n\r`);
      }
    }
    tail = enc.encode(`${lines.join('\n')}\ntrailer\n<< /Size ${maxNum + 1} ${trailerEntries.join(' ')} >>\nstartxref\n${xrefAt}\n%%EOF\n`);
  }

  // Not zero-filled: every byte is written below (the original, the update), saving a pass over big files.
  const out = new Uint8Array(Buffer.allocUnsafeSlow(xrefAt + tail.length).buffer, 0, xrefAt + tail.length);
  out.set(original, 0);
  if (lead) out[original.length] = 0x0a;
  objects.forEach(([, obj], i) => {
    let at = offsets[i]!;
    out.set(heads[i]!, at);
    at += heads[i]!.length;
    at += obj.copyBytesInto(out, at);
    out.set(END, at);
    // The buffer is not zeroed: an object that wrote other than it announced would leave stale memory.
    if (at + END.length !== (offsets[i + 1] ?? xrefAt)) throw new Error('An object wrote a different size than it announced');
  });
  out.set(tail, xrefAt);
  return out;
}

function freshId(): string {
  const hex = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
  return `[<${hex}> <${hex}>]`;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
