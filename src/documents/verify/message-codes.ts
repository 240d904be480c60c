/**
 * Machine codes for the verifier's per-signature messages (a signature's problem, its coverage
 * anomaly, why it is not long-term). The verifier keeps its English sentence for the JSON API; pages
 * render the code from their own en/it/ru table (texts.ts VERIFY_MESSAGE_TEXTS) with the dynamic parts
 * (certificate names) as parameters. A message this table does not know gets the code `other`, which
 * pages show as a translated generic reason rather than the English detail.
 */
export interface CodedMessage {
  code: string;
  params?: Record<string, string>;
}

/** Coverage anomalies (scan.ts): the ranges are not the shape ISO 32000 requires. */
const ANOMALIES: Record<string, string> = {
  'the ByteRange is not exactly two ranges': 'ranges_not_two',
  'the ByteRange does not start at the beginning of the file': 'ranges_not_from_start',
  'the signed ranges do not end at the end of a revision (%%EOF)': 'ranges_not_revision_end',
  'the ranges overlap': 'ranges_overlap',
  'the unsigned gap is not the /Contents hex string': 'gap_not_contents',
  'the /Contents hex string has an odd or zero length': 'contents_odd_length',
  'the unsigned gap holds more than the /Contents hex string': 'gap_holds_more',
  'the unsigned gap is not preceded by /Contents': 'gap_not_contents',
  '/Contents and /ByteRange belong to different objects': 'contents_other_object',
};

/** Problems (scan.ts, cms-verify.ts, verifier.ts): why a signature is broken or unreadable. */
const PROBLEMS: Record<string, string> = {
  'unreadable signature': 'unreadable',
  'not checked: the file holds too many large signatures': 'too_many_signatures',
  'ByteRange is not a short array': 'byte_range_malformed',
  'ByteRange is not pairs of non-negative integers': 'byte_range_malformed',
  'ByteRange points outside the file or overlaps itself': 'byte_range_outside',
  'the /Contents string is implausibly large': 'contents_too_large',
  'the document bytes do not match the signed digest: the file was changed after signing': 'digest_mismatch',
  'the signed attributes lack content-type or message-digest': 'signed_attributes_incomplete',
  'the signing certificate is not in the signature': 'signer_certificate_missing',
  'the signature is not well-formed CMS': 'cms_malformed',
  'the signature is not CMS SignedData': 'cms_malformed',
  'the signature is not valid DER': 'cms_malformed',
  'the signature carries an implausible number of certificates': 'too_many_certificates',
  'the signature is empty (its placeholder was never filled)': 'signature_empty',
  'the signature must have exactly one signer': 'not_one_signer',
};

export function codeAnomaly(text: string): CodedMessage {
  return { code: ANOMALIES[text] ?? 'other' };
}

export function codeProblem(text: string): CodedMessage {
  const known = PROBLEMS[text];
  if (known) return { code: known };
  // The library's own wording after these prefixes is not shown on pages.
  if (text.startsWith('the signature value does not verify')) return { code: 'signature_value_invalid' };
  if (text.startsWith('not checkable here:')) return { code: 'not_checkable' };
  const unreadable = /^(.*), and its \/Contents cannot be read$/.exec(text);
  if (unreadable) return { code: 'anomaly_contents_unreadable', params: { anomaly: codeAnomaly(unreadable[1]!).code } };
  return { code: 'other' };
}

/**
 * What the updates after a signature add (updates.ts): only validation data, listed as `adds`
 * (`dss`, `timestamp`, comma-separated), or other changes (the English reason names PDF objects; pages
 * say it generically).
 */
export function laterUpdatesCode(u: { validationOnly: true; adds: string[] } | { validationOnly: false; why: string }): CodedMessage {
  if (!u.validationOnly) return { code: 'other_changes' };
  return { code: 'validation_only', params: { adds: u.adds.map((a) => (a === 'DSS' ? 'dss' : 'timestamp')).join(',') } };
}

/** B-T but not B-LT: the certificates the file's DSS holds no revocation data for. */
export const noRevocationData = (certificates: string[]): CodedMessage => ({ code: 'no_revocation_data', params: { certificates: certificates.join('; ') } });
