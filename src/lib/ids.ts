const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Random base62 string from WebCrypto; `length` 22 carries ~131 bits. */
export function randomToken(length = 22): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  // 62 does not divide 256: the tiny modulo bias is irrelevant at 131 bits of entropy.
  for (const b of bytes) out += ALPHABET[b % 62];
  return out;
}

export type IdPrefix = 'prt' | 'job' | 'tpl' | 'env' | 'rcp' | 'fld' | 'aud' | 'msg' | 'req' | 'doc' | 'upl' | 'cert' | 'rbt' | 'blb';

/** Prefixed ids make logs and support tickets self-describing: `env_3x9…` is an envelope. */
export const newId = (prefix: IdPrefix) => `${prefix}_${randomToken(20)}`;

export interface Ids {
  newId(prefix: IdPrefix): string;
}
export const realIds: Ids = { newId };
