/**
 * The port for work that must not run on the thread that serves requests: untrusted PDFs (upload
 * inspection, public verification) and page drawing. Each task runs bounded by a clock and a heap;
 * the caller only waits. On Node the adapter is worker threads (src/entry/worker-threads.ts); the
 * domain names a task and hands over plain data, never a file path or a Worker.
 */
export interface WorkerLimits {
  timeoutMs: number;
  /** Heap of the task (V8 old generation on Node); the file's own bytes are counted outside it. */
  memoryMb: number;
  /** Small on purpose: pathological nesting fails fast. */
  stackMb?: number;
}

export type WorkerFailure = { ok: false; reason: 'timeout' | 'memory' | 'stack' | 'error' | 'crashed'; detail: string };
export type WorkerOutcome<T> = { ok: true; value: T } | WorkerFailure;

/** Too many tasks of this kind are waiting already: the caller answers "try again later". */
export const OFF_THREAD_FULL = Symbol('off-thread queue full');

/**
 * The tasks and their data: `pdf-inspect` (src/documents/pdf-inspect.mjs analysePdf: { bytes, maxPages,
 * trialSave }, a fresh heap per task), `verify` (documents/verify/verifier.ts analyseSignatures: { bytes,
 * trustRoots, ownCertificates, now }, pooled), `page-images` (pdf.js drawing: { bytes, widths, maxPages },
 * one at a time).
 */
export type OffThreadTask = 'pdf-inspect' | 'verify' | 'page-images';

export interface OffThread {
  /**
   * Runs one task. `limits` overrides the adapter's limits for this task kind (upload inspection sizes
   * them from config per call); `transfer` lists buffers moved rather than copied to the task.
   */
  run<T>(task: OffThreadTask, data: unknown, opts?: { limits?: WorkerLimits; transfer?: ArrayBuffer[] }): Promise<WorkerOutcome<T> | typeof OFF_THREAD_FULL>;
}
