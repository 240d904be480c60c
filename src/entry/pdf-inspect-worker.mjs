// Worker-thread entry for upload inspection (src/documents/upload.ts, through the off-thread port): analyse the bytes, post the result, exit.
import { parentPort, workerData } from 'node:worker_threads';
import { analysePdf } from '../documents/pdf-inspect.mjs';

// pdf-lib reports recoverable damage on the console; the result already says what matters.
console.log = console.warn = console.error = () => {};

const { bytes, maxPages, trialSave } = workerData;
analysePdf(bytes, { maxPages, trialSave }).then(
  (result) => parentPort.postMessage(result),
  (e) => parentPort.postMessage({ ok: false, code: 'invalid', detail: String((e && e.message) || e).slice(0, 200) }),
);
