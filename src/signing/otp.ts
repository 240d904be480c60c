import { constantTimeEqual, hmacSha256Hex } from './hashing.js';

/** One-time codes: 6 digits, 5 minutes, 5 wrong attempts lock the recipient out for a while. */
export const OTP = {
  digits: 6,
  ttlMs: 5 * 60_000,
  maxAttempts: 5,
  lockMs: 15 * 60_000,
  resendCooldownMs: 60_000,
} as const;

/** Uniform 6-digit code: rejection sampling avoids the modulo bias of `random % 10^6`. */
export function generateOtp(): string {
  const limit = Math.floor(0x1_0000_0000 / 1_000_000) * 1_000_000;
  for (;;) {
    const [n] = crypto.getRandomValues(new Uint32Array(1));
    if (n! < limit) return String(n! % 1_000_000).padStart(OTP.digits, '0');
  }
}

/** Keyed with the server secret and the recipient id: a dumped table does not reveal codes by lookup. */
export function hashOtp(secret: string, recipientId: string, code: string): Promise<string> {
  return hmacSha256Hex(secret, `otp:${recipientId}:${code}`);
}

export async function otpMatches(secret: string, recipientId: string, code: string, storedHash: string): Promise<boolean> {
  const normalized = code.replace(/\s+/g, '');
  // Hash even malformed input so a wrong format costs the same time as a wrong code.
  const h = await hashOtp(secret, recipientId, normalized);
  return /^\d{6}$/.test(normalized) && constantTimeEqual(h, storedHash);
}
