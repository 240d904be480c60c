import { sendForSigningRobot } from '../bitrix24/manifest.js';
import type { Config } from '../config.js';
import { createEmulator } from '../emulator/index.js';
import { findPortalByMemberId } from '../portals/store.js';
import type { Services } from '../services.js';
import { SANDBOX, sandboxConfig, sandboxUrls } from './config.js';
import { sandboxFetch } from './fetch.js';
import type { SandboxHandle } from './handle.js';
import { createSandboxMailbox, type SandboxMailbox } from './mailbox.js';
import { persistPortal, readSnapshot, restoreSnapshot } from './persist.js';
import { join } from 'node:path';

export interface Sandbox {
  /** The configuration to build services with (sandbox app credentials, loopback portal, quick timeline…). */
  config: Config;
  /** services.fetch: the sandbox portal in-process, everything else to `outbound`. */
  fetch: typeof fetch;
  handle: SandboxHandle;
  /** services.mailer when no SMTP_URL is set: mail goes into the sandbox mailbox, not out. */
  mailer: SandboxMailbox;
  /**
   * Creates the sandbox portal in the emulator and installs the app on it through the real
   * `/b24/install` (ONAPPINSTALL), then puts the robot on its stage. Run it before the job runner
   * starts: until the install has stored fresh tokens, the stored ones belong to the last run's
   * emulator and would be refused.
   */
  start(services: Services, appFetch: (req: Request) => Response | Promise<Response>): Promise<{ portalId: string; url: string }>;
  /** Writes the portal's history to DATA_DIR one last time (shutdown). */
  stop(): void;
}

export function createSandbox(config: Config, outbound: typeof fetch): Sandbox {
  const urls = sandboxUrls(config);
  let appFetch: (req: Request) => Response | Promise<Response> = () => {
    throw new Error('sandbox: the app is not connected yet');
  };
  // Rate limits stay on: the sandbox shows the app living within Bitrix24's budget.
  const emulator = createEmulator({ baseUrl: urls.emulatorBase, appFetch: (req) => appFetch(req), pdfDelayMs: SANDBOX.pdfDelayMs });
  const domain = `${SANDBOX.portalName}.bitrix24.test`;
  const snapshotFile = join(config.DATA_DIR, 'sandbox-portal.json');
  let persisted: ReturnType<typeof persistPortal> | undefined;
  const mailbox = createSandboxMailbox(join(config.DATA_DIR, 'sandbox-mail.json'));
  const handle: SandboxHandle = {
    emulator, memberId: SANDBOX.memberId, domain, tourDealId: SANDBOX.tourDealId, robotStageId: SANDBOX.robotStageId, origin: urls.origin, mailbox,
  };
  return {
    config: sandboxConfig(config),
    fetch: sandboxFetch(emulator, { origin: urls.origin, emulatorBase: urls.emulatorBase, domain }, outbound),
    handle,
    mailer: mailbox,
    async start(services, fn) {
      appFetch = fn;
      const { control } = emulator;
      // Same member_id and domain every run: the stored portal row is found again by member_id.
      await control.createPortal({ name: SANDBOX.portalName, memberId: SANDBOX.memberId, languageId: 'en' });
      // The portal's history from the last run (timeline, stages, waiting robots) comes back first.
      const snapshot = readSnapshot(snapshotFile);
      if (snapshot) restoreSnapshot(control.portal(SANDBOX.memberId), snapshot);
      const install = await control.installApp({
        memberId: SANDBOX.memberId,
        clientId: SANDBOX.clientId,
        clientSecret: SANDBOX.clientSecret,
        installUrl: `${config.publicUrl}/b24/install`,
        appUrl: `${config.publicUrl}/b24/app`,
        handlerBase: config.publicUrl,
        flavour: 'event',
        languageId: 'en',
      });
      const d = install.delivery;
      if (!d || d.status !== 200) {
        throw new Error(`sandbox: installing the app on the sandbox portal failed (${d?.status ?? 'no answer'}${d?.error ? `: ${d.error}` : ''}): ${d?.body.slice(0, 400) ?? ''}`);
      }
      const portal = await findPortalByMemberId(services.db, SANDBOX.memberId);
      if (!portal) throw new Error('sandbox: the install did not store the portal');
      handle.portalId = portal.id;
      control.attachRobot({
        memberId: SANDBOX.memberId,
        code: sendForSigningRobot.code,
        stageId: SANDBOX.robotStageId,
        properties: { template: SANDBOX.robotTemplate, wait: 'Y' },
      });
      persisted = persistPortal(() => control.portal(SANDBOX.memberId), snapshotFile);
      return { portalId: portal.id, url: urls.home };
    },
    stop() {
      persisted?.stop();
      persisted = undefined;
    },
  };
}
