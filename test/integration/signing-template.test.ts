import { spawnSync } from 'node:child_process';
import { envelopePdf } from '../helpers/blobs.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { handlersFrom } from '../../src/jobs/queue.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { SIGNING_JOBS } from '../../src/signing/jobs.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { storeEmulatedPortal } from '../helpers/emulated-portal.js';
import { fromPeer } from '../helpers/peer.js';
import { createTestServices } from '../helpers/services.js';
import { client, codeFromBody, lastMessage, sessionFor, tokenFromBody } from '../helpers/signing.js';

const APP = { clientId: 'local.b24sign.signing', clientSecret: 'emulator-signing-secret' };

/**
 * An envelope created through the API from a starter template and an emulated deal: CRM data read in
 * one batch, the company signer (a portal user) invited by e-mail and in the Bitrix24 messenger, both
 * parties sign, the job seals it, pdfsig accepts it.
 */
describe('envelope from a template and a CRM deal', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  let emu: StartedEmulator;
  let portalId: string;
  let memberId: string;

  beforeAll(async () => {
    emu = await startEmulator();
    services = await createTestServices({ env: { BITRIX24_CLIENT_ID: APP.clientId, BITRIX24_CLIENT_SECRET: APP.clientSecret } });
    const info = await emu.control.createPortal({ app: APP });
    memberId = info.memberId;
    portalId = await storeEmulatedPortal(services.db, info, { settings: { reminderFirstDays: 2 } });
  });
  afterAll(async () => {
    emu.close();
    await services.testDb.close();
  });

  it('creates, sends, signs and seals an Italian sales contract for deal 2', async () => {
    const http = client(services);
    const bearer = await sessionFor(services, portalId, 1);
    const before = emu.control.calls({ memberId, includeBatchParts: false }).length;
    const res = await http.req('POST', '/api/envelopes', {
      bearer,
      body: {
        templateId: 'sales-contract',
        crm: { entityTypeId: 2, entityId: 2 },
        lang: 'it',
        values: { special_terms: 'Consegna franco magazzino.' },
        // Deal 2 closes before today's contract date: a data warning the sender confirms.
        confirmWarnings: true,
        recipients: [
          { party: 'company', name: 'Mario Rossi', email: 'user9@example.com', b24UserId: 9 },
          { party: 'client', name: 'Laura Bianchi', email: 'laura@cliente.example' },
        ],
        send: true,
      },
    });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    const crmCalls = emu.control.calls({ memberId, includeBatchParts: false }).slice(before).filter((c) => c.method !== 'im.notify.personal.add');
    expect(crmCalls.map((c) => c.method)).toEqual(['batch']);
    const { envelope, recipients: rs } = res.data;
    expect(envelope.timers.reminderFirstDays).toBe(2); // portal setting
    expect(envelope.fields.map((f: { key: string }) => f.key)).toEqual(expect.arrayContaining(['company_signature', 'client_signature']));
    const sig = envelope.fields.find((f: { key: string }) => f.key === 'client_signature');
    expect(sig.box.w).toBeGreaterThan(20);

    const [row] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelope.id));
    const text = spawnSync('pdftotext', ['-layout', '-', '-'], { input: await envelopePdf(services, row!, 'source'), encoding: 'utf8' }).stdout;
    expect(text).toContain('Consegna franco magazzino.');
    // The company signer is a portal user: the messenger gets the invitation too, from its notify.deliver job.
    await createJobRunner({ db: services.db, handlers: handlersFrom(SIGNING_JOBS as never), services, logger: services.logger, clock: services.clock, concurrency: 1, pollMs: 20, leaseMs: 60_000, workerId: 'tpl-im' }).runUntilIdle();
    const im = emu.control.notifications(memberId);
    expect(im.map((n) => n.toUserId)).toEqual(['9']);
    // An employee's messenger invitation opens in-portal signing (REST_APP_URI, params[sign]) as a named link.
    expect(im[0]!.message).toMatch(/\[URL=https:\/\/[^\]]+params%5Bsign%5D=env_[^\]]+\]Esamina e firma\[\/URL\]/);

    const signAs = async (rid: string, signature: Record<string, unknown>) => {
      const token = tokenFromBody((await lastMessage(services, rid, 'invitation'))!.body)!;
      await http.req('POST', `/api/sign/${token}/code`);
      const code = codeFromBody((await lastMessage(services, rid, 'code'))!.body);
      const { actionToken } = (await http.req('POST', `/api/sign/${token}/verify`, { body: { code } })).data;
      const r = await http.req('POST', `/api/sign/${token}/sign`, { body: { acceptTerms: true, values: {}, signature }, headers: { 'x-sign-action': actionToken } });
      expect(r.status, JSON.stringify(r.data)).toBe(200);
    };
    await signAs(rs[0].id, { method: 'typed', text: 'Mario Rossi' });
    await signAs(rs[1].id, { method: 'typed', text: 'Laura Bianchi' });

    const runner = createJobRunner({ db: services.db, handlers: handlersFrom(SIGNING_JOBS as never), services, logger: services.logger, clock: services.clock, concurrency: 1, pollMs: 20, leaseMs: 60_000, workerId: 'tpl' });
    await runner.runUntilIdle();
    const [done] = await services.db.select().from(envelopes).where(eq(envelopes.id, envelope.id));
    expect(done!.sealedSha256).toBeTruthy();
    const file = join(mkdtempSync(join(tmpdir(), 'b24-tpl-')), 'final.pdf');
    const sealedPdf = (await envelopePdf(services, done!, 'sealed'))!;
    writeFileSync(file, sealedPdf);
    const out = spawnSync('pdfsig', [file], { encoding: 'utf8' }).stdout;
    expect(out).toContain('Signature is Valid');
    const finalText = spawnSync('pdftotext', ['-layout', '-', '-'], { input: sealedPdf, encoding: 'utf8' }).stdout;
    expect(finalText).toContain('Laura Bianchi');
    expect(finalText).toContain(done!.publicId);
  });

  it('an uploaded template keeps its bytes: the sender values are appended to it as an incremental update', async () => {
    const http = client(services);
    const bearer = await sessionFor(services, portalId, 1);
    const uploaded = new Uint8Array(readFileSync('test/fixtures/pdfs/qpdf--object-stream.pdf'));
    const up = await http.app.request('/api/templates/uploads', { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/pdf' }, body: uploaded }, fromPeer('203.0.113.7'));
    expect(up.status).toBe(201);
    const { file } = (await up.json()) as { file: { id: string } };
    const fields = [
      { key: 'deal_title', type: 'text', party: 'sender', binding: 'item.TITLE', page: 0, box: { x: 50, y: 50, w: 300, h: 16 } },
      { key: 'client_signature', type: 'signature', party: 'client', required: true, page: 0, box: { x: 50, y: 80, w: 150, h: 40 } },
    ];
    const tpl = await http.req('POST', '/api/templates', { bearer, body: { name: 'Uploaded', kind: 'contract', language: 'en', source: { type: 'upload', fileId: file.id }, fields } });
    expect(tpl.status, JSON.stringify(tpl.data)).toBe(201);
    const res = await http.req('POST', '/api/envelopes', {
      bearer,
      body: { templateId: tpl.data.template.id, crm: { entityTypeId: 2, entityId: 2 }, lang: 'en', recipients: [{ party: 'client', name: 'Laura Bianchi', email: 'laura@cliente.example' }] },
    });
    expect(res.status, JSON.stringify(res.data)).toBe(201);
    const [env] = await services.db.select().from(envelopes).where(eq(envelopes.id, res.data.envelope.id));
    const source = (await envelopePdf(services, env!, 'source'))!;
    expect(source.length).toBeGreaterThan(uploaded.length);
    expect(Buffer.from(source.subarray(0, uploaded.length)).equals(Buffer.from(uploaded))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'b24-tpl-'));
    writeFileSync(join(dir, 'source.pdf'), source);
    expect(spawnSync('qpdf', ['--check', join(dir, 'source.pdf')], { encoding: 'utf8' }).stdout).toContain('No syntax or stream encoding errors found');
  });
});
