/**
 * Inputs an attacker would send, shared by the hardening tests and bench:verify-hostile.
 */

/** `%PDF-1.7` then the same signature-looking key `repeats` times (21 bytes each); never a valid PDF. */
export function hostileVerifyPdf(repeats: number): Uint8Array {
  return new Uint8Array(Buffer.from(`%PDF-1.7\n${'/ByteRange [0 1 2 3]\n'.repeat(repeats)}%%EOF\n`, 'latin1'));
}
