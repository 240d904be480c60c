import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on a free local port that keeps every message it receives, parsed. `refuse`
 * answers RCPT TO for an address with a reply code (450: try later; 550: no such mailbox) instead of
 * accepting it; it can be changed while the peer runs.
 */
export async function startSmtpPeer(opts: { refuse?: (address: string) => { code: number; message: string } | undefined } = {}) {
  const received: ParsedMail[] = [];
  const rcpts: string[] = [];
  const peer: { refuse?: typeof opts.refuse } = { refuse: opts.refuse };
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      rcpts.push(address.address);
      const no = peer.refuse?.(address.address);
      if (!no) return callback();
      callback(Object.assign(new Error(no.message), { responseCode: no.code }));
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push(mail);
          waiters.splice(0).forEach((w) => w());
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return Object.assign(peer, {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Every RCPT TO seen, refused ones included. */
    rcpts,
    /** Resolves with the first message (already received or arriving) that matches. */
    async waitFor(pred: (m: ParsedMail) => boolean, timeoutMs = 5000): Promise<ParsedMail> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error('no matching mail arrived');
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

export const toAddress = (m: ParsedMail) => (Array.isArray(m.to) ? m.to[0] : m.to)?.value[0]?.address;
