/**
 * How the Bitrix24 messenger shows a message or notification text: the formatting codes of
 * b24restdocs api-reference/chats/messages/index.md. "Links": a bare URL becomes clickable, and
 * `[URL=http://…]text[/URL]` is a link showing `text`; "Formatting Codes": [B] [U] [I] [S] pairs;
 * "Line Breaks": `[BR]`, `#BR#` and `\n`; `[USER=5]Martha[/USER]` links to a user. The emulator and the
 * sandbox use this to show a message as a portal user sees it: no code is ever visible as text.
 * Codes it does not model ([CALL], [CHAT], [send], [put], [icon]) are shown as their inner text.
 */
export type ImSegment =
  | { kind: 'text'; text: string; bold?: boolean; italic?: boolean; underline?: boolean; strike?: boolean }
  | { kind: 'link'; href: string; text: string }
  | { kind: 'break' };

const TOKEN = /\[URL=([^\]\s]+)\]([\s\S]*?)\[\/URL\]|\[URL\]([\s\S]*?)\[\/URL\]|\[USER=\d+\]([\s\S]*?)\[\/USER\]|\[(CALL|CHAT)=[^\]]*\]([\s\S]*?)\[\/\5\]|\[(\/?)(B|U|I|S)\]|\[BR\]|#BR#|\n|(https?:\/\/[^\s<>"'[\]]+)|\[icon=[^\]]*\]|\[(send|put)=[^\]]*\]([\s\S]*?)\[\/\10\]/gi;

const safeHref = (s: string) => (/^https?:\/\//i.test(s) ? s : undefined);

export function parseImText(message: string): ImSegment[] {
  const out: ImSegment[] = [];
  const style = { bold: false, italic: false, underline: false, strike: false };
  const text = (t: string) => {
    if (!t) return;
    const s = { ...(style.bold ? { bold: true } : {}), ...(style.italic ? { italic: true } : {}), ...(style.underline ? { underline: true } : {}), ...(style.strike ? { strike: true } : {}) };
    out.push({ kind: 'text', text: t, ...s });
  };
  const link = (href: string, label: string) => {
    const h = safeHref(href);
    if (h) out.push({ kind: 'link', href: h, text: label || h });
    else text(label);
  };
  let last = 0;
  for (const m of message.matchAll(TOKEN)) {
    text(message.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) link(m[1], m[2] ?? '');
    else if (m[3] !== undefined) link(m[3], m[3]);
    else if (m[4] !== undefined) text(m[4]);
    else if (m[5] !== undefined) text(m[6] ?? '');
    else if (m[8] !== undefined) {
      const on = m[7] !== '/';
      const k = ({ B: 'bold', U: 'underline', I: 'italic', S: 'strike' } as const)[m[8].toUpperCase() as 'B' | 'U' | 'I' | 'S'];
      style[k] = on;
    } else if (m[9] !== undefined) link(m[9], m[9]);
    else if (m[10] !== undefined) text(m[11] ?? '');
    else if (/^\[icon=/i.test(m[0])) continue;
    else out.push({ kind: 'break' });
  }
  text(message.slice(last));
  return out;
}

/** The same text as an external channel (e-mail) shows it: codes gone, a link as "label: URL". */
export function imPlainText(message: string): string {
  return parseImText(message)
    .map((s) => (s.kind === 'break' ? '\n' : s.kind === 'link' ? (s.text === s.href ? s.href : `${s.text}: ${s.href}`) : s.text))
    .join('');
}
