import { z } from 'zod';
import { parseCidr } from './lib/ip.js';
import { createTokenKeyring, parseTokenKeys, type TokenKeyring } from './lib/token-keyring.js';

/** Empty strings in the environment mean "unset", as they do in most shells and CI systems. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const flag = (fallback: boolean) =>
  z.preprocess((v) => (v === undefined || v === '' ? fallback : ['1', 'true', 'yes', 'on'].includes(String(v).toLowerCase())), z.boolean());

/** What reaching the database needs: all `npm run db:migrate` reads, so migrating never asks for the seal or OAuth keys. */
const databaseFields = {
  DATABASE_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  ),
  DATA_DIR: z.string().default('./.data'),
  /** The SQL migrations; by default the `migrations/` found above the running code (src/ or dist/). */
  MIGRATIONS_DIR: optionalString,
};

/** Unset in production, each of these stops start-up (exit 78) with one line saying what to set. */
const REQUIRED_IN_PRODUCTION = {
  PUBLIC_URL: 'the https:// address where Bitrix24 and signers reach this service',
  SESSION_SECRET: 'at least 32 random characters (e.g. `openssl rand -base64 48`)',
  BITRIX24_CLIENT_ID: "the application's client id (Bitrix24 developer resources or Vendor Partner dashboard)",
  BITRIX24_CLIENT_SECRET: "the application's client secret, issued with BITRIX24_CLIENT_ID",
  SEAL_P12_PATH: 'the PKCS#12 file with the seal certificate and key; the generated development certificate is never used in production',
  TOKEN_ENCRYPTION_KEYS: 'id:base64key of 32 random bytes that seals stored Bitrix24 tokens (e.g. `k1:$(openssl rand -base64 32)`)',
} as const;

export const ZConfig = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    /** Where Bitrix24, signers and auditors reach this service; used in every link we hand out. */
    PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
    ...databaseFields,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: flag(false),
    BITRIX24_CLIENT_ID: optionalString,
    BITRIX24_CLIENT_SECRET: optionalString,
    /** The app's code in `/marketplace/view/<code>/` deep links (REST_APP_URI); defaults to the client id. */
    BITRIX24_APP_CODE: optionalString,
    /** The OAuth server used to verify a first install when the request names none (western cloud by default). */
    BITRIX24_OAUTH_SERVER_ENDPOINT: z.url().default('https://oauth.bitrix.info/rest/'),
    /** Plain http to loopback portals, for tests and the sandbox only. */
    BITRIX24_ALLOW_INSECURE_ENDPOINTS: flag(false),
    /** Leaky bucket per portal: 2 req/s with a burst of 50 on ordinary plans, 5/250 on Enterprise. */
    BITRIX24_RATE_PER_SECOND: z.coerce.number().positive().default(2),
    BITRIX24_RATE_BURST: z.coerce.number().int().positive().default(50),
    /** OAuth servers allowed to receive the client secret on refresh (comma-separated; the two Bitrix24 regions by default). */
    BITRIX24_OAUTH_HOSTS: z.preprocess(
      (v) => (v === undefined || v === '' ? undefined : String(v).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)),
      z.array(z.string()).default(['oauth.bitrix.info', 'oauth.bitrix24.tech']),
    ),
    /** Host names that may resolve to private addresses (self-hosted portals on an internal network); none by default (src/entry/outbound-fetch.ts). */
    BITRIX24_PRIVATE_HOSTS: z.preprocess(
      (v) => (v === undefined || v === '' ? [] : String(v).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)),
      z.array(z.string()),
    ),
    /** Secret for session and signer-link tokens (HS256). Generated and persisted in DATA_DIR when unset outside production. */
    SESSION_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(32, 'must be at least 32 characters').optional()),
    /**
     * Keys sealing the stored OAuth access and refresh tokens: `id:base64key,…` (32-byte keys), the first
     * seals, all open (rotation). Generated and persisted in DATA_DIR when unset outside production.
     */
    TOKEN_ENCRYPTION_KEYS: optionalString,
    SANDBOX: flag(true),
    JOBS_CONCURRENCY: z.coerce.number().int().min(0).max(64).default(2),
    /** How often an idle job runner looks for due jobs. */
    JOBS_POLL_MS: z.coerce.number().int().min(50).default(1000),
    /** A claimed job's lease: the backstop for holders that never heartbeat; renewed with every heartbeat. */
    JOBS_LEASE_MS: z.coerce.number().int().min(1000).default(60_000),
    /** How often a runner stamps heartbeat_at on the jobs it holds (a timer, so busy handlers still beat). */
    JOBS_HEARTBEAT_MS: z.coerce.number().int().min(100).default(2_000),
    /** A running job whose holder has been silent this long is taken over; it is also the longest event-loop stall a holder survives, less one heartbeat. */
    JOBS_TAKEOVER_MS: z.coerce.number().int().min(1000).default(8_000),
    SMTP_URL: optionalString,
    MAIL_FROM: z.string().default('b24-sign <no-reply@localhost>'),
    SEAL_P12_PATH: optionalString,
    SEAL_P12_PASSPHRASE: optionalString,
    TSA_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
    UPLOAD_MAX_BYTES: z.coerce.number().int().positive().default(25 * 1024 * 1024),
    UPLOAD_MAX_PAGES: z.coerce.number().int().positive().default(500),
    /** An uploaded PDF is parsed in a worker thread bounded by this time and heap; hostile files are refused, never fatal. */
    UPLOAD_PARSE_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000),
    UPLOAD_PARSE_MEMORY_MB: z.coerce.number().int().min(32).default(512),
    /** Sealed documents and their verification records outlive an uninstall: third parties rely on them. */
    RETENTION_YEARS: z.coerce.number().int().min(0).default(5),
    /**
     * CRM timeline reports wait this long after an envelope's latest event so that events close
     * together (open, code, sign) reach Bitrix24 in one batch; never longer than TIMELINE_MAX_WAIT_MS.
     */
    TIMELINE_DEBOUNCE_MS: z.coerce.number().int().min(0).default(2000),
    TIMELINE_MAX_WAIT_MS: z.coerce.number().int().min(0).default(30_000),
    /** Public verify door: checks per client IP per minute (uploads and id look-ups). */
    VERIFY_RATE_PER_MINUTE: z.coerce.number().int().positive().default(30),
    /** Install door (/b24/install): POSTs per client IP per minute; each unverified one costs calls to the OAuth server. */
    BITRIX24_INSTALL_RATE_PER_MINUTE: z.coerce.number().int().positive().default(30),
    /** Frame doors (app page, placements): POSTs per client IP per minute; an office behind one NAT address shares it. */
    BITRIX24_FRAME_RATE_PER_MINUTE: z.coerce.number().int().positive().default(300),
    /** Proxies whose X-Forwarded-For is believed (IPs or CIDR ranges, comma-separated); none by default (src/http/client-ip.ts). */
    TRUSTED_PROXIES: z.preprocess(
      (v) => (v === undefined || v === '' ? [] : String(v).split(',').map((s) => s.trim()).filter(Boolean)),
      z.array(z.string().refine((s) => parseCidr(s) !== undefined, { message: 'each entry must be an IP address or a CIDR range (e.g. 10.0.0.0/8)' })),
    ),
    /** A public verification runs in a worker thread bounded by this time and heap (PDF_TOO_COMPLEX beyond). */
    VERIFY_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    VERIFY_MEMORY_MB: z.coerce.number().int().min(32).default(256),
  })
  .superRefine((c, ctx) => {
    if (c.JOBS_TAKEOVER_MS < 2 * c.JOBS_HEARTBEAT_MS) {
      ctx.addIssue({ code: 'custom', path: ['JOBS_TAKEOVER_MS'], message: 'must be at least two JOBS_HEARTBEAT_MS, or live runners lose their jobs' });
    }
    if (c.TOKEN_ENCRYPTION_KEYS) {
      const parsed = parseTokenKeys(c.TOKEN_ENCRYPTION_KEYS);
      if ('problems' in parsed) for (const message of parsed.problems) ctx.addIssue({ code: 'custom', path: ['TOKEN_ENCRYPTION_KEYS'], message });
    }
    if (c.NODE_ENV === 'production') {
      // Production never falls back to a development stand-in (sandbox, generated secret or seal).
      for (const [name, why] of Object.entries(REQUIRED_IN_PRODUCTION)) {
        if (!c[name as keyof typeof REQUIRED_IN_PRODUCTION]) ctx.addIssue({ code: 'custom', path: [name], message: `is required in production (${why})` });
      }
      // Production trusts exactly BITRIX24_OAUTH_HOSTS: the default server may not widen it.
      const defaultHost = new URL(c.BITRIX24_OAUTH_SERVER_ENDPOINT).hostname.toLowerCase();
      if (!c.BITRIX24_OAUTH_HOSTS.includes(defaultHost)) {
        ctx.addIssue({ code: 'custom', path: ['BITRIX24_OAUTH_SERVER_ENDPOINT'], message: `host ${defaultHost} must be listed in BITRIX24_OAUTH_HOSTS in production` });
      }
    } else if (Boolean(c.BITRIX24_CLIENT_ID) !== Boolean(c.BITRIX24_CLIENT_SECRET)) {
      ctx.addIssue({ code: 'custom', path: ['BITRIX24_CLIENT_SECRET'], message: 'BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET go together' });
    }
  });

export type Config = z.infer<typeof ZConfig> & {
  publicUrl: string;
  /** SESSION_SECRET, or one generated and persisted by the entry (development only). */
  sessionSecret: string;
  /** Seals and opens stored portal tokens: TOKEN_ENCRYPTION_KEYS, or a key generated and persisted by the entry (development only). */
  tokenKeyring: TokenKeyring;
  /** The sandbox portal runs only without real credentials, never in production. */
  sandboxEnabled: boolean;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function parseOrThrow<T>(schema: z.ZodType<T>, raw: Record<string, string | undefined>): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return parsed.data;
}

/** Pure: parses a raw environment once; the only place that knows variable names. */
export function parseConfig(raw: Record<string, string | undefined>, fallbackSecret?: () => string, fallbackTokenKeys?: () => string): Config {
  const c = parseOrThrow(ZConfig, raw);
  const tokenKeys = parseTokenKeys(c.TOKEN_ENCRYPTION_KEYS ?? fallbackTokenKeys?.() ?? '');
  const publicUrl = (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, '');
  return {
    ...c,
    publicUrl,
    sessionSecret: c.SESSION_SECRET ?? fallbackSecret?.() ?? '',
    // Without any key (tests that set none) sealing fails loudly at the first token write.
    tokenKeyring: createTokenKeyring('keys' in tokenKeys ? tokenKeys.keys : []),
    sandboxEnabled: c.SANDBOX && c.NODE_ENV !== 'production' && !c.BITRIX24_CLIENT_ID,
  };
}

export type DatabaseConfig = Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'MIGRATIONS_DIR'>;

/** Only the database settings (`npm run db:migrate`), with the same rules as parseConfig. */
export function parseDatabaseConfig(raw: Record<string, string | undefined>): DatabaseConfig {
  return parseOrThrow(z.object(databaseFields), raw);
}
