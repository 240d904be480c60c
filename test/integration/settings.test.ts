import { execFileSync } from 'node:child_process';
import { envelopePdf } from '../helpers/blobs.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { PDFHexString } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { portalSealCertificates, settingsChanges } from '../../src/db/schema/portal-settings.js';
import { portals } from '../../src/db/schema/portals.js';
import { sealedDocuments } from '../../src/db/schema/sealed-documents.js';
import { sealPdf } from '../../src/documents/seal/sealer.js';
import { recordSealedDocument } from '../../src/documents/verify/sealed-documents.js';
import { issueSession } from '../../src/http/session.js';
import { runCompletion } from '../../src/signing/completion.js';
import { portalSeal } from '../../src/settings/portal-sealer.js';
import { resealPortalCertificates } from '../../src/settings/store.js';
import { createTokenKeyring, generateTokenKey, parseTokenKeys, type TokenKey } from '../../src/lib/token-keyring.js';
import { makeLtvPki, type LtvPki } from '../helpers/ltv-pki.js';
import { run } from '../helpers/seal-pki.js';
import { createTestServices } from '../helpers/services.js';
import { client, codeFromBody, lastMessage, samplePdf, sessionFor, TINY_PNG_B64, tokenFromBody } from '../helpers/signing.js';

/**
 * Issue 17 item 4: the settings page's API. A portal's own seal certificate seals that portal's
 * documents ("<company> via b24-sign", pdfsig names its signer) and the verify door trusts it for
 * that portal's documents only; CERT_* errors; admins only; every change audited without secrets;
 * defaults applied to new documents; the TSA test; B-LTA with a portal identity and TSA.
 */
const A = 'prt_settings_a';
const B = 'prt_settings_b';
let services: Awaited<ReturnType<typeof createTestServices>>;
let http: ReturnType<typeof client>;
let offsetMs = 0;
let work: string;
let ltv: LtvPki;
let alphaP12: string;
const PASS = 'alpha-pass';
/** Portal A's first sealed document (Alpha certificate). */
let sealedA: Uint8Array;

const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'b24-settings-'));
  // A self-signed company seal that expires in 20 days: inside the 30-day warning.
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'alpha.key', '-out', 'alpha.pem', '-days', '20', '-subj', '/CN=Alpha Seal/O=Alpha Trading LLC',
    '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation']);
  ossl(['pkcs12', '-export', '-inkey', 'alpha.key', '-in', 'alpha.pem', '-out', 'alpha.p12', '-passout', `pass:${PASS}`]);
  alphaP12 = readFileSync(join(work, 'alpha.p12')).toString('base64');
  ltv = await makeLtvPki();
  services = await createTestServices({ clock: { now: () => new Date(Date.now() + offsetMs) } });
  for (const [id, n] of [[A, 1], [B, 2]] as const) {
    await services.db.insert(portals).values({ id, memberId: `member-settings-${n}`, domain: `settings-${n}.bitrix24.example`, clientEndpoint: `https://settings-${n}.bitrix24.example/rest/` });
  }
  http = client(services);
}, 120_000);

afterAll(async () => {
  await ltv?.close();
  rmSync(work, { recursive: true, force: true });
  await services.testDb.close();
});

const admin = (portalId = A) => sessionFor(services, portalId, 1);

async function signedEnvelope(portalId: string, body: Record<string, unknown> = {}): Promise<string> {
  const bearer = await admin(portalId);
  const created = await http.req('POST', '/api/envelopes', {
    bearer,
    body: {
      title: 'Supply contract',
      lang: 'en',
      pdfBase64: Buffer.from(await samplePdf()).toString('base64'),
      fields: [{ key: 'client_sig', type: 'signature', label: 'Client signature', page: 1, box: { x: 320, y: 200, w: 180, h: 50 }, party: 'client', required: true }],
      recipients: [{ party: 'client', name: 'Ivan Petrov', email: `ivan-${Math.random().toString(36).slice(2)}@buyer.example` }],
      send: true,
      ...body,
    },
  });
  expect(created.status, JSON.stringify(created.data)).toBe(201);
  const rid = created.data.recipients[0].id as string;
  const token = tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
  await http.req('POST', `/api/sign/${token}/code`);
  const code = codeFromBody((await lastMessage(services, rid, 'code'))!.body);
  const { actionToken } = (await http.req('POST', `/api/sign/${token}/verify`, { body: { code } })).data;
  const r = await http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: {}, signature: { method: 'drawn', image: TINY_PNG_B64 } }, headers: { 'x-sign-action': actionToken } });
  expect(r.status, JSON.stringify(r.data)).toBe(200);
  const envelopeId = created.data.envelope.id as string;
  await runCompletion(services, { portalId, envelopeId });
  return envelopeId;
}

const sealedOf = async (envelopeId: string) => (await services.db.select().from(envelopes).where(eq(envelopes.id, envelopeId)))[0]!;

async function verifyJson(pdf: Uint8Array) {
  const res = await http.app.request('/api/verify', { method: 'POST', body: pdf as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/pdf' } });
  expect(res.status).toBe(200);
  return (await res.json()) as { verdict: string; signatures: { trusted: boolean; ours: boolean; signer: { commonName: string } | null }[]; padesLevel: string | null };
}

describe('settings API: admins only, validated, audited', () => {
  it('refuses a non-admin (403) on every settings route', async () => {
    const sender = await issueSession(services.config.sessionSecret, { portalId: A, userId: 7, isAdmin: false, placement: 'APP', lang: 'en' }, services.clock.now());
    for (const [method, path, body] of [['GET', '/api/settings'], ['PUT', '/api/settings', { expiryDays: 3 }], ['PUT', '/api/settings/certificate', { p12: alphaP12, passphrase: PASS }], ['POST', '/api/settings/tsa-test', {}], ['GET', '/api/settings/changes']] as const) {
      const r = await http.req(method, path, { bearer: sender, ...(body ? { body } : {}) });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.data.error.code).toBe('FORBIDDEN');
    }
    expect(await services.db.select().from(portalSealCertificates).where(eq(portalSealCertificates.portalId, A))).toHaveLength(0);
  });

  it('a wrong passphrase is CERT_WRONG_PASSPHRASE; an expired certificate CERT_EXPIRED; nothing is stored', async () => {
    const bearer = await admin();
    const wrong = await http.req('PUT', '/api/settings/certificate', { bearer, body: { p12: alphaP12, passphrase: 'nope' } });
    expect(wrong.status).toBe(422);
    expect(wrong.data.error.code).toBe('CERT_WRONG_PASSPHRASE');
    offsetMs = 40 * 86_400_000;
    try {
      const expired = await http.req('PUT', '/api/settings/certificate', { bearer: await admin(), body: { p12: alphaP12, passphrase: PASS } });
      expect(expired.status).toBe(422);
      expect(expired.data.error.code).toBe('CERT_EXPIRED');
    } finally {
      offsetMs = 0;
    }
    const junk = await http.req('PUT', '/api/settings/certificate', { bearer, body: { p12: Buffer.from('not a pkcs12').toString('base64'), passphrase: PASS } });
    expect(junk.data.error.code).toBe('CERTIFICATE_INVALID');
    expect(await services.db.select().from(portalSealCertificates).where(eq(portalSealCertificates.portalId, A))).toHaveLength(0);
  });

  it('stores a valid certificate encrypted, shows subject, issuer and expiry, warns within 30 days, audits without the secret', async () => {
    const bearer = await admin();
    const r = await http.req('PUT', '/api/settings/certificate', { bearer, body: { p12: alphaP12, passphrase: PASS } });
    expect(r.status, JSON.stringify(r.data)).toBe(200);
    expect(r.data.certificate).toMatchObject({ commonName: 'Alpha Seal', company: 'Alpha Trading LLC', sealName: 'Alpha Trading LLC via b24-sign', expiringSoon: true, expired: false });
    expect(r.data.certificate.subject).toContain('CN=Alpha Seal');
    expect(r.data.certificate.issuer).toContain('CN=Alpha Seal');
    expect(r.data.certificate.daysLeft).toBeGreaterThanOrEqual(18);
    expect(r.data.certificate.daysLeft).toBeLessThan(30);
    const got = await http.req('GET', '/api/settings', { bearer });
    expect(got.data.certificate.leafSha256).toBe(r.data.certificate.leafSha256);
    expect(got.data.effective.sealName).toBe('Alpha Trading LLC via b24-sign');

    const [row] = await services.db.select().from(portalSealCertificates).where(eq(portalSealCertificates.portalId, A));
    expect(row!.p12Sealed).toMatch(/^v1\./);
    expect(row!.passphraseSealed).toMatch(/^v1\./);
    expect(row!.passphraseSealed).not.toContain(PASS);
    expect(row!.p12Sealed).not.toContain(alphaP12.slice(0, 40));
    const changes = await services.db.select().from(settingsChanges).where(and(eq(settingsChanges.portalId, A), eq(settingsChanges.setting, 'sealCertificate')));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ actorUserId: 1, before: null, ip: '203.0.113.7' });
    const text = JSON.stringify(changes);
    expect(text).toContain('Alpha Seal');
    expect(text).not.toContain(PASS);
    expect(text).not.toContain(alphaP12.slice(0, 40));
  });

  it('a rotated TOKEN_ENCRYPTION_KEYS re-seals the stored certificate with the new key (start-up pass)', async () => {
    const parsed = parseTokenKeys(`${generateTokenKey('rotated')},${services.config.TOKEN_ENCRYPTION_KEYS}`);
    if (!('keys' in parsed)) throw new Error(parsed.problems.join('; '));
    const rotated = createTokenKeyring(parsed.keys);
    expect(await resealPortalCertificates(services.db, rotated)).toBe(1);
    expect(await resealPortalCertificates(services.db, rotated)).toBe(0);
    const [row] = await services.db.select().from(portalSealCertificates).where(eq(portalSealCertificates.portalId, A));
    expect(row!.p12Sealed).toMatch(/^v1\.rotated\./);
    expect(await rotated.open(row!.passphraseSealed!, 'seal_passphrase', A)).toBe(PASS);
    // Back under the suite's key for the tests that follow.
    const back = createTokenKeyring([...(parseTokenKeys(services.config.TOKEN_ENCRYPTION_KEYS!) as { keys: TokenKey[] }).keys, parsed.keys[0]!]);
    expect(await resealPortalCertificates(services.db, back)).toBe(1);
  });

  it('defaults (reminders, expiry, signer, sender, languages) are validated, audited before → after, and applied to a document created without its own', async () => {
    const bearer = await admin();
    const bad = await http.req('PUT', '/api/settings', { bearer, body: { expiryDays: 0, languages: ['de'] } });
    expect(bad.status).toBe(400);
    expect(bad.data.error.code).toBe('VALIDATION_FAILED');
    const unknown = await http.req('PUT', '/api/settings', { bearer, body: { sealKey: 'x' } });
    expect(unknown.status).toBe(400);

    await http.req('PUT', '/api/settings', { bearer, body: { expiryDays: 10 } });
    const r = await http.req('PUT', '/api/settings', { bearer, body: { expiryDays: 5, reminderFirstDays: 2, reminderEveryDays: 3, reminderMax: 1, companySignerUserId: 42, senderName: 'Alpha Trading', languages: ['en', 'ru'] } });
    expect(r.status, JSON.stringify(r.data)).toBe(200);
    expect(r.data.settings).toMatchObject({ expiryDays: 5, reminderMax: 1, companySignerUserId: 42, senderName: 'Alpha Trading', languages: ['en', 'ru'] });
    const [stored] = await services.db.select().from(portals).where(eq(portals.id, A));
    expect(stored!.settings.branding).toEqual({ name: 'Alpha Trading' });
    const log = (await http.req('GET', '/api/settings/changes', { bearer })).data.changes as { setting: string; before: unknown; after: unknown; actorUserId: number; at: string }[];
    const expiry = log.filter((c) => c.setting === 'expiryDays');
    expect(expiry.map((c) => [c.before, c.after])).toEqual([[10, 5], [null, 10]]);
    expect(log.find((c) => c.setting === 'senderName')).toMatchObject({ before: null, after: 'Alpha Trading', actorUserId: 1 });

    const created = await http.req('POST', '/api/envelopes', { bearer, body: { title: 'Defaults', lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: [] } });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, created.data.envelope.id));
    expect(env!.timers).toEqual({ expiryDays: 5, reminderFirstDays: 2, reminderEveryDays: 3, reminderMax: 1 });
    // A document's own value still wins.
    const own = await http.req('POST', '/api/envelopes', { bearer, body: { title: 'Own', lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: [], timers: { expiryDays: 30 } } });
    const [env2] = await services.db.select().from(envelopes).where(eq(envelopes.id, own.data.envelope.id));
    expect(env2!.timers.expiryDays).toBe(30);
    // Portal B is untouched.
    const [b] = await services.db.select().from(portals).where(eq(portals.id, B));
    expect(b!.settings).toEqual({});
  });

  it('logo: PNG accepted and served, oversized refused, audited by hash', async () => {
    const bearer = await admin();
    const r = await http.req('PUT', '/api/settings/logo', { bearer, body: { image: TINY_PNG_B64 } });
    expect(r.status, JSON.stringify(r.data)).toBe(200);
    const got = await http.req('GET', '/api/settings', { bearer });
    const served = await http.app.request(got.data.logo.url);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).toString('base64')).toBe(TINY_PNG_B64);
    // A 5000×5000 PNG header: refused by its dimensions before anything decodes it.
    const huge = Buffer.from(TINY_PNG_B64, 'base64');
    huge.writeUInt32BE(5000, 16);
    huge.writeUInt32BE(5000, 20);
    const big = await http.req('PUT', '/api/settings/logo', { bearer, body: { image: huge.toString('base64') } });
    expect(big.status).toBe(422);
    expect(big.data.error.code).toBe('IMAGE_TOO_LARGE');

    // The sender name and the logo reach the portal's e-mails.
    const created = await http.req('POST', '/api/envelopes', {
      bearer,
      body: { title: 'Branded', lang: 'en', pdfBase64: Buffer.from(await samplePdf()).toString('base64'), fields: [], recipients: [{ party: 'client', name: 'Ivan', email: 'ivan-brand@buyer.example' }], send: true },
    });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const mail = (await lastMessage(services, created.data.recipients[0].id, 'invitation'))!;
    expect(mail.body).toContain('Alpha Trading sent you “Branded”');
    expect(mail.html).toContain(`${services.config.publicUrl}/logo/${A}/${r.data.logo.sha256}`);
    // …and the signing page: logo, sender name, only the languages offered (en, ru).
    const pageRes = await http.req('GET', `/s/${tokenFromBody(mail.body)}`);
    expect(pageRes.status).toBe(200);
    const html = pageRes.data as string;
    expect(html).toContain(`<img src="/logo/${A}/${r.data.logo.sha256}"`);
    expect(html).toMatch(/id="brand"[^]*Alpha Trading/);
    expect(html).toContain('hreflang="ru"');
    expect(html).not.toContain('hreflang="it"');
  });
});

describe('sealing and verifying with a portal certificate', () => {

  it("the portal's documents are sealed with its certificate as \"<company> via b24-sign\"; pdfsig names its signer", async () => {
    const envelopeId = await signedEnvelope(A);
    const env = await sealedOf(envelopeId);
    sealedA = (await envelopePdf(services, env, 'sealed'))!;
    const [doc] = await services.db.select().from(sealedDocuments).where(eq(sealedDocuments.envelopeId, envelopeId));
    expect(doc!.signerName).toBe('Alpha Trading LLC via b24-sign');
    expect(doc!.development).toBe(false);
    const events = await services.db.select().from(auditEvents).where(eq(auditEvents.envelopeId, envelopeId));
    const sealed = events.find((e) => e.type === 'sealed')!;
    expect((sealed.data as { sealIdentity: { kind: string } }).sealIdentity.kind).toBe('portal');

    const file = join(work, 'alpha-sealed.pdf');
    writeFileSync(file, sealedA);
    const out = run('pdfsig', [file]);
    expect(out.stdout).toContain('Signer Certificate Common Name: Alpha Seal');
    expect(out.stdout).toContain('Signature is Valid');
    expect(out.stdout).toContain('Total document signed');
    // The /Name and /Reason of the signature dictionary.
    const raw = Buffer.from(sealedA).toString('latin1');
    const hex = (t: string) => PDFHexString.fromText(t).toString();
    expect(raw).toContain(`/Name ${hex('Alpha Trading LLC via b24-sign')}`);
    expect(raw).toContain(`/Reason ${hex('Sealed by Alpha Trading LLC via b24-sign')}`);
    expect(raw).not.toContain('development certificate');
  });

  it("the verify door trusts that chain for the portal's document", async () => {
    const v = await verifyJson(sealedA);
    expect(v.verdict).toBe('sealed_unchanged');
    expect(v.signatures[0]).toMatchObject({ trusted: true, ours: true, signer: { commonName: 'Alpha Seal' } });
  });

  it("…and not for another portal's document, nor for a file no portal sealed", async () => {
    const { sealer } = await portalSeal(services, A);
    // Signed with portal A's key but recorded as portal B's document.
    const forB = await sealPdf(await samplePdf('For B'), sealer);
    await recordSealedDocument(services.db, {
      id: 'doc_settings_b', portalId: B, envelopeId: 'env_settings_b', publicId: 'B24S-SETT-INGS-0B0B', sha256: forB.sha256, title: 'B', parties: [],
      development: false, timestamped: false, sealedAt: new Date(), retentionUntil: new Date(Date.now() + 86_400_000), sizeBytes: forB.bytes.length,
    });
    const vb = await verifyJson(forB.bytes);
    expect(vb.signatures[0]).toMatchObject({ trusted: false, ours: false, signer: { commonName: 'Alpha Seal' } });
    const loose = await sealPdf(await samplePdf('Nobody'), sealer);
    const vl = await verifyJson(loose.bytes);
    expect(vl.verdict).toBe('valid_other_signer');
    expect(vl.signatures[0]).toMatchObject({ trusted: false, ours: false });
  });

  it('a portal without a certificate keeps the platform seal', async () => {
    const seal = await portalSeal(services, B);
    expect(seal.identity).toBe('platform');
    expect(seal.sealer).toBe(services.sealer);
    const envelopeId = await signedEnvelope(B);
    const [doc] = await services.db.select().from(sealedDocuments).where(eq(sealedDocuments.envelopeId, envelopeId));
    expect(doc!.signerName).toBe(services.sealer.signerName);
    const v = await verifyJson((await envelopePdf(services, await sealedOf(envelopeId), 'sealed'))!);
    expect(v.signatures[0]).toMatchObject({ trusted: true, ours: true });
  });
});

describe('TSA: the test button and B-LT/B-LTA with a portal identity', () => {
  it('tests a TSA with a real RFC 3161 request; a dead one is a clear TSA_UNAVAILABLE', async () => {
    const bearer = await admin();
    const ok = await http.req('POST', '/api/settings/tsa-test', { bearer, body: { url: ltv.tsaUrl } });
    expect(ok.status, JSON.stringify(ok.data)).toBe(200);
    expect(ok.data).toMatchObject({ ok: true, url: ltv.tsaUrl, authority: expect.stringContaining('Test LTV TSA') });
    expect(Math.abs(new Date(ok.data.time).getTime() - Date.now())).toBeLessThan(120_000);
    const dead = await http.req('POST', '/api/settings/tsa-test', { bearer, body: { url: 'http://127.0.0.1:9/tsa' } });
    expect(dead.status).toBe(503);
    expect(dead.data.error.code).toBe('TSA_UNAVAILABLE');
    expect(dead.data.error.message).toMatch(/could not be reached/);
    expect(dead.data.error.details).toEqual({ reason: 'unreachable' });
  });

  it('a CA-issued portal certificate with the portal TSA seals at B-LTA; the verifier trusts it for that portal', async () => {
    const bearer = await admin();
    const cert = await http.req('PUT', '/api/settings/certificate', { bearer, body: { p12: readFileSync(ltv.sealP12).toString('base64'), passphrase: ltv.passphrase } });
    expect(cert.status, JSON.stringify(cert.data)).toBe(200);
    expect(cert.data.certificate.issuer).toContain('Test LTV Issuing CA');
    expect((await http.req('PUT', '/api/settings', { bearer, body: { tsaUrl: ltv.tsaUrl } })).status).toBe(200);
    // The replaced certificate is retired: its secrets wiped, its chain kept for the verifier.
    const rows = await services.db.select().from(portalSealCertificates).where(eq(portalSealCertificates.portalId, A));
    const old = rows.find((r) => r.commonName === 'Alpha Seal')!;
    expect(old).toMatchObject({ active: false, p12Sealed: null, passphraseSealed: null });

    const envelopeId = await signedEnvelope(A);
    const events = await services.db.select().from(auditEvents).where(eq(auditEvents.envelopeId, envelopeId));
    const sealed = events.find((e) => e.type === 'sealed')!.data as { padesLevel: string; sealIdentity: { kind: string; signerName: string } };
    expect(sealed.padesLevel).toBe('B-LTA');
    expect(sealed.sealIdentity).toMatchObject({ kind: 'portal', signerName: 'b24-sign tests via b24-sign' });
    const v = await verifyJson((await envelopePdf(services, await sealedOf(envelopeId), 'sealed'))!);
    expect(v.verdict).toBe('sealed_unchanged');
    expect(v.padesLevel).toBe('B-LTA');
    expect(v.signatures.find((s) => s.signer?.commonName === 'Test LTV seal')).toMatchObject({ trusted: true, ours: true });
    // The earlier Alpha-sealed document still verifies as ours after the certificate changed.
    expect((await verifyJson(sealedA)).signatures[0]).toMatchObject({ trusted: true, ours: true });
  }, 60_000);

  it('removing the certificate goes back to the platform seal, audited', async () => {
    const bearer = await admin();
    const r = await http.req('DELETE', '/api/settings/certificate', { bearer });
    expect(r.data.removed).toBe(true);
    expect((await http.req('GET', '/api/settings', { bearer })).data.certificate).toBeNull();
    const seal = await portalSeal(services, A);
    expect(seal.identity).toBe('platform');
    const log = await services.db.select().from(settingsChanges).where(and(eq(settingsChanges.portalId, A), eq(settingsChanges.setting, 'sealCertificate')));
    expect(log.at(-1)!.after).toBeNull();
  });
});
