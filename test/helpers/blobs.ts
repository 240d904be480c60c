import { loadBlob } from '../../src/blobs/blobs.js';
import type { Envelope } from '../../src/db/schema/envelopes.js';
import type { Services } from '../../src/services.js';

/** An envelope's source or sealed PDF from the blob store (undefined while it has none). */
export async function envelopePdf(services: Pick<Services, 'blobs'>, env: Pick<Envelope, 'portalId' | 'sourcePdfKey' | 'sealedPdfKey'>, which: 'source' | 'sealed'): Promise<Uint8Array | undefined> {
  const key = which === 'source' ? env.sourcePdfKey : env.sealedPdfKey;
  return key ? loadBlob(services, { portalId: env.portalId, key }) : undefined;
}
