/**
 * Portal OAuth tokens and application tokens at rest: AES-256-GCM on WebCrypto (Node and Workers
 * alike), one random 96-bit IV per value, and the column and portal id as additional authenticated
 * data, so a value copied into another row or column fails to open instead of authenticating as
 * someone else. The first key seals; every configured key opens, which is what makes rotation work.
 *
 * Stored form: `v1.<key id>.<iv>.<ciphertext+tag>` (base64url). Anything without the `v1.` prefix is
 * a row written before encryption existed; it is read as it is until the start-up pass re-seals it.
 */

/** seal_p12 / seal_passphrase: a portal's own seal certificate (src/settings/store.ts). */
export type TokenColumn = 'access_token' | 'refresh_token' | 'application_token' | 'seal_p12' | 'seal_passphrase';

export interface TokenKey {
  id: string;
  /** 32 bytes (AES-256). */
  key: Uint8Array<ArrayBuffer>;
}

export type TokenKeyErrorCode = 'TOKEN_KEY_MISSING' | 'TOKEN_KEY_UNKNOWN' | 'TOKEN_DECRYPT_FAILED';

/** A stored token this process cannot open: wrong or missing key, or a value moved or altered. */
export class TokenKeyError extends Error {
  constructor(
    readonly code: TokenKeyErrorCode,
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'TokenKeyError';
  }
}

export interface TokenKeyring {
  /** The key new values are sealed with (the first configured one); undefined when none is configured. */
  readonly currentKeyId: string | undefined;
  readonly keyIds: readonly string[];
  seal(plain: string, column: TokenColumn, portalId: string): Promise<string>;
  /** Opens a sealed value; a value written before encryption (no `v1.` prefix) comes back as it is. */
  open(stored: string, column: TokenColumn, portalId: string): Promise<string>;
  /** Null stays null: most token columns are nullable. */
  openNullable(stored: string | null, column: TokenColumn, portalId: string): Promise<string | null>;
  /** Already sealed with the current key: nothing for the re-encryption pass to do. */
  isCurrent(stored: string): boolean;
}

const VERSION = 'v1';
export const TOKEN_KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Standard or url-safe base64, padding optional; undefined for anything else. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined;
  const std = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (std.length % 4 === 1) return undefined;
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * `id:base64key[,id:base64key…]`, the first one sealing: a list of problems (for the config error)
 * or the keys. Ids may not repeat and may not contain dots (they sit inside the stored form).
 */
export function parseTokenKeys(raw: string): { keys: TokenKey[] } | { problems: string[] } {
  const problems: string[] = [];
  const keys: TokenKey[] = [];
  for (const [i, entry] of raw.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const key = colon > 0 ? fromBase64(entry.slice(colon + 1)) : undefined;
    if (!TOKEN_KEY_ID.test(id)) problems.push(`entry ${i + 1} must be <id>:<base64 key> with an id of letters, digits, _ or - (at most 32)`);
    else if (keys.some((k) => k.id === id)) problems.push(`key id "${id}" appears twice`);
    else if (key?.length !== 32) problems.push(`key "${id}" must be 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`)`);
    else keys.push({ id, key });
  }
  if (!problems.length && !keys.length) problems.push('needs at least one <id>:<base64 key>');
  return problems.length ? { problems } : { keys };
}

/** A fresh key in the configuration format, for the development fallback and the README's recipe. */
export function generateTokenKey(id: string): string {
  return `${id}:${toBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

const aad = (column: TokenColumn, portalId: string) => enc.encode(`${column}\u0000${portalId}`);

/** Keys are imported on first use (non-extractable) and kept: building a keyring does no work. */
export function createTokenKeyring(keys: readonly TokenKey[]): TokenKeyring {
  const imported = new Map<string, Promise<CryptoKey>>();
  const cryptoKey = (id: string): Promise<CryptoKey> => {
    let k = imported.get(id);
    if (!k) {
      const material = keys.find((x) => x.id === id);
      if (!material) throw new TokenKeyError('TOKEN_KEY_UNKNOWN', `stored tokens are sealed with key "${id}", which is not in TOKEN_ENCRYPTION_KEYS`, id);
      k = crypto.subtle.importKey('raw', material.key, 'AES-GCM', false, ['encrypt', 'decrypt']);
      imported.set(id, k);
    }
    return k;
  };
  const current = keys[0]?.id;

  async function open(stored: string, column: TokenColumn, portalId: string): Promise<string> {
    if (!stored.startsWith(`${VERSION}.`)) return stored;
    const [, id = '', ivText = '', ctText = '', ...rest] = stored.split('.');
    const iv = fromBase64(ivText);
    const ct = fromBase64(ctText);
    if (rest.length || !iv || iv.length !== 12 || !ct) throw new TokenKeyError('TOKEN_DECRYPT_FAILED', `a stored ${column} is not in the sealed format`, id);
    const key = await cryptoKey(id);
    try {
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad(column, portalId) }, key, ct);
      return dec.decode(plain);
    } catch {
      throw new TokenKeyError(
        'TOKEN_DECRYPT_FAILED',
        `key "${id}" does not open the stored ${column} of portal ${portalId} (a different key under the same id, or a value moved from another row)`,
        id,
      );
    }
  }

  return {
    currentKeyId: current,
    keyIds: keys.map((k) => k.id),
    async seal(plain, column, portalId) {
      if (!current) throw new TokenKeyError('TOKEN_KEY_MISSING', 'TOKEN_ENCRYPTION_KEYS is not set: tokens cannot be stored');
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(column, portalId) }, await cryptoKey(current), enc.encode(plain));
      return `${VERSION}.${current}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
    },
    open,
    openNullable: (stored, column, portalId) => (stored === null ? Promise.resolve(null) : open(stored, column, portalId)),
    isCurrent: (stored) => current !== undefined && stored.startsWith(`${VERSION}.${current}.`),
  };
}
