/**
 * The application_token is only ever compared, never sent anywhere, so what is stored is its
 * SHA-256 digest, not a reversible ciphertext. Bitrix24 issues it as 128 random bits, which no
 * search can recover from a digest; a keyed HMAC would add nothing for such a value but would tie
 * the column to TOKEN_ENCRYPTION_KEYS, and a digest cannot be re-keyed without the token, so
 * dropping an old key would lock out every portal that stayed quiet during the rotation. A digest
 * also stays comparable inside SQL (the robot door authenticates in one statement, src/robots/accept.ts).
 */

export const APP_TOKEN_DIGEST_PREFIX = 'sha256:';

const enc = new TextEncoder();

export async function appTokenDigest(token: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(token)));
  return APP_TOKEN_DIGEST_PREFIX + Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const isAppTokenDigest = (stored: string) => stored.startsWith(APP_TOKEN_DIGEST_PREFIX);
