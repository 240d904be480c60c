import type { Assets } from './assets/types.js';
import type { Bitrix24ClientFactory } from './bitrix24/types.js';
import type { Config } from './config.js';
import type { Database, DbHandle } from './db/client.js';
import type { PeerAddress } from './http/client-ip.js';
import type { Clock } from './lib/clock.js';
import type { Ids } from './lib/ids.js';
import type { Logger } from './lib/logger.js';
import type { Sealer } from './documents/seal/sealer.js';
import type { SealedDocumentLookup } from './documents/verify/sealed-documents.js';
import type { Mailer } from './notify/mailer.js';
import type { OffThread } from './lib/off-thread.js';
import type { FontSource } from './documents/fonts.js';
import type { SandboxHandle } from './sandbox/handle.js';
import type { BlobStore } from './blobs/store.js';

/**
 * Everything a request or a job may touch, built once by an entry (Node or Workers) and injected
 * into createApp. Tests build their own with fakes; nothing reads globals.
 */
export interface Services {
  config: Config;
  db: Database;
  dbHandle: Pick<DbHandle, 'kind' | 'ping'>;
  logger: Logger;
  clock: Clock;
  ids: Ids;
  /** Outbound HTTP (Bitrix24, TSA). Tests route it into the emulator. */
  fetch: typeof fetch;
  /** REST client per stored portal: OAuth refresh, the shared rate limiter, retries (src/bitrix24/client.ts). */
  bitrix24: Bitrix24ClientFactory;
  /** SMTP when SMTP_URL is set; absent means messages are only recorded in `messages` (sandbox mailbox). */
  mailer?: Mailer;
  /** The platform PAdES seal, built once from SEAL_P12_PATH or the development certificate (src/documents/seal/sealer.ts). */
  sealer: Sealer;
  /** Sealed-document records for the verify door; absent means the DB-backed lookup over `sealed_documents`. */
  sealedDocuments?: SealedDocumentLookup;
  /** The sandbox portal (emulator in-process); present only when config.sandboxEnabled (src/sandbox/). */
  sandbox?: SandboxHandle;
  /** The TCP peer of a request; absent means the Node adapter's socket. A Workers entry passes CF-Connecting-IP. */
  peerAddress?: PeerAddress;
  /** Browser files under /assets: built in memory in development, the hashed files of `npm run build` in dist (src/assets/). */
  assets: Assets;
  /** Work off the serving thread (upload inspection, verification, page images): worker threads on Node (src/entry/worker-threads.ts). */
  offThread: OffThread;
  /** PDFs and page images by key (src/blobs/): PostgreSQL's blob_bytes table on Node, R2 on Workers. */
  blobs: BlobStore;
  /** The TTF bytes the renderers embed: node_modules on Node (src/entry/fonts.ts); the entry also installs it for renderers not handed Services. */
  fonts: FontSource;
  /** Wakes this process's job runner for a job due now (set by the entry that starts one; absent: the next poll finds it). */
  wakeJobs?: () => void;
}
