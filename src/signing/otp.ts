import { constantTimeEqual, hmacSha256Hex } from './hashing.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * One-time codes: 6 digits, valid 5 minutes, one new code a minute at most. Wrong codes count per
 * recipient, not per code, so asking for a new code never buys more guesses: every 5th wrong code
 * locks the recipient (15 min, then 1 h, then 24 h) and the count only resets after a whole day
 * without a wrong code (or on a right one). That is at most 15 guesses in any 24 hours, about 1 in
 * 67,000 of finding a code in a day.
 */
export const OTP = {
  digits: 6,
  ttlMs: 5 * MINUTE,
  maxAttempts: 5,
  /** Lock after the 5th, 10th and 15th wrong code in a row. */
  locksMs: [15 * MINUTE, 60 * MINUTE, DAY],
  /** A day without a wrong code forgets the count. */
  forgetAfterMs: DAY,
  resendCooldownMs: MINUTE,
} as const;

/** Wrong codes that still count at `now` (none once the last one is a day old). */
export function failuresSoFar(r: { otpAttempts: number; otpLastFailedAt: Date | null }, now: Date): number {
  if (!r.otpLastFailedAt || now.getTime() - r.otpLastFailedAt.getTime() >= OTP.forgetAfterMs) return 0;
  return r.otpAttempts;
}

/** The lock that the `failures`-th wrong code starts, if any: every 5th, escalating, the last one a day. */
export function lockAfter(failures: number): number | undefined {
  if (failures === 0 || failures % OTP.maxAttempts !== 0) return undefined;
  const step = Math.min(failures / OTP.maxAttempts, OTP.locksMs.length) - 1;
  return OTP.locksMs[step];
}

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
