/**
 * The control surface: what a portal user or Bitrix24 itself would do (create a portal, install the app,
 * open a placement, move a deal, uninstall), what a test wants to see (every REST call, registration,
 * timeline entry, event.send, notification, delivery) and what a test wants to break (faults, expiry,
 * operating blocks). Exposed as plain methods on `emulator.control` and over HTTP under `/_emulator/`.
 */
import { deliver, type Delivery } from './deliver.js';
import { addFault, clearFaults } from './faults.js';
import { blockMethod } from './limits.js';
import { framePayload, installPayload, uninstallPayload, eventPayload, type FrameFormat, type InstallVariant } from './payloads.js';
import { hex } from './random.js';
import { fireEvent, fireRobot, moveDeal, startRobot, type RobotFiring, type StageMove } from './robots.js';
import { phpBuildQuery } from './php-form.js';
import { seedPortal } from './seed.js';
import type { EmulatorState } from './state.js';
import { expireAccessTokens, issueTokens, revokeTokens, type TokenResponse } from './tokens.js';
import type { AppStatus, CallRecord, FaultSpec, InstalledApp, Portal } from './types.js';

/** What the app's README asks an admin to grant (user_basic: employees' e-mails). */
export const DEFAULT_SCOPE = ['crm', 'bizproc', 'placement', 'user_basic', 'department', 'im', 'documentgenerator', 'disk'];

export interface PortalInfo {
  memberId: string;
  name: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string;
  tokenUrl: string;
  adminUserId: string;
  users: { id: string; name: string; isAdmin: boolean }[];
  /** Present when an app was installed with the portal. */
  app?: InstallResult;
}

export interface InstallAppOptions {
  memberId: string;
  clientId: string;
  clientSecret: string;
  /** ONAPPINSTALL target (flavour 'event') or the wizard page (flavour 'wizard'). */
  installUrl?: string;
  /** The app's main page ("Handler path"), framed with PLACEMENT=DEFAULT by openApp. Default: installUrl. */
  appUrl?: string;
  /** Origin of the app's handlers; robot HANDLERs on another host get ERROR_WRONG_HANDLER_URL. */
  handlerBase?: string;
  /** 'event': POST ONAPPINSTALL (installed at once); 'wizard': frame POST, installed after finishInstall; 'none': no POST. */
  flavour?: 'event' | 'wizard' | 'none';
  /** ONAPPINSTALL as real portals send it ('capture') or as the docs sample ('doc': no expires/user_id). */
  variant?: InstallVariant;
  /** data[ACTIVE]: 'Y' (docs, captures) or '1' (b24jssdk types). */
  activeFlag?: 'Y' | '1';
  frameFormat?: FrameFormat;
  scope?: string[] | string;
  version?: string;
  status?: AppStatus;
  userId?: string;
  languageId?: string;
}

export interface InstallResult {
  clientId: string;
  applicationToken: string;
  installed: boolean;
  tokens: TokenResponse;
  accessToken: string;
  refreshToken: string;
  delivery?: Delivery;
}

export interface OpenPlacementOptions {
  memberId: string;
  placement: string;
  options?: Record<string, unknown> | string;
  userId?: string;
  clientId?: string;
  /** Pick one binding when the app bound the placement several times. */
  handler?: string;
  format?: FrameFormat;
  lang?: string;
}

const shortName = (u: Record<string, unknown>) => `${u.NAME} ${u.LAST_NAME}`;

export function createControl(st: EmulatorState) {
  let portalCount = 0;

  function pickApp(p: Portal, clientId?: string): InstalledApp {
    const app = clientId ? p.apps.get(clientId) : [...p.apps.values()][0];
    if (!app) throw new Error(`emulator: no installed app${clientId ? ` ${clientId}` : ''} on ${p.domain}`);
    return app;
  }

  function info(p: Portal, app?: InstallResult): PortalInfo {
    return {
      memberId: p.memberId, name: p.name, domain: p.domain, clientEndpoint: st.hosts.clientEndpoint(p.domain), serverEndpoint: st.hosts.serverEndpoint(),
      tokenUrl: st.hosts.tokenUrl(), adminUserId: p.adminUserId,
      users: p.users.map((u) => ({ id: String(u.ID), name: shortName(u), isAdmin: p.admins.has(String(u.ID)) })),
      ...(app ? { app } : {}),
    };
  }

  const control = {
    /**
     * A new portal seeded from the sample dataset; with `app`, that app is installed too (see installApp).
     * `pathPrefix` (e.g. `/b24`) serves the portal behind a path, as a proxy would: REST only at
     * `https://<domain>/b24/rest/`, and that is the client_endpoint every payload names.
     */
    async createPortal(opts: { name?: string; memberId?: string; plan?: 'basic' | 'enterprise'; languageId?: string; pathPrefix?: string; app?: Omit<InstallAppOptions, 'memberId'> } = {}): Promise<PortalInfo> {
      portalCount++;
      const name = (opts.name ?? `portal${portalCount}-${hex(2)}`).toLowerCase();
      const domain = `${name}.bitrix24.test`;
      if (st.byDomain.has(domain)) throw new Error(`emulator: domain ${domain} is taken`);
      // A fixed member_id lets a host recreate "the same" portal after a restart (the sandbox does).
      if (opts.memberId && st.portals.has(opts.memberId)) throw new Error(`emulator: member_id ${opts.memberId} is taken`);
      const seed = seedPortal(st.now());
      const p: Portal = {
        memberId: opts.memberId ?? hex(16), name, domain, previousDomains: [], plan: opts.plan ?? 'basic', license: opts.plan === 'enterprise' ? 'ru_ent250' : 'ru_project',
        adminUserId: '1', languageId: opts.languageId ?? 'ru', apps: new Map(), uninstalledApps: new Map(), ...seed,
        placements: [], events: [], robots: [], robotAttachments: [], workflows: new Map(), triggers: [], triggerAttachments: [], triggerExecutions: [],
        timeline: [], eventSends: [], notifications: [], bucket: { level: 0, at: st.now() }, operating: new Map(), seq: 1000,
      };
      st.portals.set(p.memberId, p);
      st.byDomain.set(domain, p.memberId);
      st.hosts.setPrefix(domain, opts.pathPrefix);
      const app = opts.app ? await control.installApp({ flavour: 'none', ...opts.app, memberId: p.memberId }) : undefined;
      return info(p, app);
    },

    portalInfo(memberId: string): PortalInfo {
      return info(st.portal(memberId));
    },

    /** Installs an app as the admin would: tokens, application_token, and the install POST for the flavour. */
    async installApp(o: InstallAppOptions): Promise<InstallResult> {
      const p = st.portal(o.memberId);
      const flavour = o.flavour ?? (o.installUrl ? 'event' : 'none');
      const scope = typeof o.scope === 'string' ? o.scope.split(',').map((s) => s.trim()).filter(Boolean) : (o.scope ?? DEFAULT_SCOPE);
      const app: InstalledApp = {
        clientId: o.clientId, clientSecret: o.clientSecret, code: o.clientId, version: o.version ?? '1', scope,
        status: o.status ?? st.opts.defaultAppStatus, installed: flavour !== 'wizard', applicationToken: hex(16),
        ...(o.installUrl ? { installUrl: o.installUrl } : {}), ...(o.handlerBase ? { handlerBase: o.handlerBase } : {}),
        ...(o.appUrl ? { appUrl: o.appUrl } : {}),
        installerUserId: o.userId ?? p.adminUserId, languageId: o.languageId ?? p.languageId,
      };
      p.apps.set(app.clientId, app);
      p.uninstalledApps.delete(app.clientId);
      const tokens = issueTokens(st, p, app, app.installerUserId);
      let delivery: Delivery | undefined;
      if (flavour === 'event' && o.installUrl) {
        delivery = await deliver(st, p, 'install', o.installUrl, installPayload(st, p, app, tokens, o.variant ?? 'capture', o.activeFlag ?? 'Y'));
      } else if (flavour === 'wizard' && o.installUrl) {
        const f = framePayload(st, p, app, tokens, 'DEFAULT', { any: '28/' }, o.frameFormat ?? '2024', p.languageId === 'ru' ? 'ru' : 'en');
        delivery = await deliver(st, p, 'frame', o.installUrl, f.body, f.query);
      }
      return {
        clientId: app.clientId, applicationToken: app.applicationToken, installed: app.installed, tokens,
        accessToken: tokens.access_token, refreshToken: tokens.refresh_token, ...(delivery ? { delivery } : {}),
      };
    },

    /** What BX24.installFinish() does: app.info INSTALLED becomes true; placements show, events flow. */
    finishInstall(memberId: string, clientId?: string) {
      pickApp(st.portal(memberId), clientId).installed = true;
    },

    /** Fresh tokens for any user (e.g. a non-admin) of an installed app. */
    issueTokens(o: { memberId: string; userId?: string; clientId?: string }): TokenResponse {
      const p = st.portal(o.memberId);
      const app = pickApp(p, o.clientId);
      return issueTokens(st, p, app, o.userId ?? p.adminUserId);
    },

    /**
     * What a user's own token may read in the CRM (src/emulator/rights.ts): `ids` like `deal:2`, or
     * 'own' (ASSIGNED_BY_ID); null gives back everything. Administrators always read everything.
     */
    setReadRights(o: { memberId: string; userId: string; rule: 'own' | readonly string[] | null }) {
      const p = st.portal(o.memberId);
      p.readRights ??= new Map();
      if (o.rule === null) p.readRights.delete(o.userId);
      else p.readRights.set(o.userId, o.rule === 'own' ? { kind: 'own' } : { kind: 'ids', ids: new Set(o.rule) });
    },

    /** A user opens a placement: the frame POST goes to the bound HANDLER; returns the app's answer. */
    async openPlacement(o: OpenPlacementOptions): Promise<Delivery> {
      const f = control.placementFrame(o);
      return deliver(st, st.portal(o.memberId), f.kind, f.handler, f.body, f.query);
    },

    /**
     * The frame POST openPlacement would send, built but not delivered: the handler URL, its query
     * (DOMAIN, PROTOCOL, LANG, APP_SID) and the form body. A host page that frames the app in a real
     * browser (the sandbox) posts exactly this into an iframe. Fresh tokens are issued for the user.
     */
    placementFrame(o: OpenPlacementOptions): { kind: 'frame' | 'placement'; handler: string; query: Record<string, string>; body: Record<string, string> } {
      const p = st.portal(o.memberId);
      const app = pickApp(p, o.clientId);
      const code = o.placement.toUpperCase();
      let handler = o.handler;
      if (code === 'DEFAULT') {
        handler ??= app.appUrl ?? app.installUrl;
      } else {
        const bound = p.placements.filter((b) => b.clientId === app.clientId && b.placement === code && (!o.handler || b.handler === o.handler));
        if (!bound.length) throw new Error(`emulator: ${code} is not bound by ${app.clientId}`);
        if (!app.installed) throw new Error(`emulator: ${code} is not shown: the app has not called installFinish`);
        handler = bound[0]!.handler;
      }
      if (!handler) throw new Error('emulator: no handler URL for the app page');
      const tokens = issueTokens(st, p, app, o.userId ?? p.adminUserId);
      const f = framePayload(st, p, app, tokens, code, o.options ?? {}, o.format ?? 'current', o.lang ?? 'en');
      return { kind: code === 'DEFAULT' ? 'frame' : 'placement', handler, query: f.query, body: f.body };
    },

    /** The app's main page (PLACEMENT=DEFAULT), e.g. the install wizard before installFinish. */
    openApp(o: { memberId: string; userId?: string; clientId?: string; format?: FrameFormat; options?: Record<string, unknown> }): Promise<Delivery> {
      return control.openPlacement({ ...o, placement: 'DEFAULT', format: o.format ?? '2024', options: o.options ?? { any: '28/' } });
    },

    /** A user puts a registered robot on a deal stage (CRM › Deals › Automation rules). */
    attachRobot(o: { memberId: string; code: string; stageId: string; properties?: Record<string, unknown>; timeoutDuration?: number; clientId?: string; authUserId?: string }): number {
      const p = st.portal(o.memberId);
      const app = pickApp(p, o.clientId);
      if (!p.robots.some((r) => r.clientId === app.clientId && r.code === o.code)) throw new Error(`emulator: robot ${o.code} is not registered`);
      const stage = p.statuses.find((s) => s.ENTITY_ID === 'DEAL_STAGE' && s.STATUS_ID === o.stageId);
      if (!stage) throw new Error(`emulator: no deal stage ${o.stageId}`);
      const id = ++p.seq;
      p.robotAttachments.push({
        id, clientId: app.clientId, code: o.code, categoryId: String(stage.CATEGORY_ID), stageId: o.stageId, properties: o.properties ?? {},
        timeoutDuration: o.timeoutDuration ?? 0, ...(o.authUserId ? { authUserId: o.authUserId } : {}),
      });
      return id;
    },

    /** A user puts an app trigger on a stage: executing it moves deals of that pipeline there. */
    attachTrigger(o: { memberId: string; code: string; stageId: string }): number {
      const p = st.portal(o.memberId);
      const stage = p.statuses.find((s) => s.ENTITY_ID === 'DEAL_STAGE' && s.STATUS_ID === o.stageId);
      if (!stage) throw new Error(`emulator: no deal stage ${o.stageId}`);
      const id = ++p.seq;
      p.triggerAttachments.push({ id, code: o.code, categoryId: String(stage.CATEGORY_ID), stageId: o.stageId });
      return id;
    },

    /** A user drags a deal to a stage: robots attached there fire (awaited), then ONCRMDEALUPDATE. */
    moveDeal(o: { memberId: string; dealId: string | number; stageId: string }): Promise<StageMove> {
      return moveDeal(st, st.portal(o.memberId), String(o.dealId), o.stageId);
    },

    /**
     * Adds `count` deals to pipeline 0 at stage NEW, copies of its first deal (same client, company and
     * contacts) under new ids, for benches that move more deals than the sample dataset holds.
     */
    addDeals(o: { memberId: string; count: number }): { ids: string[] } {
      const p = st.portal(o.memberId);
      const template = [...p.deals.values()].find((d) => String(d.CATEGORY_ID) === '0');
      if (!template) throw new Error('emulator: no deal in pipeline 0 to copy');
      const contacts = p.dealContacts.get(String(template.ID)) ?? [];
      const ids: string[] = [];
      for (let i = 0; i < o.count; i++) {
        const id = String(++p.seq);
        p.deals.set(id, { ...template, ID: id, TITLE: `${String(template.TITLE)} #${id}`, STAGE_ID: 'NEW', CATEGORY_ID: '0' });
        p.dealContacts.set(id, contacts.map((c) => ({ ...c })));
        const link = p.requisiteLinks.get(`2:${String(template.ID)}`);
        if (link) p.requisiteLinks.set(`2:${id}`, { ...link, ENTITY_ID: Number(id) });
        ids.push(id);
      }
      return { ids };
    },

    /** Runs a robot on any CRM entity without a stage (e.g. a lead or a contact). */
    fireRobot(o: { memberId: string; code: string; entity: { kind: 'deal' | 'lead' | 'contact' | 'company'; id: string | number }; properties?: Record<string, unknown>; timeoutDuration?: number; clientId?: string }): Promise<RobotFiring> {
      const p = st.portal(o.memberId);
      const app = pickApp(p, o.clientId);
      return fireRobot(st, p, { clientId: app.clientId, code: o.code, properties: o.properties ?? {}, timeoutDuration: o.timeoutDuration ?? 0 }, { kind: o.entity.kind, id: String(o.entity.id) });
    },

    /**
     * Starts a robot on an entity like fireRobot but hands its delivery back instead of POSTing it:
     * the handler URL and the form body exactly as it would be sent (benches deliver from another process).
     */
    prepareRobot(o: { memberId: string; code: string; entity: { kind: 'deal' | 'lead' | 'contact' | 'company'; id: string | number }; properties?: Record<string, unknown>; timeoutDuration?: number; clientId?: string }): { url: string; body: string; workflowId: string; eventToken: string } {
      const p = st.portal(o.memberId);
      const app = pickApp(p, o.clientId);
      const run = startRobot(st, p, { clientId: app.clientId, code: o.code, properties: o.properties ?? {}, timeoutDuration: o.timeoutDuration ?? 0 }, { kind: o.entity.kind, id: String(o.entity.id) });
      return { url: run.handler, body: phpBuildQuery(run.payload), workflowId: run.workflowId, eventToken: run.eventToken };
    },

    /** Delivers an event to the handlers bound for it. `withToken: false` imitates robot/agent-caused events. */
    fireEvent(o: { memberId: string; event: string; data: unknown; withToken?: boolean }): Promise<Delivery[]> {
      return fireEvent(st, st.portal(o.memberId), o.event, o.data, { withToken: o.withToken ?? true });
    },

    /** ONAPPUPDATE to the bound handler; optionally a new application_token (reference §1.4). */
    async updateApp(o: { memberId: string; clientId?: string; version: string; newApplicationToken?: boolean }): Promise<Delivery[]> {
      const p = st.portal(o.memberId);
      const app = pickApp(p, o.clientId);
      const previous = app.version;
      app.version = o.version;
      if (o.newApplicationToken) app.applicationToken = hex(16);
      const out: Delivery[] = [];
      for (const b of p.events.filter((e) => e.clientId === app.clientId && e.event === 'ONAPPUPDATE')) {
        const t = issueTokens(st, p, app, app.installerUserId);
        const payload = eventPayload(st, p, app, t, 'ONAPPUPDATE', b.id, { VERSION: o.version, PREVIOUS_VERSION: previous, LANGUAGE_ID: app.languageId });
        (payload.auth as Record<string, string>).refresh_token = t.refresh_token;
        out.push(await deliver(st, p, 'event', b.handler, payload));
      }
      return out;
    },

    /**
     * The admin deletes the app: access is revoked, its placements/events/robots go, and ONAPPUNINSTALL
     * (no tokens) is POSTed to the handler the app bound for it, if any.
     */
    async uninstall(o: { memberId: string; clientId?: string; clean?: boolean }): Promise<Delivery | undefined> {
      const p = st.portal(o.memberId);
      const app = pickApp(p, o.clientId);
      const handler = p.events.find((e) => e.clientId === app.clientId && e.event === 'ONAPPUNINSTALL');
      revokeTokens(st, p.memberId, app.clientId);
      p.apps.delete(app.clientId);
      p.uninstalledApps.set(app.clientId, app);
      p.placements = p.placements.filter((x) => x.clientId !== app.clientId);
      p.events = p.events.filter((x) => x.clientId !== app.clientId);
      p.robots = p.robots.filter((x) => x.clientId !== app.clientId);
      p.robotAttachments = p.robotAttachments.filter((x) => x.clientId !== app.clientId);
      p.triggers = p.triggers.filter((x) => x.clientId !== app.clientId);
      if (!handler) return undefined;
      return deliver(st, p, 'uninstall', handler.handler, uninstallPayload(st, p, app, o.clean ?? false));
    },

    /** Renames the portal: the old domain answers 302 to the new one from now on (reference §3.1). */
    renamePortal(o: { memberId: string; name: string }): PortalInfo {
      const p = st.portal(o.memberId);
      const domain = `${o.name.toLowerCase()}.bitrix24.test`;
      p.previousDomains.push(p.domain);
      st.hosts.setPrefix(domain, st.hosts.prefixOf(p.domain));
      p.domain = domain;
      p.name = o.name.toLowerCase();
      st.byDomain.set(domain, p.memberId);
      return info(p);
    },

    expireAccessTokens(memberId?: string) {
      expireAccessTokens(st, memberId);
    },
    revokeTokens(memberId: string, clientId?: string) {
      revokeTokens(st, memberId, clientId);
    },
    /** OPERATION_TIME_LIMIT for one method of a portal, now, for `forMs` (default: the block length). */
    blockMethod(o: { memberId: string; method: string; forMs?: number }) {
      blockMethod(st, st.portal(o.memberId), o.method, o.forMs);
    },
    /** Current bucket level of a portal (after draining). */
    bucketLevel(memberId: string): number {
      const p = st.portal(memberId);
      const rl = st.opts.rateLimit;
      if (!rl) return 0;
      return Math.max(0, p.bucket.level - ((st.now() - p.bucket.at) / 1000) * rl.perSecond);
    },
    fault(spec: FaultSpec): number {
      return addFault(st, spec);
    },
    clearFaults(id?: number) {
      clearFaults(st, id);
    },

    calls(filter: { memberId?: string; method?: string; clientId?: string; includeBatchParts?: boolean } = {}): CallRecord[] {
      return st.calls.filter(
        (c) =>
          (!filter.memberId || c.memberId === filter.memberId) && (!filter.method || c.method === filter.method.toLowerCase()) &&
          (!filter.clientId || c.clientId === filter.clientId) && (filter.includeBatchParts !== false || c.batchKey === undefined),
      );
    },
    /** Forgets the call log (long benches, or a test that only cares about what follows). */
    clearCalls() {
      st.calls.length = 0;
    },
    registrations(memberId: string) {
      const p = st.portal(memberId);
      return {
        placements: p.placements.map((x) => ({ ...x })),
        events: p.events.map((x) => ({ ...x })),
        robots: p.robots.map((x) => ({ ...x })),
        robotAttachments: p.robotAttachments.map((x) => ({ ...x })),
        triggers: p.triggers.map((x) => ({ ...x })),
        triggerAttachments: p.triggerAttachments.map((x) => ({ ...x })),
      };
    },
    timeline(memberId: string, filter: { entityTypeId?: number; entityId?: number; kind?: 'comment' | 'logmessage' | 'activity' } = {}) {
      return st.portal(memberId).timeline.filter(
        (t) => (!filter.kind || t.kind === filter.kind) && (!filter.entityTypeId || t.entityTypeId === filter.entityTypeId) && (!filter.entityId || t.entityId === filter.entityId),
      );
    },
    eventSends(memberId: string) {
      return st.portal(memberId).eventSends;
    },
    workflow(memberId: string, eventToken: string) {
      return st.portal(memberId).workflows.get(eventToken);
    },
    notifications(memberId: string) {
      return st.portal(memberId).notifications;
    },
    triggerExecutions(memberId: string) {
      return st.portal(memberId).triggerExecutions;
    },
    deliveries(memberId?: string) {
      return st.deliveries.filter((d) => !memberId || d.memberId === memberId);
    },
    oauthLog() {
      return st.oauthLog;
    },
    stats() {
      return { ...st.counters };
    },
    /** Raw state of a portal (deals, documents…) for tests that need to arrange data. */
    portal(memberId: string): Portal {
      return st.portal(memberId);
    },
    /** Waits for deliveries started in the background (trigger.execute → robots). */
    settle(): Promise<void> {
      return st.settle();
    },
    reset() {
      st.reset();
      portalCount = 0;
    },
  };
  return control;
}

export type EmulatorControl = ReturnType<typeof createControl>;
