import type { EnvelopeLang } from '../db/schema/envelopes.js';
import type { MessageTemplate } from '../db/schema/messages.js';
import { formatDate } from '../i18n/dates.js';

/** What a message needs to say; each template uses the parts it needs. */
export interface MailVars {
  recipientName: string;
  title: string;
  senderName?: string;
  link?: string;
  /** A portal user's way in: the REST_APP_URI deep link to in-portal signing; the messenger sends it instead of `link`. */
  portalLink?: string;
  code?: string;
  reason?: string;
  expiresAt?: Date;
  minutes?: number;
  /** The completion notice's second link: the evidence package (ZIP) of the sealed document. */
  evidenceLink?: string;
  /** The portal's logo (settings page), absolute URL: shown at the top of the HTML e-mail. */
  logoUrl?: string;
}

/** `extra`: a secondary link after the button, shown with its label (plain text: "label: URL"). */
type Render = (v: MailVars) => { subject: string; lines: string[]; button?: string; extra?: { label: string; href?: string } };

const date = (lang: EnvelopeLang, d?: Date) => (d ? formatDate(lang, d) : '');

const T: Record<EnvelopeLang, Record<MessageTemplate, Render>> = {
  en: {
    invitation: (v) => ({
      subject: v.senderName ? `${v.senderName}: please sign ${v.title}` : `Please sign: ${v.title}`,
      lines: [`Hello ${v.recipientName},`, `${v.senderName ?? 'We'} sent you “${v.title}” to review and sign.`, v.expiresAt ? `Please sign by ${date('en', v.expiresAt)}.` : '', `Open the document:`],
      button: 'Review and sign',
    }),
    reminder: (v) => ({
      subject: `Reminder: please sign ${v.title}`,
      lines: [`Hello ${v.recipientName},`, `“${v.title}” is still waiting for you.`, v.expiresAt ? `It expires on ${date('en', v.expiresAt)}.` : '', `Open the document:`],
      button: 'Review and sign',
    }),
    code: (v) => ({
      subject: `Your signing code: ${v.code}`,
      lines: [`Hello ${v.recipientName},`, `Your code to sign “${v.title}” is ${v.code}.`, `It is valid for ${v.minutes ?? 5} minutes. If you did not ask for it, ignore this e-mail.`],
    }),
    completed: (v) => ({
      subject: `Signed by everyone: ${v.title}`,
      lines: [`Hello ${v.recipientName},`, `“${v.title}” has been signed by every party.`, `Your sealed copy stays available at this permanent link:`],
      button: 'Download the signed PDF',
      extra: { label: 'Evidence package for an auditor (sealed PDF, audit trail, hashes, timestamp tokens)', href: v.evidenceLink },
    }),
    declined: (v) => ({ subject: `Declined: ${v.title}`, lines: [`Hello ${v.recipientName},`, `“${v.title}” was declined and will not be signed.`, v.reason ? `Reason: ${v.reason}` : ''] }),
    voided: (v) => ({ subject: `Cancelled: ${v.title}`, lines: [`Hello ${v.recipientName},`, `The sender cancelled “${v.title}”. You no longer need to sign it.`, v.reason ? `Reason: ${v.reason}` : ''] }),
    expired: (v) => ({ subject: `Expired: ${v.title}`, lines: [`Hello ${v.recipientName},`, `“${v.title}” expired before every party signed.`] }),
  },
  it: {
    invitation: (v) => ({
      subject: v.senderName ? `${v.senderName}: da firmare ${v.title}` : `Da firmare: ${v.title}`,
      lines: [`Gentile ${v.recipientName},`, v.senderName ? `${v.senderName} Le ha inviato «${v.title}» da esaminare e firmare.` : `Le abbiamo inviato «${v.title}» da esaminare e firmare.`, v.expiresAt ? `La preghiamo di firmare entro il ${date('it', v.expiresAt)}.` : '', `Apra il documento:`],
      button: 'Esamina e firma',
    }),
    reminder: (v) => ({
      subject: `Promemoria: firmi ${v.title}`,
      lines: [`Gentile ${v.recipientName},`, `«${v.title}» è ancora in attesa della sua firma.`, v.expiresAt ? `Scade il ${date('it', v.expiresAt)}.` : '', `Apra il documento:`],
      button: 'Esamina e firma',
    }),
    code: (v) => ({
      subject: `Il suo codice di firma: ${v.code}`,
      lines: [`Gentile ${v.recipientName},`, `Il codice per firmare «${v.title}» è ${v.code}.`, `È valido per ${v.minutes ?? 5} minuti. Se non l'ha richiesto, ignori questa e-mail.`],
    }),
    completed: (v) => ({
      subject: `Firmato da tutti: ${v.title}`,
      lines: [`Gentile ${v.recipientName},`, `«${v.title}» è stato firmato da tutte le parti.`, `La copia sigillata resta disponibile a questo link permanente:`],
      button: 'Scarica il PDF firmato',
      extra: { label: 'Pacchetto di prova per un revisore (PDF sigillato, registro di controllo, hash, marche temporali)', href: v.evidenceLink },
    }),
    declined: (v) => ({ subject: `Rifiutato: ${v.title}`, lines: [`Gentile ${v.recipientName},`, `«${v.title}» è stato rifiutato e non verrà firmato.`, v.reason ? `Motivo: ${v.reason}` : ''] }),
    voided: (v) => ({ subject: `Annullato: ${v.title}`, lines: [`Gentile ${v.recipientName},`, `Il mittente ha annullato «${v.title}». Non è più necessario firmarlo.`, v.reason ? `Motivo: ${v.reason}` : ''] }),
    expired: (v) => ({ subject: `Scaduto: ${v.title}`, lines: [`Gentile ${v.recipientName},`, `«${v.title}» è scaduto prima che tutte le parti firmassero.`] }),
  },
  ru: {
    invitation: (v) => ({
      subject: v.senderName ? `${v.senderName}: подпишите ${v.title}` : `Подпишите: ${v.title}`,
      lines: [`Здравствуйте, ${v.recipientName}!`, v.senderName ? `${v.senderName} направляет вам документ «${v.title}» на подпись.` : `Вам направлен документ «${v.title}» на подпись.`, v.expiresAt ? `Подпишите, пожалуйста, до ${date('ru', v.expiresAt)}.` : '', `Откройте документ:`],
      button: 'Открыть и подписать',
    }),
    reminder: (v) => ({
      subject: `Напоминание: подпишите ${v.title}`,
      lines: [`Здравствуйте, ${v.recipientName}!`, `Документ «${v.title}» всё ещё ждёт вашей подписи.`, v.expiresAt ? `Срок истекает ${date('ru', v.expiresAt)}.` : '', `Откройте документ:`],
      button: 'Открыть и подписать',
    }),
    code: (v) => ({
      subject: `Код для подписи: ${v.code}`,
      lines: [`Здравствуйте, ${v.recipientName}!`, `Код для подписания «${v.title}»: ${v.code}.`, `Код действует ${v.minutes ?? 5} минут. Если вы его не запрашивали, просто проигнорируйте это письмо.`],
    }),
    completed: (v) => ({
      subject: `Подписан всеми сторонами: ${v.title}`,
      lines: [`Здравствуйте, ${v.recipientName}!`, `Документ «${v.title}» подписан всеми сторонами.`, `Заверенная копия всегда доступна по постоянной ссылке:`],
      button: 'Скачать подписанный PDF',
      extra: { label: 'Пакет доказательств для аудитора (заверенный PDF, журнал действий, хеши, метки времени)', href: v.evidenceLink },
    }),
    declined: (v) => ({ subject: `Отклонён: ${v.title}`, lines: [`Здравствуйте, ${v.recipientName}!`, `Документ «${v.title}» отклонён и не будет подписан.`, v.reason ? `Причина: ${v.reason}` : ''] }),
    voided: (v) => ({ subject: `Отменён: ${v.title}`, lines: [`Здравствуйте, ${v.recipientName}!`, `Отправитель отменил документ «${v.title}». Подписывать его больше не нужно.`, v.reason ? `Причина: ${v.reason}` : ''] }),
    expired: (v) => ({ subject: `Срок истёк: ${v.title}`, lines: [`Здравствуйте, ${v.recipientName}!`, `Срок подписания документа «${v.title}» истёк до того, как его подписали все стороны.`] }),
  },
};

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Plain text plus a small, inline-styled HTML version (mail clients ignore <style>). */
export function renderMail(lang: EnvelopeLang, template: MessageTemplate, v: MailVars): { subject: string; text: string; html: string } {
  const r = T[lang][template](v);
  const lines = r.lines.filter(Boolean);
  const extra = r.extra?.href ? r.extra : undefined;
  const text = [...lines, ...(v.link && r.button ? [v.link] : []), ...(extra ? ['', `${extra.label}:`, extra.href] : []), '', '— b24-sign'].join('\n');
  const html = `<!doctype html><html lang="${lang}"><body style="font:16px/1.5 system-ui,sans-serif;color:#1f2937;max-width:36rem">${v.logoUrl ? `<p><img src="${esc(v.logoUrl)}" alt="${esc(v.senderName ?? '')}" style="max-height:48px;max-width:200px"></p>` : ''}${lines
    .map((l) => `<p>${esc(l)}</p>`)
    .join('')}${v.link && r.button ? `<p><a href="${esc(v.link)}" style="display:inline-block;background:#2563eb;color:#fff;padding:.6rem 1.1rem;border-radius:.4rem;text-decoration:none">${esc(r.button)}</a></p><p style="font-size:13px;color:#6b7280">${esc(v.link)}</p>` : ''}${extra?.href ? `<p><a href="${esc(extra.href)}">${esc(extra.label)}</a></p>` : ''}<p style="font-size:13px;color:#6b7280">— b24-sign</p></body></html>`;
  return { subject: r.subject, text, html };
}

/** One line for the Bitrix24 messenger (BB-code link). */
export function renderIm(lang: EnvelopeLang, template: MessageTemplate, v: MailVars): string {
  const r = T[lang][template](v);
  const first = r.lines.filter(Boolean).slice(1).join(' ');
  const link = v.portalLink ?? v.link;
  return link && r.button ? `${first} [URL=${link}]${r.button}[/URL]` : first;
}

/**
 * The messenger text for Bitrix24's external channels (its MESSAGE_OUT, e-mailed to a user who is away;
 * b24restdocs api-reference/chats/notifications/im-notify-personal-add.md): no formatting codes, the link
 * as "label: URL".
 */
export function imOutText(body: string): string {
  return body.replace(/\[URL=([^\]\s]+)\]([\s\S]*?)\[\/URL\]/gi, (_, href: string, label: string) => `${label}: ${href}`);
}
