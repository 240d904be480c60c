/**
 * The initials a typed signature stands for in an initials box: the first letter of each word, upper case.
 * One rule for the sealed document (completion.ts) and the signing page's preview of it (client/page.ts),
 * so what the signer sees in the box is what the sealed PDF prints.
 */
export const initialsOf = (name: string): string =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase())
    .join('');
