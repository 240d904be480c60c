export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** The Message-ID header, stable per message row so a repeated send is recognisably the same mail. */
  messageId?: string;
}

/**
 * The mail port (services.mailer): SMTP on Node (src/entry/smtp-mailer.ts), absent in the embedded default
 * (messages are only recorded). The domain only hands it a finished message.
 */
export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId?: string }>;
  close?(): void;
}
