import { and, asc, eq } from 'drizzle-orm';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createApp } from '../../src/app.js';
import { messages } from '../../src/db/schema/messages.js';
import { issueSession } from '../../src/http/session.js';
import type { Services } from '../../src/services.js';
import { fromPeer } from './peer.js';

/** A two-page A4 PDF to sign, made here so the suite needs no fixture file. */
export async function samplePdf(title = 'Sales contract'): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= 2; i++) {
    const p = doc.addPage([595.28, 841.89]);
    p.drawText(`${title} - page ${i}`, { x: 50, y: 780, size: 18, font });
    p.drawText('Signatures below.', { x: 50, y: 740, size: 12, font });
  }
  return doc.save();
}

export const FIELDS = [
  { key: 'client_vat', type: 'text', label: 'Client VAT number', page: 0, box: { x: 50, y: 600, w: 200, h: 20 }, party: 'client', required: true },
  { key: 'company_sig', type: 'signature', label: 'Company signature', page: 1, box: { x: 50, y: 200, w: 180, h: 50 }, party: 'company', required: true },
  { key: 'client_sig', type: 'signature', label: 'Client signature', page: 1, box: { x: 320, y: 200, w: 180, h: 50 }, party: 'client', required: true },
  { key: 'contract_no', type: 'text', label: 'Contract no.', page: 0, box: { x: 50, y: 700, w: 200, h: 20 }, party: 'sender', required: false, defaultValue: 'C-2026-001' },
] as const;

/** A 1×1 PNG is enough for the server; the browser test draws a real one. */
export const TINY_PNG_B64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

export async function sessionFor(services: Services, portalId = 'prt_test', userId = 1) {
  return issueSession(services.config.sessionSecret, { portalId, userId, isAdmin: true, placement: 'APP', lang: 'en' }, services.clock.now());
}

/** Thin JSON client over app.request, as the CRM page and the signing page use the routes. */
export function client(services: Services) {
  const app = createApp(services);
  // Requests come straight from 203.0.113.7 (no proxy) unless a test says otherwise.
  const req = async (method: string, path: string, opts: { body?: unknown; bearer?: string; headers?: Record<string, string>; peer?: string } = {}) => {
    const res = await app.request(
      path,
      {
        method,
        headers: {
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
          'user-agent': 'vitest',
          ...opts.headers,
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      },
      fromPeer(opts.peer ?? '203.0.113.7'),
    );
    const type = res.headers.get('content-type') ?? '';
    const data = type.includes('json') ? await res.json() : type.includes('pdf') ? new Uint8Array(await res.arrayBuffer()) : await res.text();
    return { status: res.status, data: data as any, headers: res.headers };
  };
  return { app, req };
}

/** The last message of a template sent to a recipient (recorded rows: no SMTP in these tests). */
export async function lastMessage(services: Services, recipientId: string, template: string) {
  const rows = await services.db
    .select()
    .from(messages)
    .where(and(eq(messages.recipientId, recipientId), eq(messages.template, template as never)))
    .orderBy(asc(messages.createdAt));
  // The e-mail copy when there is one: a messenger copy sent through Bitrix24 is scrubbed of its link.
  return rows.filter((r) => r.channel === 'email').at(-1) ?? rows.at(-1);
}

export const tokenFromBody = (body: string) => /\/s\/([A-Za-z0-9._-]+)/.exec(body)?.[1];
export const codeFromBody = (body: string) => /\b(\d{6})\b/.exec(body)?.[1];
