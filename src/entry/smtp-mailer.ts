import nodemailer from 'nodemailer';
import type { Mailer } from '../notify/mailer.js';

// The mail port's Node adapter: nodemailer speaks SMTP over Node sockets, so it lives with the entries.

/** nodemailer over `SMTP_URL` (smtp://user:pass@host:port, smtps://… for implicit TLS). */
export function createSmtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(m) {
      const info = await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html, ...(m.messageId ? { messageId: m.messageId } : {}) });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}

/** Node entry and tests: SMTP when configured, otherwise none. */
export function mailerFromConfig(c: { SMTP_URL?: string; MAIL_FROM: string }): Mailer | undefined {
  return c.SMTP_URL ? createSmtpMailer(c.SMTP_URL, c.MAIL_FROM) : undefined;
}
