import type { Emulator } from '../emulator/index.js';
import type { SandboxMailbox } from './mailbox.js';

/** What the sandbox pages need at request time (services.sandbox). */
export interface SandboxHandle {
  emulator: Emulator;
  memberId: string;
  domain: string;
  /** Our `portals.id` for the sandbox portal; set once the install went through. */
  portalId?: string;
  /** Why the sandbox could not start (shown on /sandbox instead of the portal). */
  startError?: string;
  tourDealId: string;
  robotStageId: string;
  /** `<origin>` of PUBLIC_URL: the sandbox portal's origin too (frame-ancestors must match it). */
  origin: string;
  /** What the sandbox's mailer "sent" (the mailbox page shows it; the delivered rows are scrubbed). */
  mailbox: SandboxMailbox;
}
