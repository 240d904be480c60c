/**
 * How a recipient is reached. A company-side employee (a Bitrix24 user id) is invited through the
 * messenger and can sign inside Bitrix24 (src/signing/in-portal.ts), so an e-mail is optional for them;
 * everyone else is reached only by e-mail and needs one. Pure, so the card's form (placements/) and the
 * server apply the same rule.
 */
export function reachedInPortal(r: { party: string; b24UserId?: number | null }): boolean {
  return r.party === 'company' && Boolean(r.b24UserId);
}
