import { Signer } from '@signpdf/utils';
import type { Sealer } from './sealer.js';

/**
 * The same seal as a @signpdf `Signer`, for code that drives `signpdf.sign(bytes, signer)` itself
 * (e.g. with @signpdf placeholders). It receives the signed byte ranges concatenated, hashes them
 * and asks the sealer for the CMS. `sealPdf` does not use it: it signs in place without the copies
 * signpdf makes of the whole file.
 */
export class PadesSigner extends Signer {
  constructor(private readonly sealer: Sealer) {
    super();
  }

  override async sign(pdfBuffer: Buffer): Promise<Buffer> {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', pdfBuffer as BufferSource));
    return Buffer.from(await this.sealer.signDigest(digest));
  }
}
