import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { signerLinks } from '../db/schema/signer-links.js';
import { AppError } from '../lib/app-error.js';
import { sha256HexOf } from '../lib/digest.js';
import type { SignerClaims } from './tokens.js';

/**
 * Invitation links are short: `/s/<id>` with a 128-bit random id (22 base64url characters) instead of
 * the ~430-character signed token. The id is a bearer secret like the token was; only its SHA-256 is
 * stored (signer_links), so the database holds nothing that opens a document. It resolves to the same
 * claims a token carries (recipient, token version, expiry), so revocation is the one the tokens
 * already have: revokeAllLinks (void, decline, completion, expiry), a resend and an e-mail change
 * bump the recipient's token version, and an id minted for an older version reads as revoked (or as
 * the envelope's outcome once it ended). The request log and the job rows never see it (src/lib/redact.ts
 * scrubs whatever follows `/s/` and `/api/sign/`).
 */
const ID_BYTES = 16;
const SHORT_ID = /^[A-Za-z0-9_-]{22}$/;

/** A signed token always has dots; a short id never does. */
export const isShortLinkId = (s: string): boolean => SHORT_ID.test(s);

function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const hashOf = (id: string) => sha256HexOf(new TextEncoder().encode(id));

/** Mints one id for `claims`, valid until `expiresAt`. */
export async function mintShortLink(db: DbOrTx, claims: SignerClaims, expiresAt: Date, now: Date): Promise<string> {
  const id = base64url(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
  await db.insert(signerLinks).values({
    idHash: await hashOf(id),
    portalId: claims.portalId,
    envelopeId: claims.envelopeId,
    recipientId: claims.recipientId,
    tokenVersion: claims.version,
    expiresAt,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

/** The claims behind an id, `expired` past its expiry (the page then says so, nothing more); unknown ids are refused. */
export async function resolveShortLink(db: DbOrTx, id: string, now: Date): Promise<SignerClaims & { expired: boolean }> {
  const [row] = isShortLinkId(id) ? await db.select().from(signerLinks).where(eq(signerLinks.idHash, await hashOf(id))).limit(1) : [];
  if (!row) throw new AppError('UNAUTHORIZED', 'This signing link is not valid.');
  return { portalId: row.portalId, envelopeId: row.envelopeId, recipientId: row.recipientId, version: row.tokenVersion, expired: row.expiresAt.getTime() <= now.getTime() };
}
