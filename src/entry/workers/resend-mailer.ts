import type { Mailer, OutgoingMail } from '../../notify/mailer.js';

/**
 * The mail port over Resend's HTTP API (https://resend.com/docs/api-reference/emails/send-email):
 * `POST {base}/emails` with `Authorization: Bearer <key>` and a JSON body `{ from, to, subject, text,
 * html, headers }`; a 200 answers `{ id }`. Used by the Workers entry, which cannot open SMTP
 * connections from the domain's mail code. `base` is https://api.resend.com unless a test points it at
 * a stub.
 */
export function createResendMailer(opts: { apiKey: string; from: string; baseUrl?: string; fetch?: typeof fetch }): Mailer {
  const base = (opts.baseUrl ?? 'https://api.resend.com').replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  return {
    async send(mail: OutgoingMail) {
      const body: Record<string, unknown> = { from: opts.from, to: [mail.to], subject: mail.subject, text: mail.text };
      if (mail.html) body.html = mail.html;
      if (mail.messageId) body.headers = { 'Message-ID': mail.messageId };
      const res = await doFetch(`${base}/emails`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${opts.apiKey}`,
          'content-type': 'application/json',
          // The same message row retried is the same send: Resend keeps an idempotency key for 24 h.
          ...(mail.messageId ? { 'idempotency-key': mail.messageId.slice(0, 256) } : {}),
        },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) {
        // The delivery classifier reads "HTTP <status>"; Resend answers { statusCode, name, message }.
        let why = text.slice(0, 200);
        try {
          const j = JSON.parse(text) as { name?: string; message?: string };
          why = [j.name, j.message].filter(Boolean).join(': ') || why;
        } catch {
          /* not JSON */
        }
        throw new Error(`Resend HTTP ${res.status}: ${why}`);
      }
      const id = (JSON.parse(text) as { id?: string }).id;
      return { messageId: mail.messageId ?? id };
    },
  };
}
