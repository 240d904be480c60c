export declare class InflateLimitExceeded extends Error {
  readonly code: 'ERR_BUFFER_TOO_LARGE';
  constructor(limit: number);
}
export declare function inflateZlib(data: Uint8Array, opts: { maxOutputLength: number; partial?: boolean }): Uint8Array;
