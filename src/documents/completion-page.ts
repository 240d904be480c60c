import { PDFDocument, PDFPage, rgb, type PDFFont } from 'pdf-lib';
import { fitText, wrap } from './stamp-text.js';
import { formatInZone, STAMP_TEXT, stampLang } from './stamp-i18n.js';

/**
 * The certificate of completion appended to every sealed document: who took part, in which role,
 * how and when (with time zone) they signed, from which IP, plus the SHA-256 of the original and
 * the head of the audit hash chain. It runs over as many A4 pages as it needs.
 */
export interface CompletionParty {
  name: string;
  /** signer | approver | viewer | cc (other values are printed as given). */
  role: string;
  /** company | client (other values are printed as given). */
  party: string;
  /** typed | drawn | uploaded | stamp | approved (other values are printed as given). */
  method: string;
  signedAt: Date;
  /** IANA zone the time is shown in, e.g. "Europe/Rome". */
  timeZone: string;
  ip: string;
  userAgent?: string;
  email?: string;
}

export interface CompletionEvent {
  at: Date;
  /** Short, human text, e.g. "viewed", "code confirmed", "signed". */
  type: string;
  actor?: string;
  ip?: string;
}

export interface CompletionInput {
  publicId: string;
  verifyUrl: string;
  lang: string;
  title: string;
  parties: CompletionParty[];
  events?: CompletionEvent[];
  /** Hex SHA-256 of the document as the parties were shown it. */
  originalSha256: string;
  /** Hash at the head of the envelope's audit chain. */
  auditHead: string;
  development: boolean;
  /** Zone for event times; defaults to the first party's. */
  timeZone?: string;
}

const A4: [number, number] = [595.28, 841.89];
const LEFT = 50;
const RIGHT = A4[0] - 50;
const TOP = A4[1] - 50;
/** Leave the bottom free for the stripe and QR code. */
const BOTTOM = 80;
const INK = rgb(0.1, 0.1, 0.12);
const MUTED = rgb(0.4, 0.4, 0.45);
const RED = rgb(0.75, 0.05, 0.05);

export async function appendCompletionPages(doc: PDFDocument, input: CompletionInput, fonts: { sans: PDFFont; bold: PDFFont }): Promise<PDFPage[]> {
  const t = STAMP_TEXT[stampLang(input.lang)];
  const pages: PDFPage[] = [];
  let page!: PDFPage;
  let y = 0;
  const newPage = () => {
    page = doc.addPage(A4);
    pages.push(page);
    y = TOP;
  };
  const ensure = (h: number) => {
    if (y - h < BOTTOM) newPage();
  };
  const line = (s: string, o: { size?: number; bold?: boolean; color?: ReturnType<typeof rgb>; indent?: number } = {}) => {
    const size = o.size ?? 9.5;
    const font = o.bold ? fonts.bold : fonts.sans;
    const x = LEFT + (o.indent ?? 0);
    for (const part of wrap(s, font, size, RIGHT - x)) {
      ensure(size * 1.45);
      y -= size * 1.45;
      page.drawText(part, { x, y, size, font, color: o.color ?? INK });
    }
  };
  const gap = (h: number) => {
    y -= h;
  };
  const heading = (s: string) => {
    ensure(40);
    gap(10);
    line(s, { size: 12, bold: true });
    page.drawLine({ start: { x: LEFT, y: y - 4 }, end: { x: RIGHT, y: y - 4 }, thickness: 0.5, color: MUTED });
    gap(8);
  };
  const field = (label: string, value: string, indent = 12) => line(`${label}: ${value}`, { indent });

  newPage();
  line(t.certificateTitle, { size: 18, bold: true });
  gap(6);
  line(input.title, { size: 12 });
  gap(4);
  field(t.documentId, input.publicId, 0);
  field(t.verify, input.verifyUrl, 0);
  if (input.development) {
    gap(6);
    line(t.developmentLabel, { bold: true, color: RED });
    line(t.developmentNote, { color: RED, size: 8.5 });
  }

  heading(t.parties);
  for (const p of input.parties) {
    ensure(70);
    gap(4);
    line(p.name, { bold: true, size: 10.5 });
    field(t.role, `${t.roles[p.role] ?? p.role} · ${t.party}: ${t.partyKinds[p.party] ?? p.party}`);
    field(t.method, t.methods[p.method] ?? p.method);
    field(t.signedAt, formatInZone(p.signedAt, p.timeZone));
    field(t.ip, p.ip);
    if (p.email) field(t.email, p.email);
    if (p.userAgent) line(`${t.userAgent}: ${p.userAgent}`, { indent: 12, size: 8, color: MUTED });
  }

  if (input.events?.length) {
    heading(t.events);
    const zone = input.timeZone ?? input.parties[0]?.timeZone ?? 'UTC';
    for (const e of input.events) {
      line([formatInZone(e.at, zone), e.type, e.actor, e.ip].filter(Boolean).join('  ·  '), { size: 8.5 });
    }
  }

  heading(t.integrity);
  field(t.originalSha256, '', 0);
  line(input.originalSha256, { indent: 12, size: 8.5 });
  field(t.auditHead, '', 0);
  line(input.auditHead, { indent: 12, size: 8.5 });
  gap(10);
  line(t.sealNote, { size: 8.5, color: MUTED });
  return pages;
}
