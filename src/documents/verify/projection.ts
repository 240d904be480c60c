import type { SealedDocumentSummary } from './sealed-documents.js';
import type { VerifyResult } from './verifier.js';

/**
 * What the public door returns: the verdict, the document's public summary (title, parties'
 * names and roles, dates, status) and per-signature technical detail. Never e-mails, phones, IPs,
 * tokens or portal/envelope ids; certificate names are shown without e-mail attributes.
 */
export function publicDocument(r: SealedDocumentSummary | null) {
  if (!r) return null;
  return {
    publicId: r.publicId,
    title: r.title,
    status: r.status,
    sealedAt: r.sealedAt.toISOString(),
    sha256: r.sha256,
    development: r.development,
    timestamped: r.timestamped,
    parties: r.parties.map((p) => ({ name: p.name, role: p.role, party: p.party, signedAt: p.signedAt })),
  };
}

export function publicVerifyResult(r: VerifyResult) {
  return {
    verdict: r.verdict,
    /** PAdES baseline level of the last signature: B-B, B-T, B-LT, B-LTA, or null. */
    padesLevel: r.padesLevel,
    notes: r.notes,
    file: { sha256: r.sha256, size: r.size, encrypted: r.encrypted },
    document: publicDocument(r.record),
    signatures: r.signatures.map((s) => ({
      index: s.index,
      kind: s.kind,
      subFilter: s.subFilter,
      intact: s.intact,
      trusted: s.trusted,
      ours: s.ours,
      coversWholeFile: s.coversWholeFile,
      bytesAfter: s.bytesAfter,
      byteRange: s.byteRange,
      digestAlgorithm: s.digestAlgorithm,
      padesBaseline: s.padesBaseline,
      claimedSigningTime: s.claimedSigningTime,
      signer: s.signer && { commonName: s.signer.commonName, subject: s.signer.subject, issuer: s.signer.issuer, serial: s.signer.serial, notBefore: s.signer.notBefore, notAfter: s.signer.notAfter, sha256: s.signer.sha256 },
      timestamp: s.timestamp && { time: s.timestamp.time, verified: s.timestamp.verified, trusted: s.timestamp.trusted ?? false, authority: s.timestamp.authority },
      problem: s.problem ?? null,
      coverageAnomaly: s.coverageAnomaly ?? null,
      unsupported: s.unsupported ?? null,
      laterUpdates: s.laterUpdates ?? null,
      trustProblem: s.trustProblem ?? null,
      longTermProblem: s.longTermProblem ?? null,
      /** Machine codes (+ parameters) of problem, coverageAnomaly, longTermProblem and laterUpdates: message-codes.ts. */
      codes: { problem: s.codes?.problem ?? null, coverageAnomaly: s.codes?.coverageAnomaly ?? null, longTermProblem: s.codes?.longTermProblem ?? null, laterUpdates: s.codes?.laterUpdates ?? null },
    })),
  };
}

export type PublicVerifyResult = ReturnType<typeof publicVerifyResult>;
