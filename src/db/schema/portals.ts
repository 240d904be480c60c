import { sql } from 'drizzle-orm';
import { doublePrecision, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';

export type PortalStatus = 'installed' | 'needs_reauth' | 'uninstalled';

export type PortalSettings = {
  /** Default company signer (Bitrix24 user id) when a template names none. */
  companySignerUserId?: number;
  reminderFirstDays?: number;
  reminderEveryDays?: number;
  reminderMax?: number;
  expiryDays?: number;
  branding?: { name?: string; color?: string };
  [key: string]: unknown;
};

export const portals = pgTable(
  'portals',
  {
    id: text('id').primaryKey(),
    /** Bitrix24's stable portal key; domains change on rename, member_id never does. */
    memberId: text('member_id').notNull(),
    domain: text('domain').notNull(),
    /** https://<portal>/rest/ — the only place REST calls go. */
    clientEndpoint: text('client_endpoint').notNull(),
    /** OAuth server for the portal's region, e.g. https://oauth.bitrix.info/rest/ */
    serverEndpoint: text('server_endpoint'),
    /**
     * `sha256:<hex>` of the application_token, never the token: it is only ever compared (src/lib/app-token.ts).
     * A value without the prefix is a row from before digests, digested by the start-up pass (src/portals/seal-tokens.ts).
     */
    applicationTokenDigest: text('application_token'),
    /** Sealed with TOKEN_ENCRYPTION_KEYS (src/lib/token-keyring.ts); opened only in src/bitrix24/portal-store.ts. */
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    /** Bumped on every token change: refresh is a compare-and-swap on this number. */
    tokenVersion: integer('token_version').notNull().default(0),
    scope: text('scope'),
    status: text('status').$type<PortalStatus>().notNull().default('installed'),
    /** Bumped by every uninstall: a session carries the generation it was issued in and dies with it. */
    installGeneration: integer('install_generation').notNull().default(0),
    installedByUserId: integer('installed_by_user_id'),
    settings: jsonb('settings').$type<PortalSettings>().notNull().default(sql`'{}'::jsonb`),
    lastError: text('last_error'),
    uninstalledAt: timestamp('uninstalled_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (t) => [uniqueIndex('portals_member_id_key').on(t.memberId)],
);

/** Leaky bucket per portal, shared by every app instance through the database. */
export const rateBuckets = pgTable('rate_buckets', {
  portalId: text('portal_id').primaryKey(),
  level: doublePrecision('level').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  /** Per-method pauses after OPERATION_TIME_LIMIT: { "crm.deal.list": "2026-…Z" }. */
  pausedUntil: jsonb('paused_until').$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
});

export type Portal = typeof portals.$inferSelect;
export type NewPortal = typeof portals.$inferInsert;
