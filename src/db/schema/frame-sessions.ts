import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';

/**
 * The user's own token pair from the frame POST that opened a session (AUTH_ID, REFRESH_ID,
 * AUTH_EXPIRES), so CRM reads made for that session run with the user's rights, not the installer's.
 * Keyed by the random id the signed session carries; bound to one portal and one user. Both tokens
 * are sealed with TOKEN_ENCRYPTION_KEYS like the portal's (src/bitrix24/user-tokens.ts).
 */
export const frameSessions = pgTable(
  'frame_sessions',
  {
    id: text('id').primaryKey(),
    portalId: portalIdColumn(),
    userId: integer('user_id').notNull(),
    accessToken: text('access_token').notNull(),
    refreshToken: text('refresh_token'),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    /** Bumped by every refresh: a refresh only replaces the pair it started from. */
    tokenVersion: integer('token_version').notNull().default(1),
    /** The session's own end (the signed session's exp): rows past it are deleted. */
    sessionExpiresAt: timestamp('session_expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    ...timestamps,
  },
  (t) => [index('frame_sessions_expiry_idx').on(t.sessionExpiresAt)],
);

export type FrameSessionRow = typeof frameSessions.$inferSelect;
