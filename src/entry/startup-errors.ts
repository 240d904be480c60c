import { ConfigError } from '../config.js';
import { AppError } from '../lib/app-error.js';
import { TokenKeyError } from '../lib/token-keyring.js';

/** EX_CONFIG from sysexits.h: supervisors and operators can tell "fix the settings" from a crash. */
export const EXIT_CONFIG = 78;

/**
 * A configuration problem found at start: one line per problem naming the variable, then exit 78.
 * A seal certificate that is missing, unreadable or unfit counts as configuration (SEAL_P12_PATH);
 * so do stored tokens that TOKEN_ENCRYPTION_KEYS cannot open; anything else is rethrown as a crash.
 */
export function exitIfConfigProblem(e: unknown, who = 'b24-sign'): never {
  let lines: string[] | undefined;
  if (e instanceof ConfigError) lines = e.problems;
  else if (e instanceof AppError && (e.code === 'CERTIFICATE_INVALID' || e.code.startsWith('CERT_'))) lines = [`SEAL_P12_PATH: ${e.message}`];
  else if (e instanceof TokenKeyError) lines = [`TOKEN_ENCRYPTION_KEYS: ${e.message}`];
  if (!lines) throw e;
  for (const line of lines) console.error(`${who} cannot start: ${line}`);
  return process.exit(EXIT_CONFIG);
}
