// Worker-thread entry for public verification (src/documents/verify/off-thread.ts, through the off-thread port): a pooled worker that answers each
// message (one file) with its analysis (plain data). From source it runs under tsx's loader; a bundle
// bundles it with the verifier. A failure is thrown, which ends this worker; the pool replaces it.
import { parentPort } from 'node:worker_threads';
import { analyseSignatures } from '../documents/verify/verifier.js';
import { installNodeHasher } from './native-hash.js';

// Module state is per thread: this worker hashes with node:crypto too.
installNodeHasher();

parentPort.on('message', async ({ bytes, trustRoots, ownCertificates, now }) => {
  parentPort.postMessage(await analyseSignatures(bytes, { trustRoots, ownCertificates, now }));
});
