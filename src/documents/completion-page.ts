import { PDFDocument, PDFPage, rgb, type PDFFont } from 'pdf-lib';
import { wrap } from './stamp-text.js';
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
  /** How the party was identified, when not by e-mail code: "signed in Bitrix24 as user N (name), portal P". */
  identity?: string;
}

export interface CompletionEvent {
  at: Date;
  /** An audit event type (`signed`, `code_verified`…), printed in the document's language; other values are printed as given. */
  type: string;
  /** Who did it, already in words (a party's name, or a label from `actorLabel`). */
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
const LINE = 1.45;

type Color = ReturnType<typeof rgb>;
interface Row {
  text: string;
  size?: number;
  bold?: boolean;
  color?: Color;
  indent?: number;
}
/** Rows that must share a page: a label with its value, an event line. */
type Group = Row[];
interface Line {
  text: string;
  x: number;
  size: number;
  font: PDFFont;
  color: Color;
}

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
  const lines = (g: Group): Line[] =>
    g.flatMap((r) => {
      const size = r.size ?? 9.5;
      const font = r.bold ? fonts.bold : fonts.sans;
      const x = LEFT + (r.indent ?? 0);
      return wrap(r.text, font, size, RIGHT - x).map((text) => ({ text, x, size, font, color: r.color ?? INK }));
    });
  const height = (ls: Line[]) => ls.reduce((h, l) => h + l.size * LINE, 0);
  const draw = (ls: Line[]) => {
    for (const l of ls) {
      if (y - l.size * LINE < BOTTOM) newPage(); // only a group taller than a page breaks inside
      y -= l.size * LINE;
      page.drawText(l.text, { x: l.x, y, size: l.size, font: l.font, color: l.color });
    }
  };
  let pendingHeading: string | undefined;
  const headingHeight = 10 + 12 * LINE + 8;
  /**
   * Places groups that belong together (one party) on one page when they fit on one; otherwise
   * group by group. A group never starts at the foot of a page it does not fit on, and a heading
   * always sits on the page of what follows it.
   */
  const block = (groups: Group[], before = 0) => {
    const laid = groups.map(lines);
    const extra = (pendingHeading ? headingHeight : 0) + before;
    const whole = height(laid.flat()) + extra;
    const room = TOP - BOTTOM;
    const need = whole <= room ? whole : Math.min(room, extra + height(laid[0] ?? []));
    if (y - need < BOTTOM) newPage();
    if (pendingHeading) {
      y -= 10;
      draw(lines([{ text: pendingHeading, size: 12, bold: true }]));
      page.drawLine({ start: { x: LEFT, y: y - 4 }, end: { x: RIGHT, y: y - 4 }, thickness: 0.5, color: MUTED });
      y -= 8;
      pendingHeading = undefined;
    }
    y -= before;
    for (const ls of laid) {
      if (y - height(ls) < BOTTOM && height(ls) <= room) newPage();
      draw(ls);
    }
  };
  const field = (label: string, value: string, indent = 12): Group => [{ text: `${label}: ${value}`, indent }];

  newPage();
  block([[{ text: t.certificateTitle, size: 18, bold: true }]]);
  block([[{ text: input.title, size: 12 }]], 6);
  block([field(t.documentId, input.publicId, 0)], 4);
  block([field(t.verify, input.verifyUrl, 0)]);
  if (input.development) {
    block([[{ text: t.developmentLabel, bold: true, color: RED }, { text: t.developmentNote, color: RED, size: 8.5 }]], 6);
  }

  pendingHeading = t.parties;
  for (const p of input.parties) {
    const groups: Group[] = [
      [{ text: p.name, bold: true, size: 10.5 }],
      field(t.role, `${t.roles[p.role] ?? p.role} · ${t.party}: ${t.partyKinds[p.party] ?? p.party}`),
      field(t.method, t.methods[p.method] ?? p.method),
      field(t.signedAt, formatInZone(p.signedAt, p.timeZone)),
      field(t.ip, p.ip),
    ];
    if (p.email) groups.push(field(t.email, p.email));
    if (p.identity) groups.push(field(t.identity, p.identity));
    if (p.userAgent) groups.push([{ text: `${t.userAgent}: ${p.userAgent}`, indent: 12, size: 8, color: MUTED }]);
    block(groups, 4);
  }

  if (input.events?.length) {
    pendingHeading = t.events;
    const zone = input.timeZone ?? input.parties[0]?.timeZone ?? 'UTC';
    const names: Record<string, string> = t.eventNames;
    for (const e of input.events) {
      block([[{ text: [formatInZone(e.at, zone), names[e.type] ?? e.type, e.actor, e.ip].filter(Boolean).join('  ·  '), size: 8.5 }]]);
    }
  }

  pendingHeading = t.integrity;
  block([
    [{ text: `${t.originalSha256}:` }, { text: input.originalSha256, indent: 12, size: 8.5 }],
    [{ text: `${t.auditHead}:` }, { text: input.auditHead, indent: 12, size: 8.5 }],
  ]);
  block([[{ text: t.sealNote, size: 8.5, color: MUTED }]], 10);
  return pages;
}
