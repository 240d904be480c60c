/**
 * Every API the placement pages call, in one place. The card's own routes live in src/doors/api-card.ts;
 * templates and envelopes belong to the documents and signing doors.
 */
import type { Api } from './api.js';
import type { CardEnvelope } from '../../src/card/view.js';
import type { CardState } from '../../src/card/card-data.js';
import type { Proposal, DocgenDocument, Person, PortalUser } from '../../src/card/proposal.js';
import type { RecipientSlot } from '../../src/db/schema/card-prefs.js';

export type { Proposal, DocgenDocument, PortalUser, RecipientSlot };

export interface TemplateSummary {
  /** A portal template's id, or `starter:<layout>` for a starter not adopted by the portal yet. */
  id: string;
  name: string;
  kind: string;
  language?: string;
  /** starter = shipped with the app, portal = made by this portal */
  origin: 'starter' | 'portal';
  /**
   * The document title it suggests, in the sender's language: a portal copy of a starter that kept the
   * starter's name is titled as that starter is called in the sender's language (documents render in it).
   */
  title?: string;
  source?: { type: string; layout?: string };
}

interface ApiTemplate {
  id: string;
  name: string;
  kind: string;
  language: string;
  source: { type: string; layout?: string };
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
  /** A fingerprint of the list: the card asks for this often and for the list only when it changes. */
  listVersion: (e: { entityTypeId: number; entityId: number }) => api.get<{ version: string }>(`${item(e)}/version`),
  envelope: (id: string) => api.get<CardEnvelope>(`/api/card/envelopes/${encodeURIComponent(id)}`),
  proposal: (e: { entityTypeId: number; entityId: number }, templateId?: string, slots?: RecipientSlot[], bindings?: string[]) =>
    api.post<Proposal & { bindingValues: Record<string, string> }>(`${item(e)}/proposal`, { templateId, slots, bindings }),
  documents: (e: { entityTypeId: number; entityId: number }) => api.get<{ documents: DocgenDocument[] }>(`${item(e)}/documents`),
  /** The employee picked in Bitrix24's user picker, with the e-mail the picker does not give. */
  user: (id: number) => api.get<{ user: PortalUser }>(`/api/card/users/${id}`),
  /** A contact or company picked in Bitrix24's CRM picker, as a candidate recipient. */
  crmPerson: (kind: 'contact' | 'company', id: number) => api.get<{ person: Person }>(`/api/card/crm/${kind}/${id}`),
  rememberLastUsed: (body: { kind: string; templateId: string; templateName: string; entityTypeId: number; slots: RecipientSlot[]; recipientNames: string[] }) =>
    api.put<void>('/api/card/last-used', body),

  /** The portal's templates, then the starters it has not made its own yet (in the user's language). */
  templates: async (lang: string): Promise<{ templates: TemplateSummary[] }> => {
    const res = await api.get<{ templates: ApiTemplate[]; starters: { id: string; kind: string; names: Record<string, string> }[] }>('/api/templates');
    const starterNames = new Map(res.starters.map((s) => [s.id, s.names]));
    const own: TemplateSummary[] = res.templates.map((t) => {
      const names = t.source.type === 'builtin' && t.source.layout ? starterNames.get(t.source.layout) : undefined;
      const title = names && t.name === names[t.language] ? (names[lang] ?? t.name) : t.name;
      return { id: t.id, name: t.name, kind: t.kind, language: t.language, origin: 'portal', source: t.source, title };
    });
    const adopted = new Set(res.templates.filter((t) => t.source.type === 'builtin' && t.language === lang).map((t) => t.source.layout));
    const starters: TemplateSummary[] = res.starters
      .filter((s) => !adopted.has(s.id))
      .map((s) => ({ id: `starter:${s.id}`, name: s.names[lang] ?? s.names.en ?? s.id, kind: s.kind, language: lang, origin: 'starter', source: { type: 'builtin', layout: s.id } }));
    return { templates: [...own, ...starters] };
  },
  /** The template rendered with this item's CRM data and the sender's edits: exactly what recipients get. */
  previewTemplate: async (templateId: string, e: { entityTypeId: number; entityId: number }, values: Record<string, string>, lang: string) =>
    (await api.raw(`/api/templates/${encodeURIComponent(templateId)}/preview`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/pdf' },
      body: JSON.stringify({ crm: e, values, lang }),
    })).arrayBuffer(),
  uploadPdf: (file: Blob, name: string) => {
    const form = new FormData();
    form.append('file', file, name);
    return api.upload<{ file: { id: string; pageCount: number | null } }>('/api/templates/uploads', form);
  },
  saveTemplate: (body: { name: string; kind: string; language: string; source: { type: 'upload'; fileId: string }; fields: PlacedField[] }) =>
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
    /** E-mail may be left out for an employee (b24UserId), who signs inside Bitrix24. */
    recipients: (Omit<RecipientDraft, 'source' | 'email'> & { email?: string })[];
    send: boolean;
    /** The sender confirmed the data warnings the form listed (src/documents/data-checks.ts). */
    confirmWarnings?: boolean;
  }) => api.post<{ envelope: { id: string; status: string; templateId: string | null } }>('/api/envelopes', body),
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
