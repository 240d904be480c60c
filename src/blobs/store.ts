/**
 * The port for bytes too large to ride along with rows: source and sealed PDFs, uploaded template
 * PDFs, page images. PostgreSQL's `blob_bytes` table on Node (./postgres-store.ts), R2 on Workers
 * (src/entry/workers/r2-blobs.ts). The store only holds bytes by key; which keys exist, whose they
 * are and when they may go is the domain's registry (`blobs` table, ./blobs.ts, ./sweep.ts).
 */
export interface BlobStore {
  /** Writes the bytes under a new key (keys are never reused; writing one twice stores the same bytes). */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The bytes, or undefined when nothing is stored under the key. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes the keys; a key that holds nothing is not an error. */
  delete(keys: readonly string[]): Promise<void>;
}

/** What a blob holds; the key's middle part, so a bucket listing reads like the data model. */
export type BlobKind = 'source' | 'sealed' | 'file' | 'page';
