import { and, eq } from 'drizzle-orm';
import { reachedInPortal } from './recipient-reach.js';
import { saveBlob } from '../blobs/blobs.js';
import type { PDFDocument, PDFImage } from 'pdf-lib';
import { drawImageInBox, userBox } from '../documents/visual-space.js';
import { z } from 'zod';
import type { Envelope } from '../db/schema/envelopes.js';
import { envelopes } from '../db/schema/envelopes.js';
import { fieldValues } from '../db/schema/field-values.js';
import { messages } from '../db/schema/messages.js';
import type { Recipient } from '../db/schema/recipients.js';
import type { FieldDef } from '../documents/fields.js';
import { renderDocument } from '../documents/render.js';
import { sealPdf } from '../documents/seal/sealer.js';
import { stampAndAppendCertificate, type CompletionEvent, type CompletionParty } from '../documents/stamp.js';
import { actorLabel, inPortalLine, stampLang } from '../documents/stamp-i18n.js';
import { recordSealedDocument, retentionUntil } from '../documents/verify/sealed-documents.js';
import { defineJob, JobPermanentFailure } from '../jobs/queue.js';
import { deliver } from '../notify/deliver.js';
import type { Services } from '../services.js';
import { appendAudit, listAudit, SYSTEM, verifyAuditChain } from './audit.js';
import { fieldOwner } from './envelopes.js';
import { openFinalSource } from './seal-source.js';
import { imageKind } from './flow.js';
import { findEnvelope, isDone, listRecipients, lockEnvelope } from './internal.js';
import { issueFinalToken } from './tokens.js';
import { queueLongTermRetry, withLongTermEvidence } from './long-term.js';
import { portalSeal } from '../settings/portal-sealer.js';
import { initialsOf } from './initials.js';

/**
 * Completion: once every required recipient is done, one job renders the recipients' values and
 * signatures into the PDF they saw, stamps every page and appends the certificate, seals once, and
 * stores the sealed bytes and their SHA-256 (on the envelope and in sealed_documents). Then every
 * party gets a permanent link.
 *
 * Idempotent: the seal is committed under the envelope lock only if none is stored yet, so two runs
 * (or a rerun after a crash before the commit) leave exactly one sealed document; the e-mails are
 * sent only to parties who have no `completed` message yet.
 */


/** Audit events the certificate lists; their names are printed in the document's language (stamp-i18n.ts). */
const CERTIFICATE_EVENTS: ReadonlySet<string> = new Set(['sent', 'opened', 'code_verified', 'signed', 'approved', 'completed']);

async function embed(doc: PDFDocument, bytes: Uint8Array): Promise<PDFImage> {
  return imageKind(bytes) === 'jpeg' ? doc.embedJpg(bytes) : doc.embedPng(bytes);
}

/** The final PDF, not yet saved: recipient values, marks, stamps and the certificate page. */
export async function buildFinalDocument(services: Services, env: Envelope, rs: Recipient[], auditHead: string, opts: { development?: boolean } = {}) {
  const rows = await services.db.select().from(fieldValues).where(and(eq(fieldValues.portalId, env.portalId), eq(fieldValues.envelopeId, env.id)));
  const fields: FieldDef[] = [];
  const values: Record<string, string> = {};
  const images: { key: string; bytes: Uint8Array }[] = [];
  for (const f of env.fields) {
    if (f.party === 'sender') continue; // already in the source PDF
    const owner = fieldOwner(f, rs);
    fields.push({ key: f.key, type: f.type, label: f.label, party: f.party, required: f.required, page: f.page, box: f.box });
    if (f.type === 'signature' || f.type === 'initials') {
      if (owner?.signatureMethod === 'typed' && owner.signatureText) values[f.key] = f.type === 'initials' ? initialsOf(owner.signatureText) : owner.signatureText;
      else if (owner?.signatureImage) images.push({ key: f.key, bytes: owner.signatureImage });
    } else if (f.type === 'stamp') {
      if (owner?.stampImage) images.push({ key: f.key, bytes: owner.stampImage });
    } else {
      const v = rows.find((r) => r.fieldKey === f.key)?.value;
      if (v !== undefined) values[f.key] = v;
    }
  }
  // Uploads and document-generator PDFs are edited incrementally (seal-source.ts); built-in layouts are saved once.
  const source = await openFinalSource(services, env);
  const rendered = await renderDocument({ pdf: source.pdf, fields, values, lang: env.lang });
  const doc = rendered.doc;
  for (const img of images) {
    const at = rendered.placements.find((p) => p.key === img.key);
    // Placements are displayed boxes (documents/page-space.ts): the image stands upright as the page is shown.
    if (at) drawImageInBox(doc.getPage(at.page), await embed(doc, img.bytes), at.box);
  }

  const nameOf = (id: string | null) => rs.find((r) => r.id === id)?.name;
  const audit = await listAudit(services.db, { portalId: env.portalId, envelopeId: env.id });
  // Signed inside Bitrix24 (src/signing/in-portal.ts): the verified user and portal, as the event recorded them.
  const identityOf = (r: Recipient) => {
    const e = audit.findLast((x) => x.recipientId === r.id && (x.type === 'signed' || x.type === 'approved'));
    return e ? inPortalLine(stampLang(env.lang), e.type, (e.data as Record<string, unknown> | null)?.inPortal) : undefined;
  };
  const parties: CompletionParty[] = rs
    .filter((r) => isDone(r))
    .map((r) => ({
      name: r.name,
      role: r.role,
      party: r.party,
      method: r.role === 'approver' ? 'approved' : (r.signatureMethod ?? 'typed'),
      signedAt: r.doneAt ?? services.clock.now(),
      timeZone: 'UTC',
      ip: r.signedIp ?? '',
      userAgent: r.signedUserAgent ?? undefined,
      email: r.email ?? undefined,
      ...(identityOf(r) ? { identity: identityOf(r) } : {}),
    }));
  const events: CompletionEvent[] = audit
    .filter((e) => CERTIFICATE_EVENTS.has(e.type))
    .map((e) => ({ at: e.at, type: e.type, actor: nameOf(e.recipientId) ?? actorLabel(stampLang(env.lang), e.actor), ip: e.ip ?? undefined }));
  await stampAndAppendCertificate(doc, {
    publicId: env.publicId,
    verifyUrl: `${services.config.publicUrl}/v/${env.publicId}`,
    lang: env.lang,
    title: env.title,
    parties,
    events,
    originalSha256: env.sourceSha256 ?? '',
    auditHead,
    development: opts.development ?? services.sealer.development,
    // The QR code must not land on a signature or initials box, nor on any other field.
    keepClear: rendered.placements.map((p) => ({ page: p.page, box: userBox(doc.getPage(p.page), p.box) })),
  });
  return { doc, incremental: source.incremental };
}

export async function runCompletion(services: Services, p: { portalId: string; envelopeId: string }): Promise<{ sealedNow: boolean; sha256: string; notified: number }> {
  let env = await findEnvelope(services.db, p.portalId, p.envelopeId);
  if (env.status !== 'completed') throw new JobPermanentFailure(`envelope ${env.id} is ${env.status}, not completed`);
  const rs = await listRecipients(services.db, p.portalId, p.envelopeId);
  let sealedNow = false;

  if (!env.sealedSha256) {
    const verdict = await verifyAuditChain(services.db, p);
    // Never seal over a broken record: the certificate would vouch for tampered history.
    if (!verdict.ok) throw new JobPermanentFailure(`audit chain of ${env.id} is broken at seq ${verdict.firstBadSeq}`);
    // The portal's own seal certificate and TSA when its admin set them (src/settings/portal-sealer.ts), else the platform's.
    const seal = await portalSeal(services, p.portalId);
    const sealer = seal.sealer;
    const { doc, incremental } = await buildFinalDocument(services, env, rs, verdict.head, { development: sealer.development });
    const now = services.clock.now();
    // With a TSA: B-T, then B-LT/B-LTA evidence; if that step fails the B-T seal is kept and retried (long-term.ts).
    const sealed = await withLongTermEvidence(sealer, await sealPdf(doc, sealer, { signingTime: now, incremental, ...(seal.reason ? { reason: seal.reason } : {}) }), services.logger);
    // Stored before the transaction that names it; a run that loses the race below leaves an orphan the sweep removes.
    const sealedPdfKey = await saveBlob(services, { portalId: p.portalId, kind: 'sealed', bytes: sealed.bytes, contentType: 'application/pdf' });
    env = await services.db.transaction(async (tx) => {
      const locked = await lockEnvelope(tx, p.portalId, p.envelopeId);
      if (locked.sealedSha256) return locked; // another run got there first: keep its document
      const [u] = await tx
        .update(envelopes)
        .set({ sealedPdfKey, sealedSha256: sealed.sha256, sealedAt: now })
        .where(and(eq(envelopes.portalId, p.portalId), eq(envelopes.id, p.envelopeId)))
        .returning();
      await recordSealedDocument(tx, {
        id: services.ids.newId('doc'),
        portalId: p.portalId,
        envelopeId: p.envelopeId,
        publicId: locked.publicId,
        sha256: sealed.sha256,
        // Appended to the source: its bytes are a prefix of the sealed file (seal-source.ts).
        originalSha256: incremental ? (locked.sourceSha256 ?? undefined) : undefined,
        title: locked.title,
        lang: locked.lang,
        parties: rs.filter(isDone).map((r) => ({ name: r.name, role: r.role, party: r.party, signedAt: r.doneAt?.toISOString() ?? null })),
        signerName: sealer.signerName,
        development: sealer.development,
        timestamped: sealer.timestamped,
        sealedAt: now,
        retentionUntil: retentionUntil(now, services.config.RETENTION_YEARS),
        sizeBytes: sealed.bytes.length,
      });
      await appendAudit(tx, {
        portalId: p.portalId,
        envelopeId: p.envelopeId,
        type: 'sealed',
        who: SYSTEM,
        at: now,
        data: {
          sha256: sealed.sha256,
          bytes: sealed.bytes.length,
          development: sealer.development,
          padesLevel: sealed.padesLevel,
          sealIdentity: { kind: seal.identity, signerName: sealer.signerName, ...(seal.certificateId ? { certificateId: seal.certificateId } : {}), ...(seal.problem ? { portalCertificateProblem: seal.problem } : {}) },
          ...(sealed.sources ? { revocationSources: sealed.sources } : {}),
          ...(sealed.deferred ? { longTermDeferred: sealed.deferred } : {}),
          ...(sealed.refused ? { longTermRefused: sealed.refused } : {}),
        },
      });
      if (sealed.deferred) await queueLongTermRetry(tx, { portalId: p.portalId, envelopeId: p.envelopeId, fromSha256: sealed.sha256 });
      sealedNow = true;
      return u!;
    });
  }

  // Every party, viewers included, gets a permanent link; a rerun skips those already told.
  const sent = await services.db
    .select({ recipientId: messages.recipientId })
    .from(messages)
    .where(and(eq(messages.portalId, p.portalId), eq(messages.envelopeId, p.envelopeId), eq(messages.template, 'completed')));
  const told = new Set(sent.map((m) => m.recipientId));
  let notified = 0;
  for (const r of rs) {
    if (told.has(r.id)) continue;
    const token = await issueFinalToken(services.config.sessionSecret, { portalId: p.portalId, envelopeId: p.envelopeId, recipientId: r.id }, services.clock.now());
    const sentNow = await deliver(services, {
      portalId: p.portalId,
      envelopeId: p.envelopeId,
      recipientId: r.id,
      lang: env.lang,
      template: 'completed',
      vars: { recipientName: r.name, title: env.title, link: `${services.config.publicUrl}/s/final/${token}`, evidenceLink: `${services.config.publicUrl}/s/final/${token}/evidence.zip` },
      email: r.email ?? undefined,
      b24UserId: reachedInPortal(r) ? r.b24UserId : null,
    });
    // A parallel run may have claimed this recipient's message between our read and our insert.
    if (sentNow.length) notified++;
  }
  if (notified) {
    await services.db.transaction(async (tx) => {
      await lockEnvelope(tx, p.portalId, p.envelopeId);
      await appendAudit(tx, { portalId: p.portalId, envelopeId: p.envelopeId, type: 'final_sent', who: SYSTEM, at: services.clock.now(), data: { recipients: notified } });
    });
  }
  return { sealedNow, sha256: env.sealedSha256!, notified };
}

export const completeJob = defineJob('signing.complete', z.object({ envelopeId: z.string() }), async (payload, job, ctx) => {
  await runCompletion(ctx.services, { portalId: job.portalId!, envelopeId: payload.envelopeId });
});
