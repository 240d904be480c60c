import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Mailer, OutgoingMail } from '../notify/mailer.js';

/**
 * The sandbox has no SMTP server, yet its mailbox page must show the links and codes a signer would
 * get. The `messages` table cannot hold them: a delivered row is scrubbed (src/notify/jobs.ts). So
 * the sandbox's mailer "sends" into this box instead: kept in memory, written to one JSON file in
 * DATA_DIR (so a restart keeps the tour's mail, like the portal snapshot), keyed by message row id.
 * Sandbox only: production has no such mailer, and its rows are the only copy and hold no secret.
 */
export interface CapturedMail {
  subject: string;
  text: string;
  html?: string;
}

export interface SandboxMailbox extends Mailer {
  /** The mail as sent for one `messages` row, if this box took it. */
  get(messageId: string): CapturedMail | undefined;
}

/** Enough for any tour; the oldest mails go first. */
const KEEP = 500;

/** The row id from the Message-ID `<id@host>` deliver sets (src/notify/jobs.ts). */
const rowIdOf = (messageId: string | undefined) => /^<([^@>]+)@/.exec(messageId ?? '')?.[1];

export function createSandboxMailbox(file: string): SandboxMailbox {
  const box = new Map<string, CapturedMail>(read(file));
  const write = () => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify([...box]));
    renameSync(`${file}.tmp`, file);
  };
  return {
    async send(m: OutgoingMail) {
      const id = rowIdOf(m.messageId);
      if (!id) throw new Error('sandbox mailbox: a mail without a message row id');
      box.delete(id);
      box.set(id, { subject: m.subject, text: m.text, ...(m.html ? { html: m.html } : {}) });
      while (box.size > KEEP) box.delete(box.keys().next().value!);
      write();
      return { messageId: m.messageId };
    },
    get: (id) => box.get(id),
  };
}

function read(file: string): [string, CapturedMail][] {
  if (!existsSync(file)) return [];
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(v) ? (v as [string, CapturedMail][]) : [];
  } catch {
    return []; // a damaged file only costs old mail, never the start
  }
}
