import { analysePdf } from '../../documents/pdf-inspect.mjs';
import { analyseSignatures } from '../../documents/verify/verifier.js';
import { OFF_THREAD_FULL, type OffThread, type OffThreadTask, type WorkerOutcome } from '../../lib/off-thread.js';

/**
 * The off-thread port on Cloudflare Workers, which has no worker threads: each task runs in the
 * isolate that serves the request, with these limits instead of a separate heap and a kill switch.
 *
 * - `pdf-inspect` and `verify` run in-process, one at a time per isolate (a second waits, a fifth is
 *   answered "full"), and only for files up to `maxBytes`. The clock limit is checked after the work,
 *   so an over-long task is reported as a timeout but not stopped midway: Workers' own CPU limit per
 *   invocation (wrangler.toml `[limits] cpu_ms`) is what ends a runaway one.
 * - `page-images` is refused: drawing pages needs @napi-rs/canvas (a native Node addon). The job
 *   fails permanently with that reason and the signing page draws the PDF with pdf.js, as it does for
 *   a document over 60 pages (src/signing/page-images.ts).
 */
export interface InProcessLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Tasks waiting behind the running one before the port answers OFF_THREAD_FULL. */
  maxWaiting: number;
}

export const WORKERS_OFF_THREAD_LIMITS: InProcessLimits = { maxBytes: 20 * 1024 * 1024, timeoutMs: 20_000, maxWaiting: 4 };

export const PAGE_IMAGES_UNAVAILABLE = 'page images are not drawn on Cloudflare Workers (no canvas); the signing page draws the PDF with pdf.js';

export function inProcessOffThread(limits: InProcessLimits = WORKERS_OFF_THREAD_LIMITS): OffThread {
  let tail: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  const runOne = async (task: OffThreadTask, data: any): Promise<WorkerOutcome<unknown>> => {
    if (task === 'page-images') return { ok: true, value: { ok: false, detail: PAGE_IMAGES_UNAVAILABLE } };
    const bytes: Uint8Array | undefined = data?.bytes;
    if (bytes && bytes.byteLength > limits.maxBytes) {
      return { ok: false, reason: 'memory', detail: `${bytes.byteLength} bytes is over the in-process limit of ${limits.maxBytes}` };
    }
    const started = Date.now();
    try {
      const value =
        task === 'pdf-inspect'
          ? await analysePdf(bytes!, { maxPages: data.maxPages, trialSave: data.trialSave }).catch((e: unknown) => ({
              ok: false,
              code: 'invalid',
              detail: String((e as Error)?.message ?? e).slice(0, 200),
            }))
          : await analyseSignatures(bytes!, { trustRoots: data.trustRoots, ownCertificates: data.ownCertificates, now: data.now });
      if (Date.now() - started > limits.timeoutMs) return { ok: false, reason: 'timeout', detail: `took ${Date.now() - started} ms` };
      return { ok: true, value };
    } catch (e) {
      if (e instanceof RangeError && /call stack/i.test(e.message)) return { ok: false, reason: 'stack', detail: e.message };
      return { ok: false, reason: 'error', detail: String((e as Error)?.message ?? e).slice(0, 200) };
    }
  };
  return {
    async run<T>(task: OffThreadTask, data: unknown) {
      if (task === 'page-images') return (await runOne(task, data)) as WorkerOutcome<T>;
      if (waiting >= limits.maxWaiting) return OFF_THREAD_FULL;
      waiting++;
      const turn = tail.then(() => {
        waiting--;
        return runOne(task, data);
      });
      tail = turn.catch(() => undefined);
      return (await turn) as WorkerOutcome<T>;
    },
  };
}
