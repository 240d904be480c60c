import { Hono, type Context } from 'hono';
import { loadBlob } from '../blobs/blobs.js';
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { envelopes, type Envelope } from '../db/schema/envelopes.js';
import type { Recipient } from '../db/schema/recipients.js';
import { crmClientFor } from '../http/crm-client.js';
import { AppError } from '../http/errors.js';
import { jsonBody } from '../http/json-body.js';
import { requireSession, type SessionEnv } from '../http/session.js';
import { listAudit, verifyChainRows, type Actor } from '../signing/audit.js';
import { buildEvidencePackage } from '../signing/evidence.js';
import {
  changeRecipientEmail,
  createEnvelope,
  getEnvelope,
  listEnvelopes,
  resendInvitation,
  sendEnvelope,
  setRecipients,
  voidEnvelope,
  ZField,
  ZRecipientInput,
  ZTimers,
} from '../signing/envelopes.js';
import { createEnvelopeFromTemplate } from '../signing/from-template.js';
import { accessOf, requireRole } from '../http/require-role.js';
import { assertItemReadable, assertManages, assertSees } from '../http/envelope-access.js';
import { readableItems, refKey } from '../roles/envelope-access.js';
import { seesWithoutCrm } from '../roles/policy.js';
import { requestMeta } from './sign.js';
import { refuseOverlaps } from '../documents/field-overlap.js';
import { adoptStarter, starterIdOf } from '../card/templates-bridge.js';

/** Session-authenticated JSON for CRM users; every call is scoped to the session's portal. */

const ZCrm = z.object({ entityTypeId: z.number().int().positive(), entityId: z.number().int().positive() });
const ZCreate = z
  .object({
    title: z.string().trim().min(1).max(300).optional(),
    lang: z.enum(['en', 'it', 'ru']).optional(),
    crm: ZCrm.optional(),
    templateId: z.string().optional(),
    /** With a template: the sender's edits over the CRM-filled values. */
    values: z.record(z.string(), z.string().max(10_000)).optional(),
    /** An uploaded PDF with fields placed on it (base64), when not using a template. */
    pdfBase64: z.string().max(40_000_000).optional(),
    fields: z.array(ZField).max(500).optional(),
    recipients: z.array(ZRecipientInput).max(50).optional(),
    timers: ZTimers.optional(),
    send: z.boolean().default(false),
    /** The sender saw the data warnings (an amount of 0, a date before the document's) and sends anyway. */
    confirmWarnings: z.boolean().default(false),
  })
  .refine((b) => Boolean(b.templateId) !== Boolean(b.pdfBase64), { message: 'give either templateId (with crm) or pdfBase64' });

const actorOf = (c: Context<SessionEnv>): Actor => {
  const m = requestMeta(c);
  return { actor: `user:${c.var.session.userId}`, ip: m.ip, userAgent: m.userAgent };
};

/** What the sender sees about a recipient: never OTP state, token versions or images. */
export function publicRecipient(r: Recipient) {
  return {
    id: r.id,
    role: r.role,
    party: r.party,
    order: r.signOrder,
    name: r.name,
    email: r.email,
    phone: r.phone,
    b24UserId: r.b24UserId,
    crmContactId: r.crmContactId,
    status: r.status,
    invitedAt: r.invitedAt,
    openedAt: r.openedAt,
    doneAt: r.doneAt,
    declineReason: r.declineReason,
    signatureMethod: r.signatureMethod,
  };
}

export function publicEnvelope(e: Envelope) {
  return {
    id: e.id,
    title: e.title,
    lang: e.lang,
    status: e.status,
    publicId: e.publicId,
    crm: e.crmEntityTypeId && e.crmEntityId ? { entityTypeId: e.crmEntityTypeId, entityId: e.crmEntityId } : null,
    templateId: e.templateId,
    fields: e.fields,
    timers: e.timers,
    sourceSha256: e.sourceSha256,
    sealedSha256: e.sealedSha256,
    createdAt: e.createdAt,
    sentAt: e.sentAt,
    expiresAt: e.expiresAt,
    completedAt: e.completedAt,
    sealedAt: e.sealedAt,
    endedAt: e.endedAt,
    endReason: e.endReason,
    remindersSent: e.remindersSent,
  };
}

async function full(c: Context<SessionEnv>, envelopeId: string) {
  const { envelope, recipients } = await getEnvelope(c.var.services.db, { portalId: c.var.session.portalId, envelopeId });
  return { envelope: publicEnvelope(envelope), recipients: recipients.map(publicRecipient) };
}

export const apiEnvelopeRoutes = new Hono<SessionEnv>()
  .use('/api/envelopes', requireSession)
  .use('/api/envelopes/*', requireSession)
  // Roles (src/roles/policy.ts): every route names the least role it needs; per-envelope rules below.
  .get('/api/envelopes', requireRole('viewer'), async (c) => {
    const q = c.req.query();
    const crm = q.entityTypeId && q.entityId ? ZCrm.parse({ entityTypeId: Number(q.entityTypeId), entityId: Number(q.entityId) }) : undefined;
    if (crm) await assertItemReadable(c, crm, 'NOT_VISIBLE');
    const all = await listEnvelopes(c.var.services.db, { portalId: c.var.session.portalId, crm, limit: q.limit ? Number(q.limit) : undefined });
    let list = all;
    if (!crm && all.length) {
      // Without an item: what the person's role shows them (theirs, their people's, items they can open).
      const a = await accessOf(c);
      const owners = new Map(
        (await c.var.services.db.select({ id: envelopes.id, by: envelopes.createdByUserId }).from(envelopes).where(and(eq(envelopes.portalId, c.var.session.portalId), inArray(envelopes.id, all.map((e) => e.id))))).map((r) => [r.id, r.by]),
      );
      const facts = (e: (typeof all)[number]) => ({ createdByUserId: owners.get(e.id) ?? null, crmEntityTypeId: e.crmEntityTypeId, crmEntityId: e.crmEntityId });
      const refs = all.filter((e) => !seesWithoutCrm(a, facts(e)) && e.crmEntityTypeId && e.crmEntityId).map((e) => ({ entityTypeId: e.crmEntityTypeId!, entityId: e.crmEntityId! }));
      const readable = await readableItems(c.var.services, c.var.session, refs);
      list = all.filter((e) => seesWithoutCrm(a, facts(e)) || (e.crmEntityTypeId && e.crmEntityId && readable.has(refKey({ entityTypeId: e.crmEntityTypeId, entityId: e.crmEntityId }))));
    }
    return c.json({ envelopes: list.map((e) => ({ ...e, recipients: e.recipients.map(publicRecipient) })) });
  })
  .post('/api/envelopes', requireRole('sender'), async (c) => {
    const b = await jsonBody(c, ZCreate);
    const { services, session } = c.var;
    if (b.crm) await assertItemReadable(c, b.crm);
    const who = actorOf(c);
    let env: Envelope;
    if (b.templateId) {
      if (!b.crm) throw new AppError('VALIDATION_FAILED', 'crm: a template needs the CRM item to fill it from.');
      // A starter chosen in the card becomes the portal's template only now, when a document is sent from it.
      const layout = starterIdOf(b.templateId);
      const templateId = layout === null ? b.templateId : (await adoptStarter(services, { portalId: session.portalId, userId: session.userId, layout, lang: b.lang ?? session.lang })).id;
      env = await createEnvelopeFromTemplate(services, { portalId: session.portalId, userId: session.userId, templateId, crm: b.crm, title: b.title, lang: b.lang ?? session.lang, values: b.values, recipients: b.recipients, timers: b.timers, who, crmClient: crmClientFor(services, session), confirmWarnings: b.confirmWarnings });
    } else {
      // Before the PDF is even decoded (createEnvelope checks again, for every other path).
      refuseOverlaps(b.fields ?? [], b.lang ?? session.lang);
      const pdf = new Uint8Array(Buffer.from(b.pdfBase64!, 'base64'));
      if (pdf.length > services.config.UPLOAD_MAX_BYTES) throw new AppError('PDF_TOO_LARGE', 'The PDF is too large.');
      if (!Buffer.from(pdf.subarray(0, 1024)).toString('latin1').includes('%PDF-')) throw new AppError('PDF_INVALID', 'This is not a PDF.');
      env = await createEnvelope(services, { portalId: session.portalId, userId: session.userId, title: b.title ?? 'Document', lang: b.lang ?? session.lang, pdf, fields: (b.fields ?? []) as never, crm: b.crm, recipients: b.recipients, timers: b.timers, who });
    }
    if (b.send) await sendEnvelope(services, { portalId: session.portalId, envelopeId: env.id, who });
    return c.json(await full(c, env.id), 201);
  })
  .get('/api/envelopes/:id', async (c) => {
    await assertSees(c, c.req.param('id'));
    return c.json(await full(c, c.req.param('id')));
  })
  .put('/api/envelopes/:id/recipients', async (c) => {
    await assertManages(c, c.req.param('id'));
    const b = await jsonBody(c, z.object({ recipients: z.array(ZRecipientInput).min(1).max(50) }));
    await setRecipients(c.var.services, { portalId: c.var.session.portalId, envelopeId: c.req.param('id'), recipients: b.recipients, who: actorOf(c) });
    return c.json(await full(c, c.req.param('id')));
  })
  .post('/api/envelopes/:id/send', async (c) => {
    const { envelope } = await getEnvelope(c.var.services.db, { portalId: c.var.session.portalId, envelopeId: c.req.param('id') });
    if (envelope.status === 'draft') refuseOverlaps(envelope.fields, c.var.session.lang);
    await assertManages(c, c.req.param('id'));
    await sendEnvelope(c.var.services, { portalId: c.var.session.portalId, envelopeId: c.req.param('id'), who: actorOf(c) });
    return c.json(await full(c, c.req.param('id')));
  })
  .post('/api/envelopes/:id/recipients/:rid/resend', async (c) => {
    await assertManages(c, c.req.param('id'));
    await resendInvitation(c.var.services, { portalId: c.var.session.portalId, envelopeId: c.req.param('id'), recipientId: c.req.param('rid'), who: actorOf(c) });
    return c.json(await full(c, c.req.param('id')));
  })
  .post('/api/envelopes/:id/recipients/:rid/email', async (c) => {
    await assertManages(c, c.req.param('id'));
    const b = await jsonBody(c, z.object({ email: z.email().max(320) }));
    await changeRecipientEmail(c.var.services, { portalId: c.var.session.portalId, envelopeId: c.req.param('id'), recipientId: c.req.param('rid'), email: b.email, who: actorOf(c) });
    return c.json(await full(c, c.req.param('id')));
  })
  .post('/api/envelopes/:id/void', async (c) => {
    await assertManages(c, c.req.param('id'));
    const b = await jsonBody(c, z.object({ reason: z.string().max(2000) }));
    await voidEnvelope(c.var.services, { portalId: c.var.session.portalId, envelopeId: c.req.param('id'), reason: b.reason, who: actorOf(c) });
    return c.json(await full(c, c.req.param('id')));
  })
  .get('/api/envelopes/:id/audit', async (c) => {
    await assertSees(c, c.req.param('id'));
    const { envelope } = await getEnvelope(c.var.services.db, { portalId: c.var.session.portalId, envelopeId: c.req.param('id') });
    const rows = await listAudit(c.var.services.db, { portalId: c.var.session.portalId, envelopeId: envelope.id });
    const chain = await verifyChainRows(rows, { head: envelope.auditHead, count: envelope.auditCount });
    return c.json({ chain, events: rows.map(({ portalId: _p, ...r }) => r) });
  })
  .get('/api/envelopes/:id/sealed.pdf', async (c) => {
    const { services, session } = c.var;
    await assertSees(c, c.req.param('id'));
    const [row] = await services.db
      .select({ key: envelopes.sealedPdfKey, publicId: envelopes.publicId })
      .from(envelopes)
      .where(and(eq(envelopes.portalId, session.portalId), eq(envelopes.id, c.req.param('id'))));
    if (!row) throw new AppError('NOT_FOUND', 'No such envelope.');
    if (!row.key) throw new AppError('CONFLICT', 'The envelope has no sealed PDF yet.');
    const pdf = await loadBlob(services, { portalId: session.portalId, key: row.key });
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/pdf', 'Content-Disposition': `attachment; filename="${row.publicId}.pdf"` });
  })
  /** The evidence package (src/signing/evidence.ts): sealed PDF, original, hashes, audit chain, TSA tokens. */
  .get('/api/envelopes/:id/evidence.zip', async (c) => {
    await assertSees(c, c.req.param('id'));
    const { filename, zip } = await buildEvidencePackage(c.var.services, { portalId: c.var.session.portalId, envelopeId: c.req.param('id') });
    return c.body(zip as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="${filename}"` });
  });
