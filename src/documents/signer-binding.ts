/**
 * "Represented by …" names the person who signs for our company, so a field bound to
 * `companySigner.FULL_NAME` takes the name of the envelope's company signer — not the CRM item's
 * responsible person or the director in the requisites, who may be someone else. The proposal,
 * the new-document form (when the signer is changed) and the server at send all use this rule.
 */
export const COMPANY_SIGNER_BINDING = 'companySigner.FULL_NAME';

/**
 * Templates copied from the starters before this rule bound "Signs for us" to the requisites'
 * director or the responsible person; that binding was only ever used for this field.
 */
const LEGACY_SIGNATORY_BINDING = 'myCompany.requisite.RQ_DIRECTOR|responsible.FULL_NAME';

export function followsCompanySigner(binding: string | null | undefined): boolean {
  if (!binding) return false;
  return binding.split('|')[0] === COMPANY_SIGNER_BINDING || binding === LEGACY_SIGNATORY_BINDING;
}

interface SignerLike {
  role?: string;
  party: string;
  order?: number;
  name: string;
}

/** The person who signs for our company: the first company signer in signing order, if any. */
export function companySignerName(recipients: readonly SignerLike[]): string | undefined {
  const signers = recipients.filter((r) => (r.role ?? 'signer') === 'signer' && r.party === 'company' && r.name.trim());
  signers.sort((a, b) => (a.order ?? 1) - (b.order ?? 1));
  return signers[0]?.name.trim();
}

/** Values with every company-signer field set to that signer's name; unchanged when there is none. */
export function withCompanySigner<V>(fields: readonly { key: string; binding?: string | null }[], values: Record<string, V | string>, recipients: readonly SignerLike[]): Record<string, V | string> {
  const name = companySignerName(recipients);
  if (!name) return values;
  const out = { ...values };
  for (const f of fields) if (followsCompanySigner(f.binding)) out[f.key] = name;
  return out;
}
