import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { sniffPdf } from '../../src/documents/upload.js';
import { MAX_SIGNATURES, scanPdf } from '../../src/documents/verify/scan.js';
import { analyseSignatures } from '../../src/documents/verify/verifier.js';
import { isAppError } from '../../src/http/errors.js';
import { parseBitrixForm, type FormLimits } from '../../src/http/form.js';
import { jsonBody } from '../../src/http/json-body.js';
import { imageSize } from '../../src/signing/image-size.js';
import { hostileVerifyPdf } from '../helpers/hostile.js';

/**
 * Issue 14: every parser of untrusted input does work linear in its input. Each is run on about
 * 1 MB and about 10 MB of its worst known shape, and the CPU time (process.cpuUsage, not wall time)
 * for ten times the input must be at most 12 times more (the form parser: its operation count). A quadratic parser fails by far: the old
 * signature scan needed 8.6 s for 0.4 MB of repeated keys. Each side is warmed up, then called
 * repeatedly for five rounds of 150 ms of CPU, and its cheapest call is kept (see cpuPerCall), so a collector
 * pause or a busy machine does not decide the result; 5 ms of slack absorbs timer granularity for sub-millisecond calls.
 */
const MB = 1024 * 1024;
const CPU_PER_ROUND_MS = 150;
// Ten-megabyte inputs, timed five times over, on a shared machine.
vi.setConfig({ testTimeout: 120_000 });

/**
 * CPU milliseconds of one call of `fn` (sync or async), warmed up first: the cheapest call seen over five
 * rounds of 150 ms of CPU each. The cheapest call is the parser's own cost; an average would also carry
 * whichever collector pause happened to land in it, and a 10 MB input's few calls per round make that
 * pause a large share (12.8× for a linear JSON read once in CI, 14.9× for wide objects on an idle machine).
 */
async function cpuPerCall(fn: () => unknown): Promise<number> {
  await fn();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const roundStart = process.cpuUsage();
    let spent = 0;
    do {
      const start = process.cpuUsage();
      await fn();
      const d = process.cpuUsage(start);
      best = Math.min(best, (d.user + d.system) / 1000);
      const r = process.cpuUsage(roundStart);
      spent = (r.user + r.system) / 1000;
    } while (spent < CPU_PER_ROUND_MS);
  }
  return best;
}

/** Runs `fn` while counting every Map and WeakMap operation and every key an iteration visits. */
function countTreeOperations(fn: () => unknown): number {
  let ops = 0;
  const patched: Array<[object, PropertyKey, unknown]> = [];
  const wrap = (proto: object, name: PropertyKey, make: (orig: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown) => {
    const orig = (proto as Record<PropertyKey, (...a: unknown[]) => unknown>)[name]!;
    patched.push([proto, name, orig]);
    Object.defineProperty(proto, name, { value: make(orig), configurable: true, writable: true });
  };
  const counting = (it: Iterator<unknown>): IterableIterator<unknown> => ({
    next: () => (ops++, it.next()),
    [Symbol.iterator]() {
      return this;
    },
  });
  for (const proto of [Map.prototype, WeakMap.prototype]) {
    for (const name of ['get', 'set', 'has']) wrap(proto, name, (orig) => function (this: unknown, ...a) { ops++; return orig.apply(this, a); });
  }
  for (const name of ['keys', 'values', 'entries', Symbol.iterator]) wrap(Map.prototype, name, (orig) => function (this: unknown) { return counting(orig.call(this) as Iterator<unknown>); });
  try {
    fn();
  } finally {
    for (const [proto, name, orig] of patched.reverse()) Object.defineProperty(proto, name, { value: orig, configurable: true, writable: true });
  }
  return ops;
}

/** `unit` repeated to about `bytes`, with `head` in front and `tail` behind. */
const repeated = (unit: string, bytes: number, head = '', tail = '') => head + unit.repeat(Math.ceil(bytes / unit.length)) + tail;
const latin1 = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

function expectLinear(small: number, large: number, what = '') {
  expect(large, `${what} 1 MB: ${small.toFixed(2)} ms, 10 MB: ${large.toFixed(2)} ms of CPU`).toBeLessThanOrEqual(12 * small + 5);
}

describe('work grows linearly with the input (1 MB vs 10 MB, CPU time)', () => {
  it('PDF signature scan (verify door): repeated keys, keys without arrays, arrays that never close', async () => {
    for (const unit of ['/ByteRange [0 1 2 3]\n', '/ByteRange /ByteRange ', '/ByteRange [0 1 2 ']) {
      const make = (n: number) => latin1(repeated(unit, n, '%PDF-1.7\n'));
      const [small, large] = [make(MB), make(10 * MB)];
      expectLinear(
        await cpuPerCall(() => scanPdf(small)),
        await cpuPerCall(() => scanPdf(large)),
      );
    }
  });

  it('the whole verifier on the hostile upload (scan, hashing, CMS checks)', async () => {
    const [small, large] = [hostileVerifyPdf(MB / 21), hostileVerifyPdf((10 * MB) / 21)];
    const verify = (b: Uint8Array) => analyseSignatures(b, { trustRoots: [] });
    expect((await verify(large)).truncated).toBe(true);
    expectLinear(await cpuPerCall(() => verify(small)), await cpuPerCall(() => verify(large)));
  });

  it('upload inspection pre-scan (sniffPdf): signatures, /Encrypt and %%EOF markers everywhere', async () => {
    const make = (n: number) => latin1(repeated('/ByteRange [0 1 2 3] /Encrypt 5 0 R %%EOF\n', n, '%PDF-1.7\n'));
    const [small, large] = [make(MB), make(10 * MB)];
    expectLinear(
      await cpuPerCall(() => sniffPdf(small)),
      await cpuPerCall(() => sniffPdf(large)),
    );
  });

  // The form parser's work is counted in operations on its tree (every Map/WeakMap get, set and has,
  // every key an iteration visits) rather than in CPU time: V8's own Map costs grow faster than its
  // size (a plain Map.set of 10,000 precomputed keys takes about 25× the CPU of 1,000), which would
  // hide the parser's behaviour. The old `a[]=` append walked every key of its container: quadratic.
  it('PHP-bracket form parser: appends, distinct nested keys, percent-escapes (operation count)', () => {
    const limits: FormLimits = { maxBytes: 64 * MB, maxPairs: 10_000_000, maxDepth: 5, maxKeyLength: 256 };
    const pairs = (n: number, pair: (k: number) => string) => Array.from({ length: Math.ceil(n / pair(0).length) }, (_, k) => pair(k)).join('');
    const shapes = {
      append: (n: number) => pairs(n, () => `a[]=${'x'.repeat(200)}&`),
      nested: (n: number) => pairs(n, (k) => `p[${k.toString(36)}][x][]=${'%41'.repeat(66)}&`),
      escapes: (n: number) => `v=${repeated('%D0%90+', n)}`,
    };
    for (const [name, shape] of Object.entries(shapes)) {
      const [small, large] = [shape(MB), shape(10 * MB)];
      const [opsSmall, opsLarge] = [countTreeOperations(() => parseBitrixForm(small, limits)), countTreeOperations(() => parseBitrixForm(large, limits))];
      expect(opsSmall, name).toBeGreaterThan(0);
      expect(opsLarge, `${name}: ${opsSmall} operations for 1 MB, ${opsLarge} for 10 MB`).toBeLessThanOrEqual(12 * opsSmall);
    }
  });

  it('image header parsing: a JPEG of tiny segments before its frame', async () => {
    const make = (n: number) => {
      const segments = Buffer.alloc(Math.ceil(n / 4) * 4);
      for (let o = 0; o < segments.length; o += 4) segments.set([0xff, 0xfe, 0x00, 0x02], o); // empty comments
      return new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xd8]), segments, Buffer.from([0xff, 0xc0, 0, 11, 8, 0, 10, 0, 10, 1, 1, 0x11, 0])]));
    };
    const [small, large] = [make(MB), make(10 * MB)];
    expect(imageSize(large)).toEqual({ kind: 'jpeg', width: 10, height: 10 });
    expectLinear(
      await cpuPerCall(() => imageSize(small)),
      await cpuPerCall(() => imageSize(large)),
    );
  });

  // JSON.parse itself is the engine's: on this machine its own cost for 10 MB is 17–26× that for 1 MB (the
  // larger input no longer fits the CPU caches), so the door is measured against the engine reading the same
  // text, plain: the door may cost at most 20% more growth than JSON.parse shows, and never less than 12×
  // is allowed. A door that did key-quadratic work (100× for 10× the keys) still fails by far.
  it('JSON bodies (jsonBody): wide objects, long strings, deep arrays, against the engine’s own JSON.parse', async () => {
    const app = new Hono().post('/', async (c) => c.json({ ok: Boolean(await jsonBody(c, z.unknown())) }));
    const shapes = {
      wide: (n: number) => `{${Array.from({ length: Math.ceil(n / 212) }, (_, k) => `"k${k}":"${'y'.repeat(200)}"`).join(',')}}`,
      escapes: (n: number) => JSON.stringify({ s: repeated('\u0410x', n) }),
      deep: (n: number) => `${'['.repeat(n / 1024)}${']'.repeat(n / 1024)}`,
    };
    for (const [name, shape] of Object.entries(shapes)) {
      const [small, large] = [shape(MB), shape(10 * MB)];
      const post = async (body: string) => app.request('/', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect((await post(large)).status).toBe(200);
      const engine = (await cpuPerCall(() => JSON.parse(large))) / (await cpuPerCall(() => JSON.parse(small)));
      const [doorSmall, doorLarge] = [await cpuPerCall(() => post(small)), await cpuPerCall(() => post(large))];
      expect(doorLarge, `${name}: door 1 MB ${doorSmall.toFixed(2)} ms, 10 MB ${doorLarge.toFixed(2)} ms of CPU; JSON.parse alone grows ${engine.toFixed(1)}×`).toBeLessThanOrEqual(
        Math.max(12, 1.2 * engine) * doorSmall + 5,
      );
    }
  });
});

describe('fuzzing with a time budget: any input gives an answer or a typed refusal', () => {
  const budget = { numRuns: 1_000_000, interruptAfterTimeLimit: 3000 };
  const pdfish = fc
    .array(fc.oneof(fc.constantFrom('/ByteRange', '[', ']', '0 ', '12 ', '<', '>', '/Contents', 'obj', 'endobj', '/Encrypt', '%%EOF', ' '), fc.string({ maxLength: 8 })), { maxLength: 200 })
    .map((parts) => latin1(`%PDF-1.7\n${parts.join('')}`));

  it('scanPdf never throws and never reports more than its caps', () => {
    fc.assert(
      fc.property(pdfish, (bytes) => {
        const r = scanPdf(bytes);
        expect(r.signatures.length).toBeLessThanOrEqual(MAX_SIGNATURES);
      }),
      budget,
    );
  });

  it('sniffPdf never throws', () => {
    fc.assert(
      fc.property(pdfish, (bytes) => {
        expect(sniffPdf(bytes).signatures).toBeGreaterThanOrEqual(0);
      }),
      budget,
    );
  });

  it('parseBitrixForm throws nothing but AppError on bracket-heavy input', () => {
    const formish = fc.array(fc.oneof(fc.constantFrom('a', '[', ']', '[]', '=', '&', '%', '%5B', '+', '__proto__', '0', '1'), fc.string({ maxLength: 4 })), { maxLength: 120 }).map((p) => p.join(''));
    fc.assert(
      fc.property(formish, (text) => {
        try {
          parseBitrixForm(text);
        } catch (e) {
          expect(isAppError(e)).toBe(true);
        }
      }),
      budget,
    );
  });

  it('jsonBody answers a value or BAD_REQUEST, never anything else', async () => {
    const app = new Hono().post('/', async (c) => c.json({ ok: (await jsonBody(c, z.unknown())) !== undefined }));
    app.onError((e, c) => c.json({ code: isAppError(e) ? e.code : 'OTHER' }, 400));
    const jsonish = fc.oneof(fc.json(), fc.string({ maxLength: 60 }), fc.array(fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', 'true', '\\'), { maxLength: 60 }).map((p) => p.join('')));
    await fc.assert(
      fc.asyncProperty(jsonish, async (body) => {
        const res = await app.request('/', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        const out = (await res.json()) as { ok?: boolean; code?: string };
        expect(out.ok === true || out.code === 'BAD_REQUEST').toBe(true);
      }),
      budget,
    );
  });
});
