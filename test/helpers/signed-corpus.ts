import type { Verdict } from '../../src/documents/verify/verifier.js';

/**
 * The third-party signed PDFs (test/fixtures/pdfs) with our verdict and what pdfsig 22.12 and
 * mutool 1.21 print (summaries from signature-tools.ts), checked by verify-corpus.test.ts. `why` is
 * required exactly where our verdict class differs from a tool's; `evidence` names an independent
 * check the test runs on that signature.
 */
export type Row = { file: string; ours: Verdict; pdfsig: string; mutool: string; why?: string; evidence?: { kind: 'openssl' | 'eddsa'; signature: number } };

const ANOMALY = 'pdfsig only checks the CMS over whatever ranges are declared; those ranges leave part of the file unsigned';
const ED = 'pdfsig and mutool (NSS/mupdf builds here) cannot check EdDSA; RFC 8419 signature verified independently';
export const CORPUS: Row[] = [
  { file: 'pyhanko--certified-with-indirect-refs-in-dir.pdf', ours: 'valid_other_signer', pdfsig: 'valid', mutool: 'unchanged' },
  { file: 'pyhanko--coverage-anomalies_base.pdf', ours: 'signature_broken', pdfsig: 'unknown validation failure (not total)', mutool: 'digest error: unknown error' },
  { file: 'pyhanko--coverage-anomalies_one-byterange.pdf', ours: 'coverage_anomaly', pdfsig: 'valid', mutool: 'edits since signing', why: `a single range [0 n]: ${ANOMALY}` },
  { file: 'pyhanko--coverage-anomalies_signature-gap-too-big.pdf', ours: 'coverage_anomaly', pdfsig: 'valid (not total)', mutool: 'verification error: signature certificate data contains invalid character', why: `the gap is wider than /Contents: ${ANOMALY}; mutool cannot even read the CMS` },
  { file: 'pyhanko--coverage-anomalies_tail-uncovered.pdf', ours: 'coverage_anomaly', pdfsig: 'valid (not total)', mutool: 'edits since signing', why: 'the second range stops inside the trailer, not at a %%EOF: what follows is no incremental update, so "edits since signing" understates it' },
  { file: 'pyhanko--coverage-anomalies_weird-byterange.pdf', ours: 'coverage_anomaly', pdfsig: 'valid (not total)', mutool: 'verification error: signature certificate data contains invalid character', why: `ByteRange [0 10 20 30]: ${ANOMALY}` },
  { file: 'pyhanko--ed448-disallowed-hash.pdf', ours: 'cannot_check', pdfsig: "document isn't signed or corrupted data", mutool: 'digest error: unknown error', why: 'Ed448 with SHA-512 is outside RFC 8419 (SHAKE256 required): not evidence of tampering; pyHanko also rates it indeterminate (CRYPTO_CONSTRAINTS_FAILURE)' },
  { file: 'pyhanko--ed448-shake256-nolen.pdf', ours: 'valid_other_signer', pdfsig: 'unknown validation failure', mutool: 'digest error: signature invalidated by change to document', why: ED, evidence: { kind: 'eddsa', signature: 0 } },
  ...['direct', 'indirect-not-all-paths', 'indirect', 'update-direct', 'update-indirect'].map(
    (v): Row => ({ file: `pyhanko--extensions-${v}.pdf`, ours: 'valid_other_signer', pdfsig: "valid (not total) · document isn't signed or corrupted data", mutool: 'edits since signing · digest error: unknown error', why: `the second signature is Ed25519: ${ED}`, evidence: { kind: 'eddsa', signature: 1 } }),
  ),
  ...[
    'ap-indirect-sneaky-trailer',
    'no-override-appearance-stream-ap-indirect-sneaky',
    'no-override-appearance-stream-ap-indirect',
    'original-ap-type-wrong',
    'override-appearance-stream-ap-indirect-sneaky',
    'override-appearance-stream-ap-indirect',
    'override-appearance-stream-sneaky',
    'override-appearance-stream',
  ].map((v): Row => ({ file: `pyhanko--form-update-${v}.pdf`, ours: 'valid_other_signer', pdfsig: 'valid (not total) · valid', mutool: 'edits since signing · unchanged' })),
  { file: 'pyhanko--minimal-signed-twice-both-created.pdf', ours: 'valid_other_signer', pdfsig: 'valid (not total) · valid', mutool: 'edits since signing · unchanged' },
  { file: 'pyhanko--minimal-signed-twice-no-sig-type.pdf', ours: 'valid_other_signer', pdfsig: 'valid (not total) · valid', mutool: 'edits since signing · unchanged' },
  { file: 'pyhanko--minimal-signed-twice-second-created.pdf', ours: 'valid_other_signer', pdfsig: 'valid (not total) · valid', mutool: 'edits since signing · unchanged' },
  { file: 'pyhanko--minimal-two-fields-signed-twice.pdf', ours: 'valid_other_signer', pdfsig: 'valid · valid (not total)', mutool: 'unchanged · edits since signing' },
  { file: 'pyhanko--pades-lta-dss-indirect-arrs-test-2.pdf', ours: 'valid_other_signer', pdfsig: 'valid (not total) · not verified (not total) · valid (not total)', mutool: 'edits since signing · not signed · edits since signing', why: 'after the last signature only a DSS update follows (validation data, PAdES B-LT); neither tool reads DSS or document timestamps' },
  { file: 'pyhanko--pades-lta-dss-indirect-arrs-test.pdf', ours: 'valid_other_signer', pdfsig: 'valid (not total) · not verified (not total)', mutool: 'edits since signing · not signed', why: 'after the signature come only a DSS and a document timestamp (ETSI.RFC3161), which we verify; neither tool supports document timestamps' },
  { file: 'pyhanko--pades-with-old-style-signing-cert-attr-issser.pdf', ours: 'valid_other_signer', pdfsig: 'valid', mutool: 'unchanged' },
  { file: 'pyhanko--pades-with-old-style-signing-cert-attr.pdf', ours: 'valid_other_signer', pdfsig: 'valid', mutool: 'unchanged' },
  { file: 'pyhanko--pdf-sig-with-econtent.pdf', ours: 'valid_other_signer', pdfsig: 'valid', mutool: 'unchanged' },
  { file: 'pyhanko--separate-annots-kids-indir.pdf', ours: 'valid_other_signer', pdfsig: 'valid (not total) · valid', mutool: 'no signatures', why: 'mutool does not find signature fields reached through indirect /Kids; pdfsig finds and accepts both', evidence: { kind: 'openssl', signature: 1 } },
  { file: 'pyhanko--sig-no-signed-attrs.pdf', ours: 'valid_other_signer', pdfsig: 'valid', mutool: 'unchanged' },
  { file: 'pyhanko--sig-with-ski-sid.pdf', ours: 'valid_other_signer', pdfsig: 'unknown validation failure', mutool: 'digest error: unknown error', why: 'the signer is identified by subject key identifier (RFC 5652 §5.3), which both tools fail to resolve', evidence: { kind: 'openssl', signature: 0 } },
  { file: 'pyhanko--signed-encrypted-pubkey-with-catalog-ref.pdf', ours: 'valid_other_signer', pdfsig: '', mutool: 'no signatures', why: 'public-key encrypted: the tools cannot open it without the recipient key, but a signature is over bytes and checks without decrypting', evidence: { kind: 'openssl', signature: 0 } },
  { file: 'qpdf--digitally-signed.pdf', ours: 'valid_other_signer', pdfsig: 'valid', mutool: 'unchanged' },
  { file: 'qpdf--minimal-signed-restricted.pdf', ours: 'valid_other_signer', pdfsig: 'valid', mutool: 'unchanged' },
];

