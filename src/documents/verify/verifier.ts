/**
 * Integrity verification for any PDF bytes. Contract (verify door, jobs; keep stable):
 *
 *   const result = await verifyPdf(bytes, { trustRoots, ownCertificates?, lookupBySha256? })
 *   result.verdict: 'sealed_unchanged' | 'valid_other_signer' | 'modified_after_sealing'
 *                 | 'coverage_anomaly' | 'cannot_check' | 'signature_broken' | 'no_signature' | 'not_a_pdf'
 *   result.record:  the public summary when the file's SHA-256 is one we sealed
 *   result.signatures: per-signature technical detail
 *
 * Rules: every /ByteRange must be [0 b c d] with the gap exactly the /Contents hex string; each CMS
 * must match its bytes (the ranges, never an encapsulated eContent) and verify; after the last
 * signature, and after every seal of ours, only validation data (DSS, document timestamps) may be
 * appended (updates.ts), anything else = modified. Odd ranges are a `coverage_anomaly`, algorithms
 * this runtime cannot check are `cannot_check` — neither is called broken. "Ours" means the signer
 * certificate is one of `ownCertificates` (or, without that list, chains to `trustRoots`), or the
 * whole file's SHA-256 is a sealed-document record. Work is bounded (see scan.ts limits).
 */
import { createHasher, toHex } from '../../lib/digest.js';
import type * as pkijs from 'pkijs';
import { parseCertificate } from '../seal/der.js';
import { chainTrusted, hashBytes, verifyCms, type SignerDetail, type TimestampCheck } from './cms-verify.js';
import { parsePdfDate, scanPdf } from './scan.js';
import type { SealedDocumentSummary } from './sealed-documents.js';
import { updatesAfter } from './updates.js';
import { certificatesWithoutRevocationData, readDss } from './long-term-level.js';
import { codeAnomaly, codeProblem, laterUpdatesCode, noRevocationData, type CodedMessage } from './message-codes.js';

/** ETSI EN 319 142-1 baseline levels, each including the one before. */
export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export type Verdict =
  | 'sealed_unchanged'
  | 'valid_other_signer'
  | 'modified_after_sealing'
  | 'coverage_anomaly'
  | 'cannot_check'
  | 'signature_broken'
  | 'no_signature'
  | 'not_a_pdf';

export interface SignatureReport {
  index: number;
  kind: 'signature' | 'document-timestamp';
  subFilter: string | null;
  byteRange: number[] | null;
  /** The signed ranges reach the last byte of the file. */
  coversWholeFile: boolean;
  /** Bytes after the signed ranges (an incremental update after this signature). */
  bytesAfter: number;
  digestAlgorithm: string | null;
  /** Digest and signature value both verify. */
  intact: boolean;
  /** Chain to the configured trust roots. */
  trusted: boolean;
  trustProblem?: string;
  ours: boolean;
  signer: SignerDetail | null;
  claimedSigningTime: string | null;
  timestamp: TimestampCheck | null;
  /**
   * B-B: CAdES-detached with signing-certificate-v2, no signing-time. B-T: plus a verified signature
   * timestamp. B-LT: plus a DSS with revocation data for every certificate of the signer's and the
   * TSA's chains (long-term-level.ts). B-LTA: plus a verified document timestamp covering that DSS.
   */
  padesBaseline: PadesLevel | null;
  /** Why a B-T signature is not B-LT although the file has a DSS. */
  longTermProblem?: string;
  problem?: string;
  /** The ranges are not the shape ISO 32000 requires (scan.ts); what they declare may still verify. */
  coverageAnomaly?: string;
  /** The same three messages as machine codes (message-codes.ts), for pages to say in their language. */
  codes?: { problem?: CodedMessage; longTermProblem?: CodedMessage; coverageAnomaly?: CodedMessage; laterUpdates?: CodedMessage };
  /** An algorithm this runtime cannot check (neither intact nor broken). */
  unsupported?: string;
  /** When bytes follow this signature: whether they only add validation data (DSS, document timestamps). */
  laterUpdates?: { validationOnly: boolean; detail: string };
}

export interface VerifyResult {
  verdict: Verdict;
  sha256: string;
  size: number;
  encrypted: boolean;
  record: SealedDocumentSummary | null;
  signatures: SignatureReport[];
  /** The PAdES level of the last signature (null: no PAdES baseline signature). */
  padesLevel: PadesLevel | null;
  /** Plain-language reasons behind the verdict (English; doors translate the verdict itself). */
  notes: string[];
}

export interface VerifyOptions {
  /** DER anchors: our seal roots, plus any the operator configures. */
  trustRoots: readonly Uint8Array[];
  /** DER certificates this deployment seals with (current and past). */
  ownCertificates?: readonly Uint8Array[];
  lookupBySha256?: (sha256Hex: string) => Promise<SealedDocumentSummary | null>;
  now?: Date;
}

/**
 * What the bytes alone say: the scan and every signature's cryptographic check. Needs no database,
 * and its result is plain data, so it runs in a worker thread (verify-worker.mjs) for public uploads.
 */
export interface SignatureAnalysis {
  isPdf: boolean;
  sha256: string;
  size: number;
  encrypted: boolean;
  /** More signature keys than the scan looks at (scan.ts). */
  truncated: boolean;
  signatures: SignatureReport[];
}

export type AnalyseOptions = Omit<VerifyOptions, 'lookupBySha256'>;

export async function verifyPdf(input: Uint8Array, opts: VerifyOptions): Promise<VerifyResult> {
  const analysis = await analyseSignatures(input, opts);
  const record = analysis.isPdf && opts.lookupBySha256 ? await opts.lookupBySha256(analysis.sha256) : null;
  return verdictOf(analysis, record);
}

/** The verdict from an analysis and the sealed-document record for its SHA-256 (if any). */
export function verdictOf(a: SignatureAnalysis, record: SealedDocumentSummary | null): VerifyResult {
  if (!a.isPdf) return { sha256: a.sha256, size: a.size, record: null, signatures: [], padesLevel: null, verdict: 'not_a_pdf', encrypted: false, notes: ['The file does not start like a PDF.'] };
  const decided = decide(a.signatures, record, a.truncated, a.encrypted);
  for (const r of a.signatures) if (r.longTermProblem) decided.notes.push(`Signature ${r.index + 1} is not long-term (B-LT): ${r.longTermProblem}.`);
  const signatures = a.signatures.filter((r) => r.kind === 'signature');
  const last = signatures.length ? signatures.reduce((x, r) => (endOfRanges(r) > endOfRanges(x) ? r : x)) : undefined;
  return { sha256: a.sha256, size: a.size, record, encrypted: a.encrypted, signatures: a.signatures, padesLevel: last?.padesBaseline ?? null, ...decided };
}

const endOfRanges = (r: SignatureReport) => (r.byteRange ? r.byteRange[r.byteRange.length - 2]! + r.byteRange[r.byteRange.length - 1]! : 0);

export async function analyseSignatures(input: Uint8Array, opts: AnalyseOptions): Promise<SignatureAnalysis> {
  const bytes = input;
  const scan = scanPdf(bytes);
  if (!scan.isPdf) {
    const sha256 = toHex(createHasher('SHA-256').update(bytes).digest());
    return { isPdf: false, sha256, size: bytes.length, encrypted: false, truncated: false, signatures: [] };
  }
  // The SHA-256 of the whole file shares its first (and by far largest) range with the digest of a
  // signature that reaches EOF: hashed once, forked (see content() below).
  let fileSha256: string | undefined;
  const roots = safeParse(opts.trustRoots);
  const ownSha = new Set((opts.ownCertificates ?? []).map((c) => toHex(createHasher('SHA-256').update(c).digest())));
  const now = opts.now ?? new Date();

  const reports: SignatureReport[] = [];
  // Each B-T signature's certificates and its timestamp's, for the long-term check below.
  const chains = new Map<SignatureReport, pkijs.Certificate[]>();
  // Work bound for hostile files: many signatures each claiming the whole file would each cost a
  // full hash. Real files (one seal, a few revisions) stay far below this.
  let hashBudget = 8 * bytes.length + (1 << 20);
  for (const [index, s] of scan.signatures.entries()) {
    const kind = s.subFilter === 'ETSI.RFC3161' || s.type === 'DocTimeStamp' ? 'document-timestamp' : 'signature';
    const report: SignatureReport = {
      index,
      kind,
      subFilter: s.subFilter ?? null,
      byteRange: s.byteRange,
      coversWholeFile: false,
      bytesAfter: 0,
      digestAlgorithm: null,
      intact: false,
      trusted: false,
      ours: false,
      signer: null,
      claimedSigningTime: parsePdfDate(s.claimedTime)?.toISOString() ?? null,
      timestamp: null,
      padesBaseline: null,
    };
    reports.push(report);
    if (s.byteRange) {
      const end = s.byteRange[s.byteRange.length - 2]! + s.byteRange[s.byteRange.length - 1]!;
      report.bytesAfter = Math.max(0, bytes.length - end);
      report.coversWholeFile = report.bytesAfter === 0;
    }
    if (s.problem || !s.contents || !s.byteRange) {
      report.problem = s.problem ?? 'unreadable signature';
      continue;
    }
    if (s.anomaly) report.coverageAnomaly = s.anomaly;
    const ranges: Uint8Array[] = [];
    for (let i = 0; i < s.byteRange.length; i += 2) ranges.push(bytes.subarray(s.byteRange[i]!, s.byteRange[i]! + s.byteRange[i + 1]!));
    hashBudget -= ranges.reduce((n, r) => n + r.length, 0);
    if (hashBudget < 0) {
      report.problem = 'not checked: the file holds too many large signatures';
      continue;
    }
    const [first, ...rest] = ranges as [Uint8Array, ...Uint8Array[]];
    const standard = !s.anomaly && first.byteOffset === bytes.byteOffset;
    const cms = await verifyCms(
      s.contents,
      {
        digest: (hash) => {
          if (hash === 'SHAKE256') return hashBytes(hash, ...ranges);
          const h = createHasher(hash).update(first);
          // [0 b c EOF]: the whole file's SHA-256 is the same first pass plus the gap and the rest.
          if (hash === 'SHA-256' && standard && !fileSha256 && report.coversWholeFile) fileSha256 = toHex(h.clone().update(bytes.subarray(first.length)).digest());
          for (const r of rest) h.update(r);
          return new Uint8Array(h.digest());
        },
        concat: () => {
          const signed = new Uint8Array(ranges.reduce((n, r) => n + r.length, 0));
          let o = 0;
          for (const r of ranges) {
            signed.set(r, o);
            o += r.length;
          }
          return signed.buffer;
        },
      },
      kind,
      s.subFilter,
    );
    if (cms.unsupported) report.unsupported = cms.unsupported;
    report.digestAlgorithm = cms.digestAlgorithm ?? null;
    report.signer = cms.signer ?? null;
    report.timestamp = cms.timestamp ?? null;
    report.intact = cms.valid;
    if (!cms.valid) {
      if (!cms.unsupported) report.problem = cms.problem;
      continue;
    }
    if (kind === 'signature') {
      const tsOk = report.timestamp?.verified === true;
      report.padesBaseline = s.subFilter === 'ETSI.CAdES.detached' && cms.signedAttributes.signingCertificateV2 && !cms.signedAttributes.signingTime ? (tsOk ? 'B-T' : 'B-B') : null;
    }
    if (cms.signerCertificate) {
      // Validity is judged at the timestamp's time when there is a verified one, else now.
      const at = report.timestamp?.verified && report.timestamp.time ? new Date(report.timestamp.time) : now;
      const chain = await chainTrusted(cms.signerCertificate, cms.certificates, roots, at);
      report.trusted = chain.trusted;
      if (!chain.trusted) report.trustProblem = chain.problem;
      report.ours = opts.ownCertificates ? ownSha.has(report.signer!.sha256) && chain.trusted : chain.trusted;
    }
    if (report.timestamp?.verified && cms.timestampToken) {
      const tsCerts = (cms.timestampToken.certificates ?? []).filter((c): c is pkijs.Certificate => 'subjectPublicKeyInfo' in c);
      const tsSigner = tsCerts[0];
      if (tsSigner) report.timestamp.trusted = (await chainTrusted(tsSigner, tsCerts, roots, new Date(report.timestamp.time ?? now))).trusted;
      if (report.padesBaseline === 'B-T') chains.set(report, [...cms.certificates, ...tsCerts]);
    }
  }
  inspectLaterUpdates(bytes, reports);
  await assessLongTerm(bytes, reports, chains);
  for (const r of reports) {
    if (r.problem) (r.codes ??= {}).problem = codeProblem(r.problem);
    if (r.coverageAnomaly) (r.codes ??= {}).coverageAnomaly = codeAnomaly(r.coverageAnomaly);
  }
  const sha256 = fileSha256 ?? toHex(createHasher('SHA-256').update(bytes).digest());
  return { isPdf: true, sha256, size: bytes.length, encrypted: scan.encrypted, truncated: scan.truncated, signatures: reports };
}

/**
 * B-T → B-LT when the file's DSS has revocation data for the signature's and its TSA's chains;
 * → B-LTA when a verified document timestamp after the signature covers a revision whose DSS already
 * held that data.
 */
async function assessLongTerm(bytes: Uint8Array, reports: SignatureReport[], chains: Map<SignatureReport, pkijs.Certificate[]>): Promise<void> {
  if (chains.size === 0) return;
  const dss = readDss(bytes);
  if (!dss) return;
  for (const [r, chain] of chains) {
    const missing = await certificatesWithoutRevocationData(chain, dss);
    if (missing.length) {
      r.longTermProblem = `the DSS has no revocation data for ${missing.join('; ')}`;
      (r.codes ??= {}).longTermProblem = noRevocationData(missing);
      continue;
    }
    r.padesBaseline = 'B-LT';
    // B-LTA: a document timestamp whose revision already held that validation data (a later DSS
    // update, e.g. the timestamp's own validation data, may follow it: the revision is what counts).
    const stamps = reports.filter((d) => d.kind === 'document-timestamp' && d.intact && d.timestamp?.verified && endOfRanges(d) > endOfRanges(r)).sort((a, b) => endOfRanges(a) - endOfRanges(b));
    for (const d of stamps) {
      const end = endOfRanges(d);
      // The whole file's DSS was checked above; an earlier revision is read and checked on its own.
      const covered = end === bytes.length ? 'checked' : readDss(bytes.subarray(0, end));
      if (covered === 'checked' || (covered && (await certificatesWithoutRevocationData(chain, covered)).length === 0)) {
        r.padesBaseline = 'B-LTA';
        break;
      }
    }
  }
}

/**
 * What the updates after each signature add (updates.ts). Each look is linear in the file, so only
 * the signatures the verdict depends on — the last one and ours — plus a few more for the notes.
 */
const MAX_UPDATE_LOOKS = 4;
function inspectLaterUpdates(bytes: Uint8Array, reports: SignatureReport[]): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const open = reports.filter((r) => r.bytesAfter > 0 && !r.coverageAnomaly && (r.intact || r.unsupported)).sort((a, b) => a.bytesAfter - b.bytesAfter);
  const lastSignature = open.find((r) => r.kind === 'signature');
  const needed = new Set(open.filter((r) => r === lastSignature || r.ours));
  let looks = 0;
  for (const r of open) {
    if (!needed.has(r) && looks >= MAX_UPDATE_LOOKS) continue;
    looks++;
    const u = updatesAfter(buf, bytes.length - r.bytesAfter);
    r.laterUpdates = u.validationOnly ? { validationOnly: true, detail: `only validation data (${u.adds.join(', ') || 'nothing'})` } : { validationOnly: false, detail: u.why };
    (r.codes ??= {}).laterUpdates = laterUpdatesCode(u);
  }
}

function decide(reports: SignatureReport[], record: SealedDocumentSummary | null, truncated: boolean, encrypted: boolean): { verdict: Verdict; notes: string[] } {
  const notes: string[] = [];
  if (encrypted) notes.push('The file is encrypted; signatures were checked at the byte level.');
  if (reports.length === 0) return { verdict: 'no_signature', notes: [...notes, 'The file carries no digital signature.'] };
  if (truncated) return { verdict: 'signature_broken', notes: [...notes, 'The file holds more signatures than we check; treated as suspicious.'] };
  const broken = reports.filter((r) => !r.intact && !r.unsupported);
  if (broken.length) {
    return { verdict: 'signature_broken', notes: [...notes, ...broken.map((r) => `Signature ${r.index + 1}: ${r.problem ?? 'does not verify'}.`)] };
  }
  const anomalous = reports.filter((r) => r.coverageAnomaly);
  if (anomalous.length) {
    return { verdict: 'coverage_anomaly', notes: [...notes, ...anomalous.map((r) => `Signature ${r.index + 1}: ${r.coverageAnomaly}; it verifies only over the ranges it declares, which is not the whole document.`)] };
  }
  const unchecked = reports.filter((r) => r.unsupported);
  if (unchecked.length) {
    return { verdict: 'cannot_check', notes: [...notes, ...unchecked.map((r) => `Signature ${r.index + 1} uses an algorithm this service cannot check (${r.unsupported}); that is not evidence of tampering.`)] };
  }
  const endOf = (r: SignatureReport) => (r.byteRange ? r.byteRange[r.byteRange.length - 2]! + r.byteRange[r.byteRange.length - 1]! : 0);
  const signatures = reports.filter((r) => r.kind === 'signature');
  const last = (signatures.length ? signatures : reports).reduce((a, r) => (endOf(r) > endOf(a) ? r : a));
  // Only validation data (DSS, document timestamps) may follow the last signature and our seal.
  const changedAfter = (r: SignatureReport) => !r.coversWholeFile && !r.laterUpdates?.validationOnly;
  for (const r of reports) {
    if (r === last || r.coversWholeFile) continue;
    notes.push(`Signature ${r.index + 1} does not cover the final file (${r.bytesAfter} bytes follow it: ${r.laterUpdates?.detail ?? 'later revisions'}).`);
  }
  const ours = reports.filter((r) => r.ours);
  const oursChanged = ours.find(changedAfter);
  if (oursChanged) return { verdict: 'modified_after_sealing', notes: [...notes, `${oursChanged.bytesAfter} bytes were appended after the b24-sign seal (${oursChanged.laterUpdates?.detail ?? 'not inspected'}).`] };
  if (changedAfter(last)) return { verdict: 'modified_after_sealing', notes: [...notes, `${last.bytesAfter} bytes were appended after the last signature (${last.laterUpdates?.detail ?? 'not inspected'}).`] };
  if (!last.coversWholeFile) notes.push(`After the last signature the file only gained validation data (${last.laterUpdates!.detail}).`);
  if (ours.length || record) {
    if (!record) notes.push('The seal is ours and intact, but this installation has no record of the document.');
    return { verdict: 'sealed_unchanged', notes };
  }
  const untrusted = reports.filter((r) => !r.trusted);
  if (untrusted.length) notes.push('The signer’s certificate does not chain to a root this service trusts: the file is intact, the signer’s identity is not confirmed.');
  return { verdict: 'valid_other_signer', notes };
}

function safeParse(ders: readonly Uint8Array[]): pkijs.Certificate[] {
  const out: pkijs.Certificate[] = [];
  for (const d of ders) {
    try {
      out.push(parseCertificate(d));
    } catch {
      // a bad configured root is skipped, not fatal
    }
  }
  return out;
}

