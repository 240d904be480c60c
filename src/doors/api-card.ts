import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { canReadItem, crmBatchCommands, itemUnreadable, mapCrmBatch, type CrmRecord } from '../documents/crm-data.js';
import { crmClientFor } from '../http/crm-client.js';
import { Bitrix24Error, type BatchCommand } from '../bitrix24/types.js';
import { AppError } from '../http/errors.js';
import { jsonBody } from '../http/json-body.js';
import { requireSession, type SessionEnv } from '../http/session.js';
import { getCardEnvelope, listItemEnvelopes, listVersion, loadCardState, rememberLastUsed } from '../card/card-data.js';
import { readDocgenDocuments, fetchDocgenPdf } from '../card/docgen-bridge.js';
import { companyPerson, contactPerson, DEFAULT_SLOTS, emailHiddenIn, findProblems, peopleFrom, personName, proposeFields, proposeRecipients, type PortalUser, type Proposal } from '../card/proposal.js';
import { loadTemplateFields } from '../card/templates-bridge.js';
import { renderEnvelopeListFragment } from './placement-pages.js';
import { resolveBinding } from '../documents/crm-data.js';
import type { RecipientSlot } from '../db/schema/card-prefs.js';
import { requireRole } from '../http/require-role.js';
import { assertSees } from '../http/envelope-access.js';
import { readPortalSettings } from '../settings/store.js';
import type { PortalSettings } from '../db/schema/portals.js';

/** DEFAULT_SLOTS with the company's signer fixed to the portal's default (a Bitrix24 user id), when one is set. */
const withDefaultCompanySigner = (userId: number | undefined): RecipientSlot[] =>
  typeof userId === 'number' ? DEFAULT_SLOTS.map((s) => (s.party === 'company' && s.source === 'responsible' ? { ...s, source: 'user' as const, userId } : s)) : DEFAULT_SLOTS;

/**
 * JSON (and two HTML fragments) the CRM card needs beyond the envelope and template APIs: this item's
 * envelopes with progress, recipients proposed from the CRM, missing-data checks, the item's
 * generated documents, portal users, and the remembered "same as last time" set-up.
 */

const ZItem = z.object({ et: z.coerce.number().int().positive().max(1_000_000), id: z.coerce.number().int().positive() });

const ZSlot = z.object({
  role: z.enum(['signer', 'approver', 'viewer']),
  party: z.enum(['company', 'client']),
  order: z.number().int().min(1).max(100),
  source: z.enum(['responsible', 'contact', 'user', 'manual']),
  userId: z.number().int().positive().optional(),
  name: z.string().max(200).optional(),
  email: z.string().max(320).optional(),
  phone: z.string().max(40).optional(),
});

const ZProposalBody = z.object({
  templateId: z.string().max(100).optional(),
  slots: z.array(ZSlot).max(20).optional(),
  /** CRM bindings of text boxes placed on an uploaded PDF: their current values come back. */
  bindings: z.array(z.string().max(100)).max(100).optional(),
});

const ZLastUsed = z.object({
  kind: z.string().min(1).max(40),
  templateId: z.string().min(1).max(100),
  templateName: z.string().min(1).max(300),
  entityTypeId: z.number().int().positive(),
  slots: z.array(ZSlot).max(20),
  recipientNames: z.array(z.string().max(200)).max(20),
});

function item(c: Context<SessionEnv>) {
  const p = ZItem.safeParse({ et: c.req.param('et'), id: c.req.param('id') });
  if (!p.success) throw new AppError('BAD_REQUEST', 'The CRM item in the path is not valid.');
  return { entityTypeId: p.data.et, entityId: p.data.id };
}

const unreadableItem = () => new AppError('NOT_FOUND', 'No such CRM item, or you may not see it in Bitrix24.');

/**
 * The item in the path, once Bitrix24 has shown it to this user: what the card serves about an item
 * (our envelopes, its documents) is only for people whose CRM rights let them read it. A session
 * without its own token is an administrator's (crm-client.ts), who reads everything.
 */
async function readableItem(c: Context<SessionEnv>) {
  const ref = item(c);
  const { services, session } = c.var;
  if (session.sid && !(await canReadItem(crmClientFor(services, session), ref))) throw unreadableItem();
  return ref;
}

/**
 * The same check for the card's change poll, remembered per session and item for 5 minutes: the poll
 * asks every few seconds, and one Bitrix24 call each time would spend the portal's request budget.
 * The list itself (fetched only when the poll sees a change) still checks every time.
 */
const READABLE_TTL_MS = 5 * 60_000;
const READABLE_MAX = 10_000;
const readableSeen = new Map<string, number>();
async function readableItemRemembered(c: Context<SessionEnv>) {
  const ref = item(c);
  const { services, session } = c.var;
  if (!session.sid) return ref;
  const key = `${session.portalId}|${session.sid}|${ref.entityTypeId}|${ref.entityId}`;
  const now = services.clock.now().getTime();
  const until = readableSeen.get(key);
  if (until !== undefined && until > now) return ref;
  readableSeen.delete(key);
  await readableItem(c);
  // Oldest first in a Map: past the cap, drop the oldest entries.
  while (readableSeen.size >= READABLE_MAX) readableSeen.delete(readableSeen.keys().next().value!);
  readableSeen.set(key, now + READABLE_TTL_MS);
  return ref;
}

/** Further contacts of a deal shown as candidates (the primary one comes with the CRM read). */
const EXTRA_CONTACTS = 4;

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

function toUser(u: CrmRecord): PortalUser {
  return {
    id: Number(u.ID), name: personName(u) || str(u.EMAIL), email: str(u.EMAIL) || null, position: str(u.WORK_POSITION) || null,
    ...(emailHiddenIn(u) ? { emailHidden: true } : {}),
  };
}

/** user.get's ACTIVE is a boolean (b24restdocs api-reference/user/user-get.md); older answers send "Y". */
const isActive = (u: CrmRecord) => u.ACTIVE === true || u.ACTIVE === 'Y' || u.ACTIVE === 'true' || u.ACTIVE === '1' || u.ACTIVE === 1;

export const apiCardRoutes = new Hono<SessionEnv>()
  .use('/api/card/*', requireSession)
  .get('/api/card/items/:et/:id', requireRole('viewer'), async (c) => {
    const { services, session } = c.var;
    return c.json(await loadCardState(services, { portalId: session.portalId, ...(await readableItem(c)) }));
  })
  // The card's change poll: a fingerprint of what the list shows (listVersion), no HTML, no Bitrix24 call.
  .get('/api/card/items/:et/:id/version', requireRole('viewer'), async (c) => {
    const { services, session } = c.var;
    const list = await listItemEnvelopes(services.db, services.config.publicUrl, { portalId: session.portalId, ...(await readableItemRemembered(c)) });
    c.header('Cache-Control', 'no-store');
    return c.json({ version: await listVersion(list) });
  })
  .get('/api/card/items/:et/:id/list', requireRole('viewer'), async (c) => {
    const { services, session } = c.var;
    const list = await listItemEnvelopes(services.db, services.config.publicUrl, { portalId: session.portalId, ...(await readableItem(c)) });
    c.header('Cache-Control', 'no-store');
    return c.html(renderEnvelopeListFragment(session.lang, list));
  })
  .get('/api/card/envelopes/:envelopeId', requireRole('viewer'), async (c) => {
    const { services, session } = c.var;
    await assertSees(c, c.req.param('envelopeId'));
    const env = await getCardEnvelope(services.db, services.config.publicUrl, { portalId: session.portalId, envelopeId: c.req.param('envelopeId') });
    if (!env) throw new AppError('NOT_FOUND', 'No such envelope on this portal.');
    return c.json(env);
  })
  .get('/api/card/envelopes/:envelopeId/fragment', requireRole('viewer'), async (c) => {
    const { services, session } = c.var;
    await assertSees(c, c.req.param('envelopeId'));
    const env = await getCardEnvelope(services.db, services.config.publicUrl, { portalId: session.portalId, envelopeId: c.req.param('envelopeId') });
    if (!env) throw new AppError('NOT_FOUND', 'No such envelope on this portal.');
    c.header('Cache-Control', 'no-store');
    return c.html(renderEnvelopeListFragment(session.lang, [env], { detail: true }));
  })
  .post('/api/card/items/:et/:id/proposal', requireRole('sender'), async (c) => {
    const { services, session } = c.var;
    const ref = item(c);
    const body = await jsonBody(c, ZProposalBody);
    const client = crmClientFor(services, session);
    const template = body.templateId ? await loadTemplateFields(services, { portalId: session.portalId, templateId: body.templateId, lang: session.lang }) : null;
    if (body.templateId && !template) throw new AppError('NOT_FOUND', 'No such template on this portal.');
    // No remembered set-up: the default one, with the portal's default company signer (settings page) in place of the responsible.
    const slots: RecipientSlot[] = (body.slots as RecipientSlot[] | undefined) ?? withDefaultCompanySigner((await readPortalSettings(services.db, session.portalId).catch(() => ({}) as PortalSettings)).companySignerUserId);
    const userIds = [...new Set(slots.filter((s) => s.source === 'user' && s.userId).map((s) => s.userId!))];
    // One batch: the documents module's CRM read, plus a deal's further contacts (by reference to
    // its contact list) and any fixed users the remembered set-up names.
    const cmds: Record<string, BatchCommand> = { ...crmBatchCommands(ref) };
    if (ref.entityTypeId === 2) for (let i = 1; i <= EXTRA_CONTACTS; i++) cmds[`xc${i}`] = ['crm.contact.get', { id: `$result[contactItems][${i}][CONTACT_ID]` }];
    if (userIds.length) cmds.xusers = ['user.get', { FILTER: { ID: userIds } }];
    const res = await client.batch(cmds, { halt: false });
    const data = mapCrmBatch(ref, res);
    if (itemUnreadable(data)) throw unreadableItem();
    // An unresolved reference may come back as some other record: keep only the contacts the deal lists.
    const listed = new Set(data.contactIds.slice(1).map(String));
    const extraContacts = Array.from({ length: EXTRA_CONTACTS }, (_, i) => res.result[`xc${i + 1}`])
      .filter((r): r is CrmRecord => !!r && typeof r === 'object' && listed.has(str((r as CrmRecord).ID)));
    const users: PortalUser[] = Array.isArray(res.result.xusers) ? (res.result.xusers as CrmRecord[]).map(toUser).filter((u) => userIds.includes(u.id)) : [];
    const people = peopleFrom(data, extraContacts);
    const recipients = proposeRecipients(people, slots, users);
    const today = services.clock.now();
    const fields = template ? proposeFields(template.fields, data, { today, lang: session.lang, recipients }) : [];
    const bindingValues: Record<string, string> = {};
    for (const b of body.bindings ?? []) {
      const { value } = resolveBinding(data, b, today);
      bindingValues[b] = value instanceof Date ? value.toISOString().slice(0, 10) : value === undefined || value === null ? '' : String(value);
    }
    const proposal: Proposal & { bindingValues: Record<string, string> } = {
      people,
      recipients,
      fields,
      problems: findProblems(fields, recipients, people),
      crmErrors: Object.values(data.errors),
      itemTitle: str(data.item?.TITLE) || personName(data.item) || null,
      bindingValues,
    };
    return c.json(proposal);
  })
  .get('/api/card/items/:et/:id/documents', requireRole('sender'), async (c) => {
    const { services, session } = c.var;
    const ref = await readableItem(c);
    return c.json({ documents: await readDocgenDocuments(crmClientFor(services, session), ref) });
  })
  .post('/api/card/items/:et/:id/documents/:docId/pdf', requireRole('sender'), async (c) => {
    const { services, session } = c.var;
    const docId = Number(c.req.param('docId'));
    if (!Number.isInteger(docId) || docId <= 0) throw new AppError('BAD_REQUEST', 'Not a document id.');
    const ref = await readableItem(c);
    const r = await fetchDocgenPdf(services, crmClientFor(services, session), { portalId: session.portalId, ...ref, documentId: docId, userId: session.userId });
    if (!r.ready) return c.json({ ready: false, retryAfterSeconds: r.retryAfterSeconds }, 202);
    return c.body(r.pdf as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/pdf', 'Cache-Control': 'no-store', 'X-Upload-Id': r.uploadId });
  })
  .get('/api/card/users', requireRole('sender'), async (c) => {
    const { services, session } = c.var;
    const q = (c.req.query('q') ?? '').trim().slice(0, 100);
    const client = crmClientFor(services, session);
    // One page (50) of active employees is enough for a picker; a search narrows it down. The search
    // text goes in FILTER.FIND and FIND takes no other filter field beside it (b24restdocs
    // api-reference/user/user-search.md), so inactive users are dropped here rather than by ACTIVE.
    const rows = q
      ? await client.call<CrmRecord[]>('user.search', { FILTER: { FIND: q } })
      : await client.call<CrmRecord[]>('user.get', { FILTER: { ACTIVE: true }, SORT: 'LAST_NAME', ORDER: 'ASC' });
    return c.json({ users: (Array.isArray(rows) ? rows : []).filter(isActive).map(toUser).filter((u) => u.id > 0) });
  })
  // Bitrix24's own pickers (selectUser, selectCRM in the page) answer an id and a display name; the
  // e-mail a recipient needs is read here, with the user's own token, for that one record.
  .get('/api/card/users/:userId{[0-9]+}', requireRole('sender'), async (c) => {
    const { services, session } = c.var;
    const id = Number(c.req.param('userId'));
    const rows = await crmClientFor(services, session).call<CrmRecord[]>('user.get', { FILTER: { ID: id } });
    const u = (Array.isArray(rows) ? rows : []).find((r) => Number(r.ID) === id);
    if (!u) throw new AppError('NOT_FOUND', 'No such employee on this portal.');
    return c.json({ user: toUser(u) });
  })
  .get('/api/card/crm/:kind{contact|company}/:id{[0-9]+}', requireRole('sender'), async (c) => {
    const { services, session } = c.var;
    const contact = c.req.param('kind') === 'contact';
    const missing = () => new AppError('NOT_FOUND', `No such ${contact ? 'contact' : 'company'} on this portal.`);
    // The legacy crm.*.get answers a record deleted since it was picked with 400 "Not found", and one
    // outside the user's CRM rights with 400 "Access denied" (no code, b24restdocs
    // api-reference/crm/contacts/crm-contact-get.md): both are "no such record" for this user.
    const r = await crmClientFor(services, session)
      .call<CrmRecord | null>(contact ? 'crm.contact.get' : 'crm.company.get', { id: Number(c.req.param('id')) })
      .catch((e: unknown) => {
        throw e instanceof Bitrix24Error && e.httpStatus === 400 && (e.code === 'NOT_FOUND' || e.code === 'ACCESS_DENIED') ? missing() : e;
      });
    if (!r || typeof r !== 'object' || !r.ID) throw missing();
    return c.json({ person: contact ? contactPerson(r) : companyPerson(r) });
  })
  .put('/api/card/last-used', requireRole('sender'), async (c) => {
    const { services, session } = c.var;
    const b = await jsonBody(c, ZLastUsed);
    await rememberLastUsed(services.db, {
      portalId: session.portalId,
      kind: b.kind,
      templateId: b.templateId,
      templateName: b.templateName,
      entityTypeId: b.entityTypeId,
      slots: b.slots as RecipientSlot[],
      recipientNames: b.recipientNames,
      userId: session.userId,
      at: services.clock.now(),
    });
    return c.body(null, 204);
  });
