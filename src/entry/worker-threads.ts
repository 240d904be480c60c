import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { OFF_THREAD_FULL, type OffThread, type OffThreadTask, type WorkerLimits, type WorkerOutcome } from '../lib/off-thread.js';

/**
 * The Node adapter of the off-thread port (src/lib/off-thread.ts): one piece of untrusted work in its
 * own worker thread, bounded by a clock and a heap: the worker is killed when either runs out, and the
 * main thread (signing, robots, health checks) only waits. Its entries are the `*-worker.mjs` files
 * beside this one: upload inspection (pdf-inspect-worker.mjs), public verification (verify-worker.mjs)
 * and page images (page-images-worker.mjs).
 *
 * Entries are named with `new URL('./x-worker.mjs', import.meta.url)`, so the production build
 * (scripts/build.ts) emits them beside the server and the same URL finds them. An entry that imports
 * our TypeScript passes `typescript: true`: from source (tsx, vitest) the worker then starts with tsx's
 * loader; from a bundle (this file compiled to .js) the entry is already plain JavaScript.
 */
export type { WorkerFailure, WorkerLimits, WorkerOutcome } from '../lib/off-thread.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
let tsxLoader: string | undefined;
const typescriptArgv = () => {
  tsxLoader ??= pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsxLoader];
};

type Worker = import('node:worker_threads').Worker;

async function spawn(entry: URL, limits: WorkerLimits, typescript: boolean | undefined, workerData?: unknown): Promise<Worker> {
  const { Worker } = await import('node:worker_threads');
  return new Worker(entry, {
    workerData,
    // Never inherit the parent's flags: a plain entry would only start slower with a TypeScript loader.
    execArgv: typescript && FROM_SOURCE ? typescriptArgv() : [],
    resourceLimits: {
      maxOldGenerationSizeMb: limits.memoryMb,
      maxYoungGenerationSizeMb: Math.min(64, Math.max(8, limits.memoryMb / 8)),
      stackSizeMb: limits.stackMb ?? 4,
    },
  });
}

/**
 * Waits for `worker`'s next message, bounded by `timeoutMs`. Any failure is final for the worker:
 * the caller terminates it. Listeners are removed either way, so a pooled worker can wait again.
 */
function nextMessage<T>(worker: Worker, limits: WorkerLimits): Promise<WorkerOutcome<T>> {
  return new Promise((resolve) => {
    const done = (outcome: WorkerOutcome<T>) => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      resolve(outcome);
    };
    const onMessage = (value: T) => done({ ok: true, value });
    const onError = (e: Error & { code?: string }) =>
      done(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { ok: false, reason: 'memory', detail: `more than ${limits.memoryMb} MB of heap` }
          : { ok: false, reason: e instanceof RangeError ? 'stack' : 'error', detail: String(e.message).slice(0, 200) },
      );
    const onExit = (code: number) => done({ ok: false, reason: 'crashed', detail: `exit ${code}` });
    const timer = setTimeout(() => done({ ok: false, reason: 'timeout', detail: `more than ${limits.timeoutMs} ms` }), limits.timeoutMs);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

/**
 * One task in a fresh worker: `entry` gets `data` as its workerData and posts one message. For rare,
 * memory-hungry work (upload inspection with pdf-lib) where a clean heap per task is worth the start.
 */
export async function runWorkerTask<T>(entry: URL, data: unknown, limits: WorkerLimits, opts: { typescript?: boolean } = {}): Promise<WorkerOutcome<T>> {
  const worker = await spawn(entry, limits, opts.typescript, data);
  const outcome = await nextMessage<T>(worker, limits);
  void worker.terminate();
  return outcome;
}

/**
 * Long-lived workers for frequent public work (verification): starting a worker costs far more than
 * checking a typical file, so up to `size` workers are kept and reused, one task each at a time.
 * `entry` answers every message it receives with one message. A worker that fails a task (time,
 * heap, crash) is terminated and replaced on the next task, so no limit is ever shared with a later
 * request. At most `queue` callers wait for a worker; beyond that `run` answers FULL at once. Idle
 * workers never keep the process alive and are ended after `idleMs`.
 */
export class WorkerPool {
  static readonly FULL: typeof OFF_THREAD_FULL = OFF_THREAD_FULL;
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(w: Worker | undefined) => void> = [];
  private busy = 0;
  private readonly idleTimers = new Map<Worker, NodeJS.Timeout>();

  constructor(
    private readonly entry: URL,
    private readonly opts: { size: number; queue: number; limits: WorkerLimits; typescript?: boolean; idleMs?: number },
  ) {}

  async run<T>(data: unknown, transfer?: ArrayBuffer[]): Promise<WorkerOutcome<T> | typeof WorkerPool.FULL> {
    let worker: Worker | undefined;
    if (this.busy < this.opts.size) {
      this.busy++;
      worker = this.idle.pop();
    } else {
      if (this.waiting.length >= this.opts.queue) return WorkerPool.FULL;
      worker = await new Promise<Worker | undefined>((r) => this.waiting.push(r));
    }
    let healthy = false;
    try {
      if (worker) clearTimeout(this.idleTimers.get(worker));
      worker ??= await this.spawn();
      worker.ref();
      const reply = nextMessage<T>(worker, this.opts.limits);
      worker.postMessage(data, transfer);
      const outcome = await reply;
      healthy = outcome.ok;
      return outcome;
    } finally {
      if (worker && !healthy) void worker.terminate();
      this.release(healthy ? worker : undefined);
    }
  }

  private async spawn(): Promise<Worker> {
    const worker = await spawn(this.entry, this.opts.limits, this.opts.typescript);
    // Between tasks nobody else listens: a worker that dies while parked is forgotten, never fatal.
    worker.on('error', () => {});
    worker.on('exit', () => {
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      clearTimeout(this.idleTimers.get(worker));
      this.idleTimers.delete(worker);
    });
    return worker;
  }

  /** Hands the worker (or a free slot, when it was dropped) to the next caller, or parks it. */
  private release(worker: Worker | undefined) {
    const next = this.waiting.shift();
    if (next) return next(worker);
    this.busy--;
    if (!worker) return;
    worker.unref();
    this.idle.push(worker);
    this.idleTimers.set(
      worker,
      setTimeout(() => void worker.terminate(), this.opts.idleMs ?? 60_000).unref(),
    );
  }
}

/** The limits of the off-thread tasks whose size does not come from a request (upload inspection passes its own). */
export interface OffThreadConfig {
  VERIFY_TIMEOUT_MS: number;
  VERIFY_MEMORY_MB: number;
  UPLOAD_PARSE_TIMEOUT_MS: number;
  UPLOAD_PARSE_MEMORY_MB: number;
}

/**
 * The off-thread port on Node. Verification keeps up to two workers (eight callers waiting): starting
 * a worker costs more than checking a typical file. Page images run one at a time (CPU-bound, the
 * machine also signs and seals). Upload inspection gets a fresh worker per task (rare, memory-hungry).
 * Pools start on first use; one port per Services (tests and instances never share workers).
 */
export function nodeOffThread(config: OffThreadConfig): OffThread {
  let verify: WorkerPool | undefined;
  let pageImages: WorkerPool | undefined;
  const pools: Record<Exclude<OffThreadTask, 'pdf-inspect'>, () => WorkerPool> = {
    verify: () =>
      (verify ??= new WorkerPool(new URL('./verify-worker.mjs', import.meta.url), {
        size: 2,
        queue: 8,
        limits: { timeoutMs: config.VERIFY_TIMEOUT_MS, memoryMb: config.VERIFY_MEMORY_MB },
        typescript: true,
      })),
    'page-images': () =>
      (pageImages ??= new WorkerPool(new URL('./page-images-worker.mjs', import.meta.url), {
        size: 1,
        queue: 100,
        limits: { timeoutMs: 180_000, memoryMb: 768, stackMb: 8 },
        idleMs: 30_000,
      })),
  };
  return {
    async run<T>(task: OffThreadTask, data: unknown, opts: { limits?: WorkerLimits; transfer?: ArrayBuffer[] } = {}) {
      if (task === 'pdf-inspect') {
        const limits = opts.limits ?? { timeoutMs: config.UPLOAD_PARSE_TIMEOUT_MS, memoryMb: config.UPLOAD_PARSE_MEMORY_MB };
        return runWorkerTask<T>(new URL('./pdf-inspect-worker.mjs', import.meta.url), data, limits);
      }
      return pools[task]().run<T>(data, opts.transfer);
    },
  };
}

