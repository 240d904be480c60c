import { sql } from 'drizzle-orm';
import { customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';

export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  // postgres.js hands back a Buffer, PGlite a Uint8Array: normalise to a plain Uint8Array view.
  fromDriver: (v) => new Uint8Array((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength),
  toDriver: (v) => (typeof Buffer !== 'undefined' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v),
});

export type EnvelopeStatus = 'draft' | 'sent' | 'in_progress' | 'completed' | 'declined' | 'expired' | 'voided';
export type EnvelopeLang = 'en' | 'it' | 'ru';
export type FieldType = 'text' | 'multiline' | 'number' | 'money' | 'date' | 'checkbox' | 'signature' | 'initials' | 'stamp';
export type FieldParty = 'company' | 'client' | 'sender';

/** A field as the envelope froze it at creation: templates may change later, envelopes never do. */
export interface EnvelopeField {
  key: string;
  type: FieldType;
  label?: string;
  /** 0-based page index; box in PDF points from the page's bottom-left corner. */
  page: number;
  box: { x: number; y: number; w: number; h: number };
  party: FieldParty;
  required: boolean;
  /** Pins the field to one recipient when a party has several; otherwise the party's first signer owns it. */
  recipientId?: string;
  /** Pre-filled value (CRM data); recipient fields start with it and may change it. */
  defaultValue?: string;
}

export interface EnvelopeTimers {
  reminderFirstDays: number;
  reminderEveryDays: number;
  reminderMax: number;
  expiryDays: number;
}

export const envelopes = pgTable(
  'envelopes',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    /** CRM binding: entityTypeId (2 = deal, 1 = lead, 3 = contact, 4 = company, dynamic ids) + item id. */
    crmEntityTypeId: integer('crm_entity_type_id'),
    crmEntityId: integer('crm_entity_id'),
    templateId: text('template_id'),
    title: text('title').notNull(),
    lang: text('lang').$type<EnvelopeLang>().notNull().default('en'),
    status: text('status').$type<EnvelopeStatus>().notNull().default('draft'),
    fields: jsonb('fields').$type<EnvelopeField[]>().notNull().default(sql`'[]'::jsonb`),
    /** The PDF recipients see: sender/CRM values already rendered, recipient fields still empty (a blob key, src/blobs/). */
    sourcePdfKey: text('source_pdf_key'),
    sourceSha256: text('source_sha256'),
    timers: jsonb('timers').$type<EnvelopeTimers>().notNull(),
    /** Public id printed on every page and used by the verify door (`/v/<publicId>`). */
    publicId: text('public_id').notNull(),
    /** The sealed PDF's blob key (src/blobs/): the B-LT/B-LTA file once long-term evidence is added. */
    sealedPdfKey: text('sealed_pdf_key'),
    sealedSha256: text('sealed_sha256'),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'date' }),
    sealedAt: timestamp('sealed_at', { withTimezone: true, mode: 'date' }),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
    /** Void reason, or the decliner's reason copied here for reports. */
    endReason: text('end_reason'),
    remindersSent: integer('reminders_sent').notNull().default(0),
    /** Hash and seq of the last audit event: a verifier notices rows deleted from the end of the chain. */
    auditHead: text('audit_head'),
    auditCount: integer('audit_count').notNull().default(0),
    createdByUserId: integer('created_by_user_id'),
    /** Robot binding (issue 7): the workflow waiting for this envelope's outcome. */
    robotEventToken: text('robot_event_token'),
    robotWorkflowId: text('robot_workflow_id'),
    /** The company that sends (the CRM's "my company" when made from a template): invitations name it. */
    senderCompany: text('sender_company'),
    ...timestamps,
  },
  (t) => [
    index('envelopes_portal_idx').on(t.portalId, t.createdAt),
    index('envelopes_crm_idx').on(t.portalId, t.crmEntityTypeId, t.crmEntityId),
    uniqueIndex('envelopes_public_id_key').on(t.publicId),
    // The blob sweep asks "does any row still name this key?" (src/blobs/sweep.ts).
    index('envelopes_source_pdf_key_idx').on(t.sourcePdfKey),
    index('envelopes_sealed_pdf_key_idx').on(t.sealedPdfKey),
  ],
);

export type Envelope = typeof envelopes.$inferSelect;
export type NewEnvelope = typeof envelopes.$inferInsert;
