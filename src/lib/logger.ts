import { pino, type Logger } from 'pino';
import { redactDeep, redactTokens } from './redact.js';

export type { Logger };

/**
 * Secrets never reach logs: tokens, codes and passwords are redacted wherever they appear in a
 * logged object, including Bitrix24's bracketed form keys.
 */
export const REDACT_PATHS = [
  'access_token', 'refresh_token', 'application_token', 'AUTH_ID', 'REFRESH_ID', 'APPLICATION_TOKEN', 'password', 'passphrase', 'code', 'otp', 'token',
  '*.access_token', '*.refresh_token', '*.application_token', '*.AUTH_ID', '*.REFRESH_ID', '*.APPLICATION_TOKEN', '*.password', '*.passphrase', '*.otp', '*.token',
  'auth.*', '*.auth.*', 'headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie',
];

/**
 * Signer and final links (their token part) are scrubbed from every message, logged value and
 * error, whatever key they hide under: the paths above cannot name a URL inside a message.
 */
const linkScrubbing = {
  hooks: {
    logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
      method.apply(this, args.map((a) => (typeof a === 'string' ? redactTokens(a) : a)));
    },
  },
  formatters: { log: (obj: Record<string, unknown>) => redactDeep(obj) },
  serializers: { err: (e: unknown) => JSON.parse(redactTokens(JSON.stringify(pino.stdSerializers.err(e as Error)))) as unknown },
};

/**
 * `destination`: where lines go instead of stdout (tests read them back). Stdout is written
 * asynchronously: a synchronous write per line was one system call per request, 9% of the robot
 * door's CPU; now lines logged while a write is in flight go out together in the next one. Nothing
 * waits for a full buffer, so a quiet server's last line is not held back; pino flushes on exit,
 * and a `kill -9` loses at most the lines of the write in flight.
 */
export function createLogger(opts: { level: string; pretty?: boolean }, destination?: { write(line: string): void }): Logger {
  const options = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...linkScrubbing,
    ...(opts.pretty && !destination ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  };
  if (destination) return pino(options, destination);
  return opts.pretty ? pino(options) : pino(options, pino.destination({ dest: 1, sync: false }));
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
