import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './seal-pki.js';

/**
 * A small PKI with live revocation services, made with openssl at test time (nothing committed):
 *
 *   Test LTV Root CA (self-signed)
 *     └─ Test LTV Issuing CA      CRL distribution point: http://127.0.0.1:<http>/root.crl
 *          ├─ seal certificate    AIA OCSP: http://127.0.0.1:<ocsp> (openssl ocsp -index …), CRL DP as fallback
 *          └─ TSA certificate     CRL distribution point only: http://127.0.0.1:<http>/issuing.crl
 *
 * Both CAs are `openssl ca` databases, so `revoke()` and `regenerateCrls()` behave like a real CA.
 * The CRLs are served as DER by a plain HTTP server that counts requests per path; the OCSP
 * responder is `openssl ocsp` signing with the issuing CA's key. `startTsa` in seal-pki.ts-style
 * answers RFC 3161 requests with `openssl ts -reply` using the TSA certificate here.
 */
export interface LtvPki {
  dir: string;
  passphrase: string;
  sealP12: string;
  rootPem: string;
  rootDer: Uint8Array;
  issuingPem: string;
  /** root + issuing CA, PEM: the -CAfile for openssl checks. */
  chainPem: string;
  ocspUrl: string;
  httpBase: string;
  tsaUrl: string;
  /** Requests seen per path ("/root.crl", "/issuing.crl", "/tsa") and by the OCSP responder (counted by openssl's log). */
  hits: Map<string, number>;
  revoke(which: 'seal' | 'tsa'): void;
  regenerateCrls(): void;
  /** Stops serving a path (404) or the OCSP responder, to test fallbacks and failures. */
  breakPath(path: string): void;
  repairPath(path: string): void;
  stopOcsp(): Promise<void>;
  close(): Promise<void>;
}

/** A port nothing listens on right now (for openssl ocsp, which cannot report the port it chose). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const ossl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

function caConfig(dir: string, name: string): string {
  const home = join(dir, name);
  mkdirSync(join(home, 'newcerts'), { recursive: true });
  writeFileSync(join(home, 'index.txt'), '');
  writeFileSync(join(home, 'serial'), name === 'root' ? '1000\n' : '2000\n');
  writeFileSync(join(home, 'crlnumber'), '01\n');
  const cnf = join(dir, `${name}.cnf`);
  writeFileSync(
    cnf,
    [
      '[ ca ]', 'default_ca = CA_default', '[ CA_default ]', `dir = ${home}`, 'database = $dir/index.txt', 'new_certs_dir = $dir/newcerts',
      'serial = $dir/serial', 'crlnumber = $dir/crlnumber', 'default_md = sha256', 'default_days = 800', 'default_crl_days = 30',
      'policy = policy_any', 'unique_subject = no', 'copy_extensions = none', '[ policy_any ]', 'commonName = supplied', 'organizationName = optional', '',
    ].join('\n'),
  );
  return cnf;
}

export async function makeLtvPki(): Promise<LtvPki> {
  const dir = mkdtempSync(join(tmpdir(), 'b24-ltv-pki-'));
  const passphrase = 'ltv-passphrase';
  const hits = new Map<string, number>();
  const broken = new Set<string>();
  let tsaN = 0;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (broken.has(path)) {
      res.writeHead(404).end('gone');
      return;
    }
    if (path === '/tsa') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = ++tsaN;
        const q = join(dir, `q${n}.tsq`);
        const r = join(dir, `r${n}.tsr`);
        writeFileSync(q, Buffer.concat(chunks));
        const out = run('openssl', ['ts', '-reply', '-config', join(dir, 'tsa.cnf'), '-queryfile', q, '-out', r]);
        if (out.code !== 0) res.writeHead(500).end(out.stderr);
        else res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(readFileSync(r));
      });
      return;
    }
    const m = /^\/(root|issuing)\.crl$/.exec(path);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(readFileSync(join(dir, `${m[1]}.crl`)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const httpBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ocspPort = await freePort();
  const ocspUrl = `http://127.0.0.1:${ocspPort}`;

  const rootCnf = caConfig(dir, 'root');
  const issuingCnf = caConfig(dir, 'issuing');
  ossl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '3650', '-subj', '/CN=Test LTV Root CA/O=b24-sign tests',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  writeFileSync(join(dir, 'issuing.ext'), `basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\ncrlDistributionPoints=URI:${httpBase}/root.crl\n`);
  writeFileSync(join(dir, 'seal.ext'), `keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=1.3.6.1.4.1.311.10.3.12,emailProtection\nauthorityInfoAccess=OCSP;URI:${ocspUrl}\ncrlDistributionPoints=URI:${httpBase}/issuing.crl\n`);
  writeFileSync(join(dir, 'tsa.ext'), `keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\ncrlDistributionPoints=URI:${httpBase}/issuing.crl\n`);
  const issue = (name: string, subject: string, cnf: string, ca: string) => {
    ossl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    ossl(dir, ['ca', '-batch', '-config', cnf, '-cert', `${ca}.pem`, '-keyfile', `${ca}.key`, '-in', `${name}.csr`, '-out', `${name}.pem`, '-extfile', `${name}.ext`, '-notext']);
  };
  issue('issuing', '/CN=Test LTV Issuing CA/O=b24-sign tests', rootCnf, 'root');
  issue('seal', '/CN=Test LTV seal/O=b24-sign tests', issuingCnf, 'issuing');
  issue('tsa', '/CN=Test LTV TSA/O=b24-sign tests', issuingCnf, 'issuing');
  writeFileSync(join(dir, 'chain.pem'), Buffer.concat([readFileSync(join(dir, 'issuing.pem')), readFileSync(join(dir, 'root.pem'))]));
  ossl(dir, ['pkcs12', '-export', '-inkey', 'seal.key', '-in', 'seal.pem', '-certfile', 'chain.pem', '-out', 'seal.p12', '-passout', `pass:${passphrase}`]);
  writeFileSync(join(dir, 'tsa-chain.pem'), Buffer.concat([readFileSync(join(dir, 'issuing.pem')), readFileSync(join(dir, 'root.pem'))]));
  writeFileSync(
    join(dir, 'tsa.cnf'),
    [
      '[ tsa ]', 'default_tsa = tsa_config', '[ tsa_config ]', `dir = ${dir}`, 'serial = $dir/tsaserial', 'signer_cert = $dir/tsa.pem', 'certs = $dir/tsa-chain.pem',
      'signer_key = $dir/tsa.key', 'signer_digest = sha256', 'default_policy = 1.2.3.4.1', 'digests = sha256, sha384, sha512', 'accuracy = secs:1',
      'ess_cert_id_alg = sha256', 'ess_cert_id_chain = no', 'crypto_device = builtin', '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'tsaserial'), '01\n');

  const regenerateCrls = () => {
    for (const [name, cnf] of [['root', rootCnf], ['issuing', issuingCnf]] as const) {
      ossl(dir, ['ca', '-gencrl', '-config', cnf, '-cert', `${name}.pem`, '-keyfile', `${name}.key`, '-out', `${name}.crl.pem`]);
      ossl(dir, ['crl', '-in', `${name}.crl.pem`, '-outform', 'DER', '-out', `${name}.crl`]);
    }
  };
  regenerateCrls();

  let ocsp: ChildProcess | undefined;
  const startOcsp = async () => {
    ocsp = spawn('openssl', ['ocsp', '-index', join(dir, 'issuing', 'index.txt'), '-port', String(ocspPort), '-rsigner', 'issuing.pem', '-rkey', 'issuing.key', '-CA', 'issuing.pem', '-ignore_err', '-nmin', '10'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Ready when it says so: a probe connection that sends nothing would wedge it (it serves one
    // connection at a time and waits on that one).
    const child = ocsp;
    await new Promise<void>((resolve, reject) => {
      let said = '';
      const timer = setTimeout(() => reject(new Error(`openssl ocsp did not start: ${said}`)), 10_000);
      const listen = (c: Buffer) => {
        said += c.toString();
        if (said.includes('waiting for OCSP client connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', listen);
      child.stderr!.on('data', listen);
      child.once('exit', (code) => reject(new Error(`openssl ocsp exited (${code}): ${said}`)));
    });
  };
  await startOcsp();
  const stopOcsp = async () => {
    const p = ocsp;
    ocsp = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  };
  const rootPem = join(dir, 'root.pem');
  return {
    dir,
    passphrase,
    sealP12: join(dir, 'seal.p12'),
    rootPem,
    rootDer: new Uint8Array(ossl(dir, ['x509', '-in', 'root.pem', '-outform', 'DER'])),
    issuingPem: join(dir, 'issuing.pem'),
    chainPem: join(dir, 'chain.pem'),
    ocspUrl,
    httpBase,
    tsaUrl: `${httpBase}/tsa`,
    hits,
    revoke(which) {
      ossl(dir, ['ca', '-config', issuingCnf, '-cert', 'issuing.pem', '-keyfile', 'issuing.key', '-revoke', `${which}.pem`]);
      regenerateCrls();
    },
    regenerateCrls,
    breakPath: (path) => broken.add(path),
    repairPath: (path) => broken.delete(path),
    stopOcsp,
    async close() {
      await stopOcsp();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
