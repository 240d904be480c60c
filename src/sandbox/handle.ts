import type { Emulator } from '../emulator/index.js';

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
}
