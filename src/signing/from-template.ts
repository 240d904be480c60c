import type { Envelope, EnvelopeField, EnvelopeLang } from '../db/schema/envelopes.js';
import { getTemplate, markTemplateUsed } from '../documents/templates/repo.js';
import { renderInputFor } from '../documents/templates/prepare.js';
import type { Bitrix24Client } from '../bitrix24/types.js';
import { crmBatchCommands, itemUnreadable, mapCrmBatch, valuesFromCrm } from '../documents/crm-data.js';
import type { BatchCommand } from '../bitrix24/types.js';
import { toCanonical, valuesPrintedAtSend, type FieldDef, type FieldValues } from '../documents/fields.js';
import { renderDocument } from '../documents/render.js';
import { withCompanySigner } from '../documents/signer-binding.js';
import { checkDocumentData } from '../documents/data-checks.js';
import { starterLayout } from '../documents/templates/starters/index.js';
import type { Layout } from '../documents/templates/layout.js';
import { AppError } from '../lib/app-error.js';
import { genderOf } from '../i18n/gender.js';
import type { Services } from '../services.js';
import type { Actor } from './audit.js';
import { createEnvelope, type RecipientInput } from './envelopes.js';
import { openExisting } from './seal-source.js';
import { saveIncremental } from '../documents/seal/incremental.js';

export interface FromTemplateInput {
  portalId: string;
  userId?: number;
  /** A portal template id (`tpl_…`) or a starter layout id (`sales-contract`, `invoice`, `nda`). */
  templateId: string;
  crm: { entityTypeId: number; entityId: number };
  title?: string;
  lang: EnvelopeLang;
  /** The sender's edits over the CRM-filled values, by field key. */
  values?: Record<string, string>;
  recipients?: RecipientInput[];
  timers?: { reminderFirstDays?: number; reminderEveryDays?: number; reminderMax?: number; expiryDays?: number };
  who: Actor;
  /** Who reads the CRM: the sender's own client when a person sends; the app's token otherwise. */
  crmClient?: Bitrix24Client;
  /** The sender has seen the data warnings (checkDocumentData) and sends anyway. */
  confirmWarnings?: boolean;
}

interface Source {
  name: string;
  lang: EnvelopeLang;
  fields: FieldDef[];
  layout?: Layout;
  pdf?: Uint8Array;
}

async function loadSource(services: Services, p: FromTemplateInput): Promise<Source> {
  const starter = starterLayout(p.templateId, p.lang);
  if (starter) return { name: starter.name, lang: p.lang, fields: starter.fields, layout: starter };
  const t = await getTemplate(services.db, { portalId: p.portalId, id: p.templateId });
  const input = await renderInputFor(services, t, { lang: t.language });
  const layout = input.layout ? { ...input.layout, fields: t.fields.length ? t.fields : input.layout.fields } : undefined;
  return { name: t.name, lang: t.language, fields: layout?.fields ?? t.fields, layout, pdf: input.pdf instanceof Uint8Array ? input.pdf : undefined };
}

/** Nothing is written while a required field is empty, or while a warning is not confirmed. */
function refuseBadData(fields: FieldDef[], values: FieldValues, confirmed = false): void {
  const { missing, warnings } = checkDocumentData(fields, values);
  if (missing.length) {
    throw new AppError('VALIDATION_FAILED', `Fill in ${missing.map((m) => `"${m.label}"`).join(', ')} before sending.`, { field: missing[0]!.field, issues: missing });
  }
  if (warnings.length && !confirmed) {
    throw new AppError('DATA_WARNINGS', 'Some of the data looks wrong: check it, then send again with confirmWarnings: true.', { warnings });
  }
}

/**
 * Template + CRM item → envelope: CRM data read in one batch, sender values rendered into the PDF
 * recipients will see, recipient fields frozen with their page, box and pre-filled value.
 */
export async function createEnvelopeFromTemplate(services: Services, p: FromTemplateInput): Promise<Envelope> {
  const src = await loadSource(services, p);
  // The CRM data in one batch; a person sending from the card may have picked employees whose
  // PERSONAL_GENDER we do not know yet: their user.get rides in the same batch.
  const employees = p.crmClient ? [...new Set((p.recipients ?? []).filter((r) => r.b24UserId && !r.gender).map((r) => r.b24UserId!))] : [];
  const batch = await (p.crmClient ?? services.bitrix24.forPortal(p.portalId)).batch(
    { ...crmBatchCommands(p.crm), ...(employees.length ? { signerUsers: ['user.get', { FILTER: { ID: employees } }] as BatchCommand } : {}) },
    { halt: false },
  );
  const { signerUsers, ...crmResult } = batch.result;
  const { signerUsers: _ignored, ...crmErrors } = batch.errors ?? {};
  const crm = mapCrmBatch(p.crm, { ...batch, result: crmResult, errors: crmErrors });
  if (p.crmClient && itemUnreadable(crm)) throw new AppError('NOT_FOUND', 'No such CRM item, or you may not see it in Bitrix24.');
  const fromCrm = valuesFromCrm(src.fields, crm, { today: services.clock.now(), lang: src.lang });
  let merged: FieldValues = { ...fromCrm };
  for (const [k, v] of Object.entries(p.values ?? {})) if (src.fields.some((f) => f.key === k)) merged[k] = v;
  // The representative printed in the document is the person who signs for us, whatever was typed.
  merged = withCompanySigner(src.fields, merged, p.recipients ?? []);
  // An employee's gender from the user.get the batch already made (the item's responsible), for Russian texts.
  const responsibleGender = genderOf(crm.responsible?.PERSONAL_GENDER);
  let recipients = p.recipients?.map((r) => (!r.gender && responsibleGender && r.b24UserId && String(r.b24UserId) === String(crm.responsible?.ID) ? { ...r, gender: responsibleGender } : r));
  // The picked employees' genders from that batch; without an answer the texts about them stay neutral, never wrong.
  if (employees.length) {
    const users = signerUsers as Record<string, unknown>[] | undefined;
    const byId = new Map((Array.isArray(users) ? users : []).map((u) => [String(u.ID), genderOf(u.PERSONAL_GENDER)]));
    recipients = recipients?.map((r) => (r.b24UserId && !r.gender && byId.get(String(r.b24UserId)) ? { ...r, gender: byId.get(String(r.b24UserId)) } : r));
  }
  refuseBadData(src.fields, merged, p.confirmWarnings);

  // Recipients' boxed fields stay blank until completion.
  const senderValues = valuesPrintedAtSend(src.fields, merged, Boolean(src.layout));
  // A template PDF (upload, document generator) gets the sender's values as an incremental update, so
  // its bytes stay a prefix of what recipients see and of the sealed file (seal-source.ts).
  const existing = src.pdf ? await openExisting(src.pdf) : undefined;
  const rendered = await renderDocument({ ...(src.layout ? { layout: src.layout } : { pdf: existing?.pdf ?? src.pdf! }), fields: src.fields, values: senderValues, lang: src.lang });

  // Freeze every field where the render put it; a field placed several times (initials on every
  // page) becomes one envelope field per place.
  const fields: EnvelopeField[] = [];
  const seen = new Map<string, number>();
  for (const pl of rendered.placements) {
    const f = src.fields.find((x) => x.key === pl.key);
    if (!f) continue;
    const n = (seen.get(f.key) ?? 0) + 1;
    seen.set(f.key, n);
    const value = merged[f.key];
    const canonical = value === undefined ? undefined : (toCanonical(f.type, value) ?? undefined);
    fields.push({
      key: n === 1 ? f.key : `${f.key}__${n}`,
      type: f.type,
      label: f.label,
      page: pl.page,
      box: pl.box,
      party: f.party,
      required: f.required,
      ...(canonical !== undefined ? { defaultValue: canonical } : {}),
    });
  }
  const bytes = existing ? await saveIncremental(rendered.doc, existing.incremental) : await rendered.doc.save();
  const env = await createEnvelope(services, {
    portalId: p.portalId,
    userId: p.userId,
    title: p.title ?? src.name,
    lang: p.lang,
    pdf: bytes,
    fields,
    templateId: p.templateId,
    crm: p.crm,
    recipients,
    timers: p.timers,
    who: p.who,
    senderCompany: typeof crm.myCompany?.TITLE === 'string' ? crm.myCompany.TITLE : undefined,
  });
  // "Same as last time" offers the template used most recently.
  if (!starterLayout(p.templateId, p.lang)) await markTemplateUsed(services.db, { portalId: p.portalId, id: p.templateId, at: services.clock.now() });
  return env;
}
