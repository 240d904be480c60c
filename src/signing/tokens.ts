import { jwtVerify, SignJWT } from 'jose';
import { AppError } from '../lib/app-error.js';

/**
 * Signer links carry a jose HS256 token bound to one recipient of one envelope, with an expiry
 * and the recipient's token version: bumping the version (resend, e-mail change, void, decline,
 * completion) revokes every link issued before without a deny-list.
 */
const ISSUER = 'b24-sign';
const SIGNER_AUDIENCE = 'b24-sign:signer';
const FINAL_AUDIENCE = 'b24-sign:final';
const keyOf = (secret: string) => new TextEncoder().encode(secret);

export interface SignerClaims {
  portalId: string;
  envelopeId: string;
  recipientId: string;
  version: number;
}

export async function issueSignerToken(secret: string, c: SignerClaims, opts: { now: Date; expiresAt: Date }): Promise<string> {
  return new SignJWT({ p: c.portalId, e: c.envelopeId, v: c.version })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(SIGNER_AUDIENCE)
    .setSubject(c.recipientId)
    .setIssuedAt(Math.floor(opts.now.getTime() / 1000))
    .setExpirationTime(Math.floor(opts.expiresAt.getTime() / 1000))
    .sign(keyOf(secret));
}

/**
 * Checks signature, audience and expiry. `allowExpired` lets the page still say *which* envelope
 * a dead link belonged to (to show "this envelope has ended") without granting any action.
 */
export async function verifySignerToken(secret: string, token: string, now: Date, opts: { allowExpired?: boolean } = {}): Promise<SignerClaims & { expired: boolean }> {
  const check = async (at: Date) => {
    const { payload } = await jwtVerify(token, keyOf(secret), { issuer: ISSUER, audience: SIGNER_AUDIENCE, algorithms: ['HS256'], currentDate: at });
    const p = payload as { p?: unknown; e?: unknown; v?: unknown; sub?: unknown };
    if (typeof p.p !== 'string' || typeof p.e !== 'string' || typeof p.v !== 'number' || typeof p.sub !== 'string') throw new Error('malformed');
    return { portalId: p.p, envelopeId: p.e, recipientId: p.sub, version: p.v };
  };
  try {
    return { ...(await check(now)), expired: false };
  } catch (e) {
    if (opts.allowExpired && (e as { code?: string }).code === 'ERR_JWT_EXPIRED') {
      try {
        return { ...(await check(new Date(0))), expired: true };
      } catch {
        /* fall through */
      }
    }
    throw new AppError('UNAUTHORIZED', 'This signing link is not valid.');
  }
}

/** The permanent link to the sealed PDF each party receives: no expiry, bound to one recipient. */
export async function issueFinalToken(secret: string, c: Omit<SignerClaims, 'version'>, now: Date): Promise<string> {
  return new SignJWT({ p: c.portalId, e: c.envelopeId })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(FINAL_AUDIENCE)
    .setSubject(c.recipientId)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .sign(keyOf(secret));
}

export async function verifyFinalToken(secret: string, token: string): Promise<Omit<SignerClaims, 'version'>> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { issuer: ISSUER, audience: FINAL_AUDIENCE, algorithms: ['HS256'] });
    const p = payload as { p?: unknown; e?: unknown; sub?: unknown };
    if (typeof p.p !== 'string' || typeof p.e !== 'string' || typeof p.sub !== 'string') throw new Error('malformed');
    return { portalId: p.p, envelopeId: p.e, recipientId: p.sub };
  } catch {
    throw new AppError('NOT_FOUND', 'This document link is not valid.');
  }
}

const ACTION_AUDIENCE = 'b24-sign:signer-action';
export const ACTION_TTL_SECONDS = 30 * 60;

/**
 * Earned by entering the one-time code: only its holder may fill and sign. A forwarded or stolen
 * invitation link alone lets someone read the document, never sign it.
 */
export async function issueActionToken(secret: string, c: SignerClaims, now: Date): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ p: c.portalId, e: c.envelopeId, v: c.version })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(ACTION_AUDIENCE)
    .setSubject(c.recipientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACTION_TTL_SECONDS)
    .sign(keyOf(secret));
}

export async function verifyActionToken(secret: string, token: string, now: Date, expect: SignerClaims): Promise<void> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { issuer: ISSUER, audience: ACTION_AUDIENCE, algorithms: ['HS256'], currentDate: now });
    const p = payload as { p?: unknown; e?: unknown; v?: unknown; sub?: unknown };
    if (p.p !== expect.portalId || p.e !== expect.envelopeId || p.sub !== expect.recipientId || p.v !== expect.version) throw new Error('other recipient');
  } catch {
    throw new AppError('UNAUTHORIZED', 'Confirm your identity with the code we e-mailed you first.');
  }
}
