import type { BlobStore } from '../../blobs/store.js';

/** The part of Workers' R2Bucket binding the blob store uses (developers.cloudflare.com/r2/api/workers/workers-api-reference/). */
export interface R2BucketBinding {
  put(key: string, value: Uint8Array, options?: { httpMetadata?: { contentType?: string } }): Promise<unknown>;
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
  /** Up to 1,000 keys per call. */
  delete(keys: string | string[]): Promise<void>;
}

const R2_DELETE_MAX = 1000;

/** Blobs in an R2 bucket: the Workers adapter of src/blobs/store.ts (keys as the domain makes them). */
export function r2BlobStore(bucket: R2BucketBinding): BlobStore {
  return {
    async put(key, bytes, contentType) {
      await bucket.put(key, bytes, { httpMetadata: { contentType } });
    },
    async get(key) {
      const obj = await bucket.get(key);
      return obj ? new Uint8Array(await obj.arrayBuffer()) : undefined;
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += R2_DELETE_MAX) await bucket.delete(keys.slice(i, i + R2_DELETE_MAX));
    },
  };
}
