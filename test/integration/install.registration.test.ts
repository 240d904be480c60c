import { describe, expect, it } from 'vitest';
import { handlerUrl, langAll, registrationManifest, sendForSigningRobot, SIGN_PLACEMENTS } from '../../src/bitrix24/manifest.js';
import { planRegistration, registerAll, RegistrationError } from '../../src/bitrix24/registration.js';
import type { BatchCommand, BatchResult, Bitrix24Client } from '../../src/bitrix24/types.js';

const PUBLIC = 'https://sign.example.com';

/** A portal in memory that answers batch the way Bitrix24 does (errors per key, never thrown). */
class ScriptedPortal implements Bitrix24Client {
  readonly portalId = 'prt_test';
  placements: { placement: string; handler: string; title: string; langAll: Record<string, { TITLE: string }> }[] = [];
  events: { event: string; handler: string }[] = [];
  robots = new Map<string, Record<string, unknown>>();
  triggers = new Map<string, string>();
  batches: Record<string, BatchCommand>[] = [];
  /** Hook to inject an error for one method call. */
  fail?: (method: string, params: Record<string, unknown>) => { error: string; error_description: string } | undefined;

  async batch(commands: Record<string, BatchCommand>): Promise<BatchResult> {
    this.batches.push(commands);
    const out: BatchResult = { result: {}, errors: {}, total: {}, next: {} };
    for (const [key, [method, params = {}]] of Object.entries(commands)) {
      const injected = this.fail?.(method, params);
      if (injected) {
        out.errors[key] = injected;
        continue;
      }
      try {
        out.result[key] = this.run(method, params);
      } catch (e) {
        out.errors[key] = e as { error: string; error_description: string };
      }
    }
    return out;
  }

  private run(method: string, p: Record<string, any>): unknown {
    switch (method) {
      case 'placement.get':
        return this.placements.map((x) => ({ placement: x.placement, handler: x.handler, title: x.title, langAll: x.langAll, userId: 0, options: [] }));
      case 'placement.bind':
        if (this.placements.some((x) => x.placement === p.PLACEMENT && x.handler === p.HANDLER)) throw { error: 'ERROR_CORE', error_description: 'Unable to set placement handler: Handler already binded' };
        this.placements.push({ placement: p.PLACEMENT, handler: p.HANDLER, title: p.TITLE, langAll: p.LANG_ALL });
        return true;
      case 'placement.unbind': {
        const before = this.placements.length;
        this.placements = this.placements.filter((x) => !(x.placement === p.PLACEMENT && x.handler === p.HANDLER));
        return { count: (before - this.placements.length) * 2 };
      }
      case 'event.get':
        return this.events;
      case 'event.bind':
        if (this.events.some((e) => e.event === p.event && e.handler === p.handler)) throw { error: 'ERROR_CORE', error_description: 'Handler already binded' };
        this.events.push({ event: p.event, handler: p.handler });
        return true;
      case 'event.unbind':
        this.events = this.events.filter((e) => !(e.event === p.event && e.handler === p.handler));
        return { count: 1 };
      case 'crm.automation.trigger.list':
        return [...this.triggers].map(([CODE, NAME]) => ({ CODE, NAME }));
      case 'crm.automation.trigger.add':
        this.triggers.set(p.CODE, p.NAME);
        return true;
      case 'bizproc.robot.list':
        return [...this.robots.keys()];
      case 'bizproc.robot.add':
        if (this.robots.has(p.CODE)) throw { error: 'ERROR_ACTIVITY_ALREADY_INSTALLED', error_description: 'Activity or Robot already installed!' };
        this.robots.set(p.CODE, p);
        return true;
      case 'bizproc.robot.update':
        if (!this.robots.has(p.CODE)) throw { error: 'ERROR_ACTIVITY_NOT_FOUND', error_description: 'Activity or Robot not found!' };
        this.robots.set(p.CODE, { CODE: p.CODE, ...p.FIELDS });
        return true;
      default:
        throw { error: 'ERROR_METHOD_NOT_FOUND', error_description: method };
    }
  }
  call(): never {
    throw new Error('not used');
  }
  callRaw(): never {
    throw new Error('not used');
  }
  listAll(): never {
    throw new Error('not used');
  }
}

const opts = { publicUrl: PUBLIC, authUserId: 1 };

describe('the registration manifest', () => {
  it('lists the Sign placements of the issue, with en/it/ru titles, each on its own stable handler URL', () => {
    const codes = SIGN_PLACEMENTS.map((p) => p.code).sort();
    expect(codes).toEqual(
      [
        ...['DEAL', 'LEAD', 'CONTACT', 'COMPANY'].flatMap((e) => [`CRM_${e}_DETAIL_TAB`, `CRM_${e}_DETAIL_TOOLBAR`, `CRM_${e}_DOCUMENTGENERATOR_BUTTON`]),
        'CRM_DEAL_ACTIVITY_TIMELINE_MENU',
        'REST_APP_URI',
      ].sort(),
    );
    for (const p of SIGN_PLACEMENTS) {
      expect(Object.keys(langAll(p)).sort()).toEqual(['en', 'it', 'ru']);
      expect(p.path).toBe(`/b24/placements/${p.code}`);
    }
    expect(new Set(SIGN_PLACEMENTS.map((p) => p.path)).size).toBe(SIGN_PLACEMENTS.length);
    expect(sendForSigningRobot).toMatchObject({ code: 'b24sign_send_for_signing', path: '/b24/robots/send-for-signing', useSubscription: 'Y' });
    expect(registrationManifest.events.map((e) => [e.event, e.path])).toEqual([
      ['ONAPPUNINSTALL', '/b24/events'],
      ['ONAPPUPDATE', '/b24/events'],
    ]);
  });
});

describe('registerAll', () => {
  it('registers everything in two batch calls on an empty portal', async () => {
    const portal = new ScriptedPortal();
    const report = await registerAll(portal, registrationManifest, opts);
    expect(report.ok).toBe(true);
    expect(report.batches).toBe(2);
    expect(portal.placements).toHaveLength(SIGN_PLACEMENTS.length);
    expect(portal.events.map((e) => e.event).sort()).toEqual(['ONAPPUNINSTALL', 'ONAPPUPDATE']);
    expect([...portal.robots.keys()]).toEqual(['b24sign_send_for_signing']);
    expect(portal.robots.get('b24sign_send_for_signing')).toMatchObject({ HANDLER: `${PUBLIC}/b24/robots/send-for-signing`, USE_SUBSCRIPTION: 'Y', AUTH_USER_ID: 1 });
  });

  it('twice leaves exactly one set; the second run binds nothing and only refreshes the robot', async () => {
    const portal = new ScriptedPortal();
    await registerAll(portal, registrationManifest, opts);
    const snapshot = JSON.stringify([portal.placements, portal.events]);
    const report = await registerAll(portal, registrationManifest, opts);
    expect(JSON.stringify([portal.placements, portal.events])).toBe(snapshot);
    const second = portal.batches[3]!;
    expect(Object.values(second).map(([m]) => m)).toEqual(['bizproc.robot.update']);
    expect(report.items.filter((i) => i.outcome === 'unchanged')).toHaveLength(SIGN_PLACEMENTS.length + 2 + 2); // placements, 2 events, 2 triggers
  });

  it('treats "Handler already binded" (a concurrent install) as success and ERROR_ACTIVITY_ALREADY_INSTALLED as an update', async () => {
    const portal = new ScriptedPortal();
    const realBatch = portal.batch.bind(portal);
    let reads = 0;
    // Between our read and our write, another install registered the same things.
    portal.batch = async (cmds) => {
      const isRead = Object.values(cmds).some(([m]) => m === 'placement.get');
      const res = await realBatch(cmds);
      if (isRead && reads++ === 0) {
        const other = new ScriptedPortal();
        await registerAll(other, registrationManifest, opts);
        portal.placements = other.placements;
        portal.events = other.events;
        portal.robots = other.robots;
      }
      return res;
    };
    const report = await registerAll(portal, registrationManifest, opts);
    expect(report.ok).toBe(true);
    expect(report.batches).toBe(3);
    expect(portal.placements).toHaveLength(SIGN_PLACEMENTS.length);
    expect(report.items.find((i) => i.kind === 'robot')).toMatchObject({ outcome: 'updated' });
  });

  it('unbinds stale handlers (PUBLIC_URL moved, duplicates, placements no longer in the manifest) so one set remains', async () => {
    const portal = new ScriptedPortal();
    await registerAll(portal, registrationManifest, { ...opts, publicUrl: 'https://old.example.com' });
    portal.placements.push({ placement: 'CRM_DEAL_DETAIL_TAB', handler: 'https://old.example.com/b24/placements/CRM_DEAL_DETAIL_TAB', title: 'x', langAll: {} });
    portal.placements.push({ placement: 'CRM_QUOTE_DETAIL_TAB', handler: 'https://old.example.com/q', title: 'old', langAll: {} });
    await registerAll(portal, registrationManifest, opts);
    expect(portal.placements).toHaveLength(SIGN_PLACEMENTS.length);
    expect(portal.placements.every((p) => p.handler.startsWith(PUBLIC))).toBe(true);
    expect(portal.events.every((e) => e.handler === `${PUBLIC}/b24/events`)).toBe(true);
    expect(portal.events).toHaveLength(2);
  });

  it('re-binds a placement whose title changed, in unbind-then-bind order', async () => {
    const portal = new ScriptedPortal();
    await registerAll(portal, registrationManifest, opts);
    portal.placements[0]!.title = 'Old title';
    const plan = planRegistration(registrationManifest, { placements: portal.placements, events: portal.events, robots: [...portal.robots.keys()] }, opts);
    const methods = Object.values(plan.commands).map(([m, p]) => `${m}:${(p as { PLACEMENT?: string }).PLACEMENT ?? ''}`);
    const code = portal.placements[0]!.placement;
    expect(methods.indexOf(`placement.unbind:${code}`)).toBeLessThan(methods.indexOf(`placement.bind:${code}`));
  });

  it('leaves events that are not in the manifest alone (Bitrix24 manages ONAPPINSTALL itself)', async () => {
    const portal = new ScriptedPortal();
    portal.events.push({ event: 'ONAPPINSTALL', handler: 'https://elsewhere.example.com/install' });
    await registerAll(portal, registrationManifest, opts);
    expect(portal.events.find((e) => e.event === 'ONAPPINSTALL')).toBeTruthy();
  });

  it('classifies failures so the install page can say what to do', async () => {
    const scope = new ScriptedPortal();
    scope.fail = (m) => (m === 'bizproc.robot.list' ? { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token' } : undefined);
    await expect(registerAll(scope, registrationManifest, opts)).rejects.toMatchObject({ problem: 'missing_scope' });

    const admin = new ScriptedPortal();
    admin.fail = (m) => (m === 'placement.get' ? { error: 'ACCESS_DENIED', error_description: 'Access denied! Administrator permissions required' } : undefined);
    await expect(registerAll(admin, registrationManifest, opts)).rejects.toMatchObject({ problem: 'not_admin' });

    const url = new ScriptedPortal();
    url.fail = (m) => (m === 'bizproc.robot.add' ? { error: 'ERROR_WRONG_HANDLER_URL', error_description: 'Wrong handler URL' } : undefined);
    const err = await registerAll(url, registrationManifest, opts).catch((e) => e);
    expect(err).toBeInstanceOf(RegistrationError);
    expect(err.problem).toBe('wrong_handler_url');
    // Everything else got registered; the report names the one failure.
    expect(err.report.items.filter((i: { outcome: string }) => i.outcome === 'failed')).toEqual([
      { kind: 'robot', name: 'b24sign_send_for_signing', outcome: 'failed', error: 'ERROR_WRONG_HANDLER_URL: Wrong handler URL' },
    ]);
    expect(url.placements).toHaveLength(SIGN_PLACEMENTS.length);
  });

  it('sends handler URLs built from PUBLIC_URL only', () => {
    const plan = planRegistration(registrationManifest, { placements: [], events: [], robots: [] }, { publicUrl: `${PUBLIC}/`, authUserId: 5 });
    for (const [method, params] of Object.values(plan.commands)) {
      if (method === 'crm.automation.trigger.add') continue; // triggers have no handler
      const p = params as Record<string, unknown>;
      const h = (p.HANDLER ?? p.handler) as string;
      expect(h.startsWith(`${PUBLIC}/b24/`)).toBe(true);
      expect(h).not.toContain('//b24');
    }
    expect(handlerUrl(`${PUBLIC}/`, '/b24/events')).toBe(`${PUBLIC}/b24/events`);
  });
});
