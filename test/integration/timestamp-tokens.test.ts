import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractTimestampTokens } from '../../src/documents/timestamp-tokens.js';
import { run } from '../helpers/seal-pki.js';

/**
 * Token extraction on a third-party PAdES B-LTA file (pyHanko's test corpus): a signature with a
 * signature timestamp, a document timestamp, then a second signature. Each exported .tsr must
 * verify with openssl over the data it stamps — which fails if a single byte of the token had
 * been re-encoded. The TSA's own certificates (from the token) are the trust anchor here, with
 * `-partial_chain`: this checks that we export the token intact, not pyHanko's test PKI.
 */
const FIXTURE = 'test/fixtures/pdfs/pyhanko--pades-lta-dss-indirect-arrs-test-2.pdf';
const dir = mkdtempSync(join(tmpdir(), 'b24-tsr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `/ByteRange [a b c d]` arrays in file order, read with a plain regular expression (not our scanner). */
function byteRanges(pdf: Buffer): number[][] {
  return [...pdf.toString('latin1').matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].map((m) => m.slice(1, 5).map(Number));
}

describe('RFC 3161 tokens exported from a signed PDF', () => {
  const pdf = readFileSync(FIXTURE);
  const tokens = extractTimestampTokens(new Uint8Array(pdf));

  it('finds both signature timestamps and the document timestamp, named by their place in the file', () => {
    expect(tokens.map((t) => t.name)).toEqual(['signature-1', 'document-timestamp-2', 'signature-3']);
    expect(tokens.filter((t) => t.stamped).map((t) => t.name)).toEqual(['signature-1', 'signature-3']);
  });

  it('each .tsr is a granted TimeStampResp that openssl ts -verify accepts over what it stamps, and rejects over other data', () => {
    const f = (name: string, bytes: Uint8Array) => {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return p;
    };
    const first = f('first.tsr', tokens[0]!.tsr);
    expect(run('openssl', ['ts', '-reply', '-in', first, '-text']).stdout).toContain('Status: Granted.');
    const tokenDer = join(dir, 'first-token.der');
    expect(run('openssl', ['ts', '-reply', '-in', first, '-token_out', '-out', tokenDer]).code).toBe(0);
    const certs = run('openssl', ['pkcs7', '-inform', 'DER', '-in', tokenDer, '-print_certs']).stdout;
    const ca = f('tsa-certs.pem', new TextEncoder().encode(certs));
    const verify = (tsr: string, data: string) => run('openssl', ['ts', '-verify', '-in', tsr, '-data', data, '-CAfile', ca, '-partial_chain', '-no_check_time']);

    const ranges = byteRanges(pdf);
    for (const t of tokens) {
      const tsr = f(`${t.name}.tsr`, t.tsr);
      const index = Number(/-(\d+)$/.exec(t.name)![1]) - 1;
      const [a, b, c, d] = ranges[index]!;
      // A signature timestamp stamps the signature value; a document timestamp stamps the signed byte ranges.
      const data = f(`${t.name}.data`, t.stamped ?? Buffer.concat([pdf.subarray(a!, a! + b!), pdf.subarray(c!, c! + d!)]));
      const ok = verify(tsr, data);
      expect(ok.stdout + ok.stderr, t.name).toContain('Verification: OK');
      const other = f(`${t.name}.other`, new TextEncoder().encode(`not what ${t.name} stamps`));
      expect(verify(tsr, other).stdout, t.name).not.toContain('Verification: OK');
    }
  });
});
