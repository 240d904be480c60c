import * as pkijs from 'pkijs';
import { PDFArray, PDFDict, PDFName, PDFRawStream, decodePDFRawStream, type PDFObject } from 'pdf-lib';
import { openLazy } from '../seal/lazy-pdf.js';
import { cryptoEngine, describeName, toArrayBuffer } from '../seal/der.js';

/**
 * Long-term validation data a file (or one of its revisions: the bytes up to a signature's end)
 * carries (PAdES B-LT / B-LTA, ETSI EN 319 142-1 §5.4): the Document Security Store the catalog names, read through the lazy reader (only the catalog, the
 * DSS and its streams are parsed). A file the lazy reader does not handle (hybrid xref, unusual
 * filters) is reported as having no DSS: its level then reads at most B-T, never higher than proven.
 *
 * A certificate counts as covered when the DSS holds an OCSP response about its serial number that
 * is signed by its issuer (or a responder the issuer authorised) and says "good", or a CRL issued
 * and signed by its issuer that does not list it. Self-issued certificates (roots) need nothing.
 */
const MAX_OBJECTS = 64;
const MAX_OBJECT_BYTES = 4 * 1024 * 1024;

export interface DssContent {
  certificates: pkijs.Certificate[];
  ocsps: pkijs.BasicOCSPResponse[];
  crls: pkijs.CertificateRevocationList[];
}

export function readDss(bytes: Uint8Array): DssContent | null {
  let lazy: ReturnType<typeof openLazy>;
  try {
    lazy = openLazy(bytes);
  } catch {
    return null;
  }
  try {
    const dss = lazy.resolve(lazy.catalog.get(PDFName.of('DSS')));
    if (!(dss instanceof PDFDict)) return null;
    let budget = MAX_OBJECTS;
    const streams = (key: string): Uint8Array[] => {
      const arr = lazy.resolve(dss.get(PDFName.of(key)));
      if (!(arr instanceof PDFArray)) return [];
      const out: Uint8Array[] = [];
      for (const r of arr.asArray()) {
        if (budget-- <= 0) break;
        const s = lazy.resolve(r as PDFObject);
        if (!(s instanceof PDFRawStream) || s.contents.length > MAX_OBJECT_BYTES) continue;
        try {
          out.push(s.dict.get(PDFName.of('Filter')) ? decodePDFRawStream(s).decode() : s.contents);
        } catch {
          // an undecodable stream is not validation data
        }
      }
      return out;
    };
    const parse = <T>(items: Uint8Array[], f: (b: ArrayBuffer) => T): T[] =>
      items.flatMap((b) => {
        try {
          return [f(toArrayBuffer(b))];
        } catch {
          return [];
        }
      });
    const certificates = parse(streams('Certs'), (b) => pkijs.Certificate.fromBER(b));
    const ocsps = parse(streams('OCSPs'), (b) => {
      const resp = pkijs.OCSPResponse.fromBER(b);
      if (!resp.responseBytes) throw new Error('no response bytes');
      return pkijs.BasicOCSPResponse.fromBER(resp.responseBytes.response.valueBlock.valueHexView.slice().buffer);
    });
    const crls = parse(streams('CRLs'), (b) => pkijs.CertificateRevocationList.fromBER(b));
    return { certificates, ocsps, crls };
  } catch {
    return null;
  }
}

const selfIssued = (c: pkijs.Certificate) => c.subject.isEqual(c.issuer);

/**
 * Whether an OCSP response is signed by `issuer` itself or by a responder `issuer` delegated
 * (id-kp-OCSPSigning, chained to `roots`). The direct case is checked first with the issuer pinned
 * (pkijs `trustedResponders`: the signature against the issuer's key, no path building), which is
 * ~10× cheaper than pkijs' chain validation; only a delegated responder takes that path.
 */
export async function ocspSignedForIssuer(basic: pkijs.BasicOCSPResponse, issuer: pkijs.Certificate, roots: pkijs.Certificate[], pool: pkijs.Certificate[], engine: pkijs.CryptoEngine): Promise<boolean> {
  try {
    if (await basic.verify({ trustedResponders: [issuer], issuerCerts: [issuer] }, engine)) return true;
  } catch {
    // not signed by the issuer itself: try a delegated responder
  }
  try {
    return await basic.verify({ trustedCerts: roots.length ? roots : [issuer], issuerCerts: [issuer, ...pool] }, engine);
  } catch {
    return false;
  }
}

/**
 * Which of `chain` (the signature's and its timestamp's certificates) lack revocation data in the
 * DSS; an empty list means the signature's validation material is complete (B-LT).
 */
export async function certificatesWithoutRevocationData(chain: pkijs.Certificate[], dss: DssContent): Promise<string[]> {
  const pool = [...chain, ...dss.certificates];
  const roots = pool.filter(selfIssued);
  const engine = cryptoEngine();
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const cert of chain) {
    if (selfIssued(cert)) continue;
    const key = `${describeName(cert.issuer)}#${Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const issuers = [];
    for (const c of pool) if (c.subject.isEqual(cert.issuer) && (await cert.verify(c).catch(() => false))) issuers.push(c);
    const issuer = issuers[0];
    let covered = false;
    if (issuer) {
      for (const basic of dss.ocsps) {
        if (!basic.tbsResponseData.responses.some((r) => r.certID.serialNumber.isEqual(cert.serialNumber))) continue;
        try {
          if (!(await ocspSignedForIssuer(basic, issuer, roots, pool, engine))) continue;
          const st = await basic.getCertificateStatus(cert, issuer, engine);
          if (st.isForCertificate && st.status === 0) covered = true;
        } catch {
          // not authorised or unreadable: does not count
        }
        if (covered) break;
      }
      if (!covered) {
        for (const crl of dss.crls) {
          if (!crl.issuer.isEqual(cert.issuer)) continue;
          if (!(await crl.verify({ issuerCertificate: issuer }, engine).catch(() => false))) continue;
          if (!crl.isCertificateRevoked(cert)) {
            covered = true;
            break;
          }
        }
      }
    }
    if (!covered) missing.push(describeName(cert.subject));
  }
  return missing;
}
