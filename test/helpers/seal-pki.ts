import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test key material, generated at test time with openssl (nothing committed): a root CA, an RSA and
 * an ECDSA seal certificate as AES PKCS#12, a TSA certificate, and an `openssl ts` config so
 * tests can run a local RFC 3161 timestamp authority over HTTP.
 */
export interface TestPki {
  dir: string;
  passphrase: string;
  rootPem: string;
  rootDer: Uint8Array;
  rsaP12: string;
  ecP12: string;
  tsaCnf: string;
  close(): void;
}

export function run(cmd: string, args: string[], opts: { input?: Buffer; cwd?: string } = {}) {
  const r = spawnSync(cmd, args, { input: opts.input, cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout?.toString('utf8') ?? '', stderr: r.stderr?.toString('utf8') ?? '' };
}

const ossl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'b24-seal-pki-'));
  const passphrase = 'test-passphrase';
  ossl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '3650', '-subj', '/CN=Test Root CA/O=b24-sign tests',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  writeFileSync(join(dir, 'seal.ext'), 'keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=1.3.6.1.4.1.311.10.3.12,emailProtection\n');
  writeFileSync(join(dir, 'tsa.ext'), 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n');
  const issue = (name: string, keyArgs: string[], ext: string) => {
    ossl(dir, ['req', '-newkey', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name} seal/O=b24-sign tests`]);
    ossl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '825', '-extfile', ext]);
  };
  issue('rsa', ['rsa:2048'], 'seal.ext');
  issue('ec', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'seal.ext');
  issue('tsa', ['rsa:2048'], 'tsa.ext');
  for (const n of ['rsa', 'ec']) {
    ossl(dir, ['pkcs12', '-export', '-inkey', `${n}.key`, '-in', `${n}.pem`, '-certfile', 'root.pem', '-out', `${n}.p12`, '-passout', `pass:${passphrase}`]);
  }
  writeFileSync(
    join(dir, 'tsa.cnf'),
    [
      '[ tsa ]', 'default_tsa = tsa_config', '[ tsa_config ]', `dir = ${dir}`, 'serial = $dir/tsaserial', 'signer_cert = $dir/tsa.pem', 'certs = $dir/root.pem',
      'signer_key = $dir/tsa.key', 'signer_digest = sha256', 'default_policy = 1.2.3.4.1', 'digests = sha256, sha384, sha512', 'accuracy = secs:1',
      'ess_cert_id_alg = sha256', 'ess_cert_id_chain = no', 'crypto_device = builtin', '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'tsaserial'), '01\n');
  const rootPem = join(dir, 'root.pem');
  const rootDer = new Uint8Array(ossl(dir, ['x509', '-in', 'root.pem', '-outform', 'DER']));
  return { dir, passphrase, rootPem, rootDer, rsaP12: join(dir, 'rsa.p12'), ecP12: join(dir, 'ec.p12'), tsaCnf: join(dir, 'tsa.cnf'), close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An HTTP RFC 3161 TSA on 127.0.0.1 answering with `openssl ts -reply`. */
export async function startOpensslTsa(pki: TestPki): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      n++;
      const q = join(pki.dir, `q${n}.tsq`);
      const r = join(pki.dir, `r${n}.tsr`);
      writeFileSync(q, Buffer.concat(chunks));
      const out = run('openssl', ['ts', '-reply', '-config', pki.tsaCnf, '-queryfile', q, '-out', r]);
      if (out.code !== 0) {
        res.writeHead(500).end(out.stderr);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(readFileSync(r));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/tsa`, requests: () => n, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The last signature's signed bytes and its CMS trimmed to the DER length (as a shell pipeline would). */
export function extractLastSignature(pdf: Uint8Array): { signed: Buffer; cms: Buffer; byteRange: number[] } {
  const b = Buffer.from(pdf);
  const at = b.lastIndexOf('/ByteRange');
  const m = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(b.toString('latin1', at, at + 120));
  if (!m) throw new Error('no ByteRange');
  const [a, l1, s2, l2] = m.slice(1).map(Number) as [number, number, number, number];
  const signed = Buffer.concat([b.subarray(a, a + l1), b.subarray(s2, s2 + l2)]);
  const der = Buffer.from(b.toString('latin1', l1 + 1, s2 - 1), 'hex');
  return { signed, cms: der.subarray(0, derLength(der)), byteRange: [a, l1, s2, l2] };
}

function derLength(der: Buffer): number {
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[2 + i]!;
  return 2 + n + len;
}

/** Appends a small, well-formed incremental update (a new Info dictionary) to a PDF. */
export function appendIncrementalUpdate(pdf: Uint8Array): Uint8Array {
  const b = Buffer.from(pdf);
  const text = b.toString('latin1');
  const startxref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)?.[1]);
  const root = [...text.matchAll(/\/Root\s+(\d+)\s+(\d+)\s+R/g)].pop();
  const size = Math.max(...[...text.matchAll(/\/Size\s+(\d+)/g)].map((m) => Number(m[1])));
  if (!root || !Number.isFinite(startxref) || !Number.isFinite(size)) throw new Error('cannot find trailer data');
  const head = b.at(-1) === 0x0a ? '' : '\n';
  const objAt = b.length + Buffer.byteLength(head);
  const obj = `${size} 0 obj\n<< /Title (Changed after sealing) /Producer (tamper test) >>\nendobj\n`;
  const xrefAt = objAt + Buffer.byteLength(obj);
  const tail =
    `${head}${obj}xref\n0 1\n0000000000 65535 f \n${size} 1\n${String(objAt).padStart(10, '0')} 00000 n \n` +
    `trailer\n<< /Size ${size + 1} /Root ${root[1]} ${root[2]} R /Info ${size} 0 R /Prev ${startxref} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return new Uint8Array(Buffer.concat([b, Buffer.from(tail, 'latin1')]));
}

/** The same file with one byte changed inside the first signed range (in the binary header comment). */
export function flipByte(pdf: Uint8Array, offset = 10): Uint8Array {
  const out = new Uint8Array(pdf);
  out[offset] = out[offset]! ^ 0x01;
  return out;
}
