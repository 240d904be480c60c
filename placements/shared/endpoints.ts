/**
 * Every API the placement pages call, in one place. The card's own routes live in src/doors/api-card.ts;
 * templates and envelopes belong to the documents and signing doors.
 */
import type { Api } from './api.js';
import type { CardEnvelope } from '../server/view.js';
import type { CardState } from '../server/card-data.js';
import type { Proposal, DocgenDocument, PortalUser } from '../server/proposal.js';
import type { RecipientSlot } from '../../src/db/schema/card-prefs.js';

export type { Proposal, DocgenDocument, PortalUser, RecipientSlot };

export interface TemplateSummary {
  id: string;
  name: string;
  kind: string;
  lang?: string;
  /** starter = shipped with the app, portal = made by this portal */
  origin: 'starter' | 'portal';
  source?: { type: string };
}

export interface RecipientDraft {
  role: 'signer' | 'approver' | 'viewer';
  party: 'company' | 'client';
  order: number;
  name: string;
  email: string;
  phone?: string;
  b24UserId?: number;
  crmContactId?: number;
  source: RecipientSlot['source'];
}

/** A field placed on an uploaded PDF: page 0-based, box in PDF points from the bottom-left corner. */
export interface PlacedField {
  key: string;
  type: 'signature' | 'initials' | 'stamp' | 'date' | 'text';
  label?: string;
  party: 'company' | 'client' | 'sender';
  required: boolean;
  page: number;
  box: { x: number; y: number; w: number; h: number };
  binding?: string;
}

/** The envelope API's field (signing door): a CRM-bound text box arrives as a sender field with its value. */
export interface EnvelopeFieldInput {
  key: string;
  type: 'text' | 'date' | 'signature' | 'initials' | 'stamp';
  label?: string;
  page: number;
  box: { x: number; y: number; w: number; h: number };
  party: 'company' | 'client' | 'sender';
  required: boolean;
  defaultValue?: string;
}

export function toBase64(bytes: ArrayBuffer): string {
  const u8 = new Uint8Array(bytes);
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

const item = (e: { entityTypeId: number; entityId: number }) => `/api/card/items/${e.entityTypeId}/${e.entityId}`;

export const endpoints = (api: Api) => ({
  cardState: (e: { entityTypeId: number; entityId: number }) => api.get<CardState>(item(e)),
  listFragment: async (e: { entityTypeId: number; entityId: number }) => (await api.raw(`${item(e)}/list`)).text(),
  envelope: (id: string) => api.get<CardEnvelope>(`/api/card/envelopes/${encodeURIComponent(id)}`),
  proposal: (e: { entityTypeId: number; entityId: number }, templateId?: string, slots?: RecipientSlot[], bindings?: string[]) =>
    api.post<Proposal & { bindingValues: Record<string, string> }>(`${item(e)}/proposal`, { templateId, slots, bindings }),
  documents: (e: { entityTypeId: number; entityId: number }) => api.get<{ documents: DocgenDocument[] }>(`${item(e)}/documents`),
  users: (q: string) => api.get<{ users: PortalUser[] }>(`/api/card/users?q=${encodeURIComponent(q)}`),
  rememberLastUsed: (body: { kind: string; templateId: string; templateName: string; entityTypeId: number; slots: RecipientSlot[]; recipientNames: string[] }) =>
    api.put<void>('/api/card/last-used', body),

  templates: () => api.get<{ templates: TemplateSummary[] }>('/api/templates'),
  /** The template rendered with this item's CRM data and the sender's edits: exactly what recipients get. */
  previewTemplate: async (templateId: string, e: { entityTypeId: number; entityId: number }, values: Record<string, string>) =>
    (await api.raw(`/api/templates/${encodeURIComponent(templateId)}/preview`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/pdf' },
      body: JSON.stringify({ crm: e, values }),
    })).arrayBuffer(),
  uploadPdf: (file: Blob, name: string) => {
    const form = new FormData();
    form.append('file', file, name);
    return api.upload<{ id: string; pages: number }>('/api/templates/uploads', form);
  },
  saveTemplate: (body: { name: string; kind: string; source: { type: 'upload'; fileId: string }; fields: PlacedField[] }) =>
    api.post<{ template: TemplateSummary }>('/api/templates', body),
  createEnvelope: (body: {
    title: string;
    lang: string;
    crm: { entityTypeId: number; entityId: number };
    templateId?: string;
    /** The sender's edits of CRM-filled template fields. */
    values?: Record<string, string>;
    /** Own PDF or a CRM document's PDF, with the fields placed on it. */
    pdfBase64?: string;
    fields?: EnvelopeFieldInput[];
    recipients: Omit<RecipientDraft, 'source'>[];
    send: boolean;
  }) => api.post<{ envelope: { id: string; status: string } }>('/api/envelopes', body),
  resend: (envelopeId: string, recipientId: string) => api.post<void>(`/api/envelopes/${envelopeId}/recipients/${recipientId}/resend`),
  changeEmail: (envelopeId: string, recipientId: string, email: string) =>
    api.post<void>(`/api/envelopes/${envelopeId}/recipients/${recipientId}/email`, { email }),
  void: (envelopeId: string, reason: string) => api.post<void>(`/api/envelopes/${envelopeId}/void`, { reason }),
  /**
   * Fetches a document-generator document's PDF into our storage. Bitrix24 converts to PDF
   * asynchronously: `ready: false` means ask again after `retryAfterSeconds`.
   */
  docgenPdf: async (documentId: number, e: { entityTypeId: number; entityId: number }) => {
    const res = await api.raw(`${item(e)}/documents/${documentId}/pdf`, { method: 'POST' });
    if (res.status === 202) {
      const body = (await res.json()) as { retryAfterSeconds?: number };
      return { ready: false as const, retryAfterSeconds: body.retryAfterSeconds ?? 10 };
    }
    return { ready: true as const, uploadId: res.headers.get('X-Upload-Id') ?? '', bytes: await res.arrayBuffer() };
  },
});

export type Endpoints = ReturnType<typeof endpoints>;
