import { pino, type Logger } from 'pino';

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

export function createLogger(opts: { level: string; pretty?: boolean }): Logger {
  return pino({
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(opts.pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
