import { spawnSync } from 'node:child_process';

/**
 * One-line summaries of what poppler's pdfsig and mupdf's `mutool sign -v` say about a file's
 * signatures (both exit 0 even on a digest mismatch, so their text is what counts), one entry per
 * signature in file order, joined with " · ". Chain trust is left out (`pdfsig -nocert`; mutool
 * has no trust store), so the summaries are about integrity and coverage only.
 */
export function pdfsigSummary(path: string): string {
  const out = spawnSync('pdfsig', ['-nocert', path], { encoding: 'utf8' });
  const text = `${out.stdout}\n${out.stderr}`;
  if (/does not contain any signatures/.test(text)) return 'no signatures';
  const blocks = text.split(/^Signature #\d+:/m).slice(1);
  return blocks
    .map((b) => {
      const v = /Signature Validation: (.+?)\.?$/m.exec(b)?.[1] ?? '?';
      const short = v === 'Signature is Valid' ? 'valid' : v === 'Signature has not yet been verified' ? 'not verified' : v.toLowerCase();
      return /Not total document signed/.test(b) ? `${short} (not total)` : short;
    })
    .join(' · ');
}

export function mutoolSummary(path: string): string {
  const out = spawnSync('mutool', ['sign', '-v', path], { encoding: 'utf8' });
  const text = `${out.stdout}\n${out.stderr}`;
  const blocks = text.split(/^Verifying signature \d+:/m).slice(1);
  if (!blocks.length) return 'no signatures';
  return blocks
    .map((b) => {
      if (/unchanged since signing/.test(b)) return 'unchanged';
      if (/edits since signing/.test(b)) return 'edits since signing';
      if (/Signature is not signed/.test(b)) return 'not signed';
      const err = /(Digest error|Verification error): (.+?)\.?$/m.exec(b);
      return err ? `${err[1]!.toLowerCase()}: ${err[2]!.toLowerCase()}` : '?';
    })
    .join(' · ');
}
