import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPMENT_SEAL_CN } from '../../src/documents/certificates/development.js';
import { loadPkcs12 } from '../../src/documents/certificates/pkcs12.js';
import { developmentSealPath, loadSealIdentity } from '../../src/entry/seal-identity.js';
import { createSealer } from '../../src/documents/seal/sealer.js';
import { makeTestPki, type TestPki } from '../helpers/seal-pki.js';

/** PKCS#12 loading: each way a certificate file can be unfit gets its own error code. */
let pki: TestPki;
let dir: string;
const now = new Date();

function ossl(args: string[]) {
  execFileSync('openssl', args, { cwd: pki.dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A leaf issued by the test root with the given key and extensions, exported as an AES PKCS#12. */
function p12With(name: string, opts: { key?: string[]; ext?: string; withChain?: boolean; legacy?: boolean }): Uint8Array {
  writeFileSync(join(pki.dir, `${name}.ext`), opts.ext ?? 'keyUsage=critical,digitalSignature\n');
  ossl(['req', '-newkey', ...(opts.key ?? ['rsa:2048']), '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  ossl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '30', '-extfile', `${name}.ext`]);
  const legacy = opts.legacy ? ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'] : [];
  const chain = opts.withChain === false ? [] : ['-certfile', 'root.pem'];
  ossl(['pkcs12', '-export', '-inkey', `${name}.key`, '-in', `${name}.pem`, ...chain, ...legacy, '-out', `${name}.p12`, '-passout', `pass:${pki.passphrase}`]);
  return new Uint8Array(readFileSync(join(pki.dir, `${name}.p12`)));
}

const load = (bytes: Uint8Array, passphrase = pki.passphrase, at = new Date(Date.now() + 5_000)) => loadPkcs12(bytes, passphrase, { now: at, source: 'upload' });

beforeAll(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'b24-certs-'));
}, 60_000);
afterAll(() => {
  pki.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('loadPkcs12', () => {
  it('loads an OpenSSL 3 (AES-256, PBKDF2) file: key, leaf first, then the root', async () => {
    const id = await load(new Uint8Array(readFileSync(pki.rsaP12)));
    expect(id.chain).toHaveLength(2);
    expect(id.subjectCommonName).toBe('rsa seal');
    expect(id.development).toBe(false);
    expect(id.privateKey.extractable).toBe(false);
    expect(id.privateKey.algorithm.name).toBe('RSASSA-PKCS1-v1_5');
  });

  it('loads an ECDSA P-256 file', async () => {
    const id = await load(new Uint8Array(readFileSync(pki.ecP12)));
    expect(id.privateKey.algorithm.name).toBe('ECDSA');
  });

  it('wrong passphrase → CERT_WRONG_PASSPHRASE', async () => {
    await expect(load(new Uint8Array(readFileSync(pki.rsaP12)), 'not-it')).rejects.toMatchObject({ code: 'CERT_WRONG_PASSPHRASE' });
  });

  it('expired and not-yet-valid certificates', async () => {
    const bytes = new Uint8Array(readFileSync(pki.rsaP12));
    await expect(load(bytes, pki.passphrase, new Date(now.getTime() + 5 * 365 * 86400_000))).rejects.toMatchObject({ code: 'CERT_EXPIRED' });
    await expect(load(bytes, pki.passphrase, new Date(now.getTime() - 2 * 86400_000))).rejects.toMatchObject({ code: 'CERT_NOT_YET_VALID' });
  });

  it('legacy 3DES encryption → CERT_LEGACY_ENCRYPTION with a way out', async () => {
    const err = await load(p12With('legacy', { legacy: true })).catch((e) => e);
    expect(err).toMatchObject({ code: 'CERT_LEGACY_ENCRYPTION' });
    expect(err.message).toContain('openssl pkcs12');
  });

  it('a CA-issued certificate without its issuer → CERT_CHAIN_MISSING', async () => {
    await expect(load(p12With('lonely', { withChain: false }))).rejects.toMatchObject({ code: 'CERT_CHAIN_MISSING' });
  });

  it('keys unfit for signing → CERT_KEY_UNFIT', async () => {
    await expect(load(p12With('certsign', { ext: 'keyUsage=critical,keyCertSign\n' }))).rejects.toMatchObject({ code: 'CERT_KEY_UNFIT' });
    await expect(load(p12With('tls', { ext: 'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' }))).rejects.toMatchObject({ code: 'CERT_KEY_UNFIT' });
    await expect(load(p12With('short', { key: ['rsa:1024'] }))).rejects.toMatchObject({ code: 'CERT_KEY_UNFIT' });
  });

  it('not a PKCS#12 at all → CERTIFICATE_INVALID', async () => {
    await expect(load(new TextEncoder().encode('-----BEGIN CERTIFICATE-----'))).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID' });
  });
});

describe('loadSealIdentity', () => {
  it('uses SEAL_P12_PATH when configured', async () => {
    const id = await loadSealIdentity({ SEAL_P12_PATH: pki.rsaP12, SEAL_P12_PASSPHRASE: pki.passphrase }, { dataDir: dir });
    expect(id.source).toBe('config');
  });

  it('a missing file is a clear error', async () => {
    await expect(loadSealIdentity({ SEAL_P12_PATH: join(dir, 'nope.p12') }, { dataDir: dir })).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID' });
  });

  it('without configuration: generates a development seal once, persists it privately, and reuses it', async () => {
    const dataDir = mkdtempSync(join(dir, 'data-'));
    // Two starts racing on an empty directory end up with one key.
    const [a, b] = await Promise.all([loadSealIdentity({}, { dataDir }), loadSealIdentity({}, { dataDir })]);
    const c = await loadSealIdentity({}, { dataDir });
    expect(Buffer.from(a.chain[0]!).equals(Buffer.from(c.chain[0]!))).toBe(true);
    expect(Buffer.from(b.chain[0]!).equals(Buffer.from(c.chain[0]!))).toBe(true);
    expect(statSync(developmentSealPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(c.development).toBe(true);
    expect(c.subjectCommonName).toBe(DEVELOPMENT_SEAL_CN);
    const sealer = await createSealer(c);
    expect(sealer.development).toBe(true);
    expect(sealer.trustRoots).toHaveLength(1);
  });
});
