/**
 * Wiring for the robot and timeline tests: our app + the emulated portal + a job runner with the
 * robot, timeline and signing jobs, and a signer who acts through the public signing routes.
 */
import { and, asc, eq } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { createBitrix24 } from '../../src/bitrix24/client.js';
import { messages } from '../../src/db/schema/messages.js';
import { portals } from '../../src/db/schema/portals.js';
import { recipients } from '../../src/db/schema/recipients.js';
import type { EmulatorOptions } from '../../src/emulator/index.js';
import { handlersFrom } from '../../src/jobs/queue.js';
import { createJobRunner, type JobRunner } from '../../src/jobs/runner.js';
import { silentLogger } from '../../src/lib/logger.js';
import { ROBOT_JOBS } from '../../src/robots/jobs.js';
import { SIGNING_JOBS } from '../../src/signing/jobs.js';
import type { Clock } from '../../src/lib/clock.js';
import { startEmulator, type StartedEmulator } from './emulator.js';
import { createTestServices, ManualClock } from './services.js';
import { codeFromBody, TINY_PNG_B64, tokenFromBody } from './signing.js';

export const PUBLIC = 'http://b24sign.test';
export const CLIENT = { clientId: 'local.b24sign.test', clientSecret: 'secret-of-the-test-app' };
export const ROBOT_CODE = 'b24sign_send_for_signing';

export type RobotWorld = Awaited<ReturnType<typeof robotWorld>>;

export async function robotWorld(opts: { env?: Record<string, string>; emulator?: EmulatorOptions; retryBaseMs?: number; realTime?: boolean; concurrency?: number } = {}) {
  // Tests move a manual clock past backoffs; the bench runs in real time.
  const manual = new ManualClock(new Date());
  const clock: Clock & { advance(ms: number): void } = opts.realTime ? { now: () => new Date(), advance: () => {} } : manual;
  const services = await createTestServices({
    clock,
    env: {
      PUBLIC_URL: PUBLIC,
      BITRIX24_CLIENT_ID: CLIENT.clientId,
      BITRIX24_CLIENT_SECRET: CLIENT.clientSecret,
      BITRIX24_OAUTH_SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/',
      TIMELINE_DEBOUNCE_MS: '0',
      ...opts.env,
    },
  });
  // Fast client-side backoff: the tests drive time themselves.
  services.bitrix24 = createBitrix24({ db: services.db, fetch: services.fetch, clock, logger: services.logger, config: services.config, options: { retryBaseMs: opts.retryBaseMs ?? 2 } });
  const app = createApp(services);
  const emu: StartedEmulator = await startEmulator({ rateLimit: false, ...opts.emulator, appFetch: async (req) => app.request(req) });
  /** A portal with the app installed (ONAPPINSTALL through our install door). */
  async function addPortal() {
    const p = await emu.control.createPortal({});
    await emu.control.installApp({ memberId: p.memberId, ...CLIENT, installUrl: `${PUBLIC}/b24/install`, handlerBase: PUBLIC, flavour: 'event' });
    const [r] = await services.db.select({ id: portals.id }).from(portals).where(eq(portals.memberId, p.memberId));
    return { memberId: p.memberId, portalId: r!.id };
  }
  const portal = await addPortal();
  const runner: JobRunner = createJobRunner({
    db: services.db,
    handlers: handlersFrom([...SIGNING_JOBS, ...ROBOT_JOBS]),
    services,
    logger: silentLogger(),
    clock,
    concurrency: opts.concurrency ?? 4,
    pollMs: 20,
    leaseMs: 60_000,
    workerId: 'test-runner',
  });

  const memberId = portal.memberId;
  const st = () => emu.control.portal(memberId);
  const portalId = portal.portalId;

  /** Runs due jobs; moves the clock past backoffs `rounds` times so retried jobs get their turn. */
  async function drain(rounds = 1, stepMs = 10 * 60_000) {
    await runner.runUntilIdle();
    for (let i = 1; i < rounds; i++) {
      clock.advance(stepMs);
      await runner.runUntilIdle();
    }
  }

  /** A signer acting through the public routes: open, one-time code, sign (or decline). */
  async function act(recipientId: string, what: { sign?: true; decline?: string }) {
    const [m] = await services.db
      .select()
      .from(messages)
      // The e-mail copy: it is only recorded here (no SMTP), while the messenger copy is sent and scrubbed.
      .where(and(eq(messages.recipientId, recipientId), eq(messages.template, 'invitation'), eq(messages.channel, 'email')))
      .orderBy(asc(messages.createdAt));
    if (!m) throw new Error(`no invitation for ${recipientId}`);
    const token = tokenFromBody(m.body)!;
    const req = async (path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'vitest', 'x-forwarded-for': '203.0.113.9', ...headers },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const data = (await res.json()) as any;
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(data)}`);
      return data;
    };
    await req(`/api/sign/${token}/open`);
    await req(`/api/sign/${token}/code`);
    const [code] = await services.db
      .select()
      .from(messages)
      .where(and(eq(messages.recipientId, recipientId), eq(messages.template, 'code')))
      .orderBy(asc(messages.createdAt));
    const v = await req(`/api/sign/${token}/verify`, { code: codeFromBody(code!.body) });
    // Declining is confirmed with the code too (src/signing/flow.ts decline).
    if (what.decline) return req(`/api/sign/${token}/decline`, { reason: what.decline }, { 'x-sign-action': v.actionToken });
    return req(`/api/sign/${token}/sign`, { acceptTerms: true, values: {}, signature: { method: 'drawn', image: `data:image/png;base64,${TINY_PNG_B64}` } }, { 'x-sign-action': v.actionToken });
  }

  async function recipientsOf(envelopeId: string) {
    return services.db.select().from(recipients).where(eq(recipients.envelopeId, envelopeId)).orderBy(asc(recipients.signOrder));
  }

  /** A category-0 deal not yet on `stageId`. */
  function dealNotOn(stageId: string, skip: Set<string> = new Set(), member = memberId): string {
    for (const d of emu.control.portal(member).deals.values()) {
      const id = String(d.ID);
      if (String(d.CATEGORY_ID) === '0' && d.STAGE_ID !== stageId && !skip.has(id)) return id;
    }
    throw new Error('no deal left');
  }

  async function close() {
    await runner.stop();
    emu.close();
    await services.testDb.close();
  }

  return { services, clock, app, emu, memberId, portalId, addPortal, st, runner, drain, act, recipientsOf, dealNotOn, close };
}
