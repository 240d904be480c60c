import type { Lang } from '../i18n/index.js';

/**
 * The person at the keyboard as the role rules need them: the fields of a frame session
 * (src/http/session.ts's Session has them all) without the HTTP that carried it, so the rules run
 * wherever the domain does.
 */
export interface Person {
  portalId: string;
  /** Bitrix24 user id. */
  userId: number;
  /** Portal administrator (Bitrix24's user.admin): always an admin here. */
  isAdmin: boolean;
  lang: Lang;
  /** The frame_sessions row holding the person's own Bitrix24 token pair; CRM reads use it. */
  sid?: string;
}
