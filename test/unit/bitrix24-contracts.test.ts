/**
 * The emulator held to Bitrix24's own description of itself (src/emulator/contracts/): the documented
 * examples parse against the contracts, the app's request builders produce parameters the contracts
 * accept, the emulator's replies and payloads parse, and the dispatcher refuses what the contracts say.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECOMMENDED_SCOPES, registrationManifest, REQUIRED_SCOPES } from '../../src/bitrix24/manifest.js';
import { planRegistration } from '../../src/bitrix24/registration.js';
import { crmBatchCommands } from '../../src/documents/crm-data.js';
import { batchContract } from '../../src/emulator/contracts/batch.js';
import { checkParams, checkResult, contractFor, CONTRACTS, errorAllowed } from '../../src/emulator/contracts/index.js';
import { inboundContract, inboundContracts } from '../../src/emulator/contracts/inbound.js';
import { oauthAppInfoContract } from '../../src/emulator/contracts/oauth-app-info.js';
import { createEmulator } from '../../src/emulator/index.js';
import { methodTable } from '../../src/emulator/methods/index.js';
import { phpParseQuery } from '../../src/emulator/php-form.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/bitrix24');
const DOCS = join(FIXTURES, 'contracts');

interface DocExample {
  method: string;
  source: string;
  scope: string[];
  request: Record<string, unknown> | null;
  response: { status: number | null; body: { result?: unknown } | null };
  error: { status: number | null; body: { error: string | number; error_description: string } | null };
}
const examples: DocExample[] = readdirSync(DOCS).filter((f) => f.endsWith('.json') && !f.startsWith('oauth-')).map((f) => JSON.parse(readFileSync(join(DOCS, f), 'utf8')));

describe('contracts cover every method', () => {
  it('every method the emulator serves has a contract whose scope and admin flag match it', () => {
    for (const [name, def] of methodTable()) {
      const c = contractFor(name);
      expect(c, `${name} has no contract`).toBeDefined();
      expect(Boolean(def.admin), `${name} admin`).toBe(Boolean(c!.admin));
      expect(c!.source.length, `${name} cites a source`).toBeGreaterThan(0);
    }
  });

  it('every Bitrix24 method named in the app has a contract', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
    const src = join(import.meta.dirname, '../../src');
    const named = new Set<string>();
    for (const f of files(src).filter((f) => !/[/\\](emulator|sandbox)[/\\]/.test(f))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/'((?:crm|user|bizproc|placement|event|im|app|department)\.[a-z.]+[a-z]|profile)'/g)) named.add(m[1]!);
    }
    // Strings that name a family prefix or a UI key, not a method.
    // user.access sits in classify.ts's list of read-only methods for error classification; the app never calls it.
    const notMethods = new Set(['app.heading', 'app.home', 'app.events', 'crm.activity.configurable', 'user.access']);
    const missing = [...named].filter((m) => !notMethods.has(m) && !contractFor(m));
    expect(missing).toEqual([]);
    expect(named.size).toBeGreaterThan(25);
    // Every scope the app asks for is needed by a method it calls (no permission asked for nothing).
    const needed = new Set([...named].flatMap((m) => [...(contractFor(m)?.scope ?? [])]));
    for (const s of [...REQUIRED_SCOPES, ...RECOMMENDED_SCOPES]) expect(needed.has(s), s).toBe(true);
  });

  it('the docs examples exist for the methods the app calls, with their source and licence noted', () => {
    const readme = readFileSync(join(DOCS, 'README.md'), 'utf8');
    expect(readme).toMatch(/MIT/);
    for (const e of examples) expect(e.source).toMatch(/^bitrix24\/b24restdocs api-reference\//);
    expect(examples.length).toBeGreaterThanOrEqual(50);
  });
});

describe('the documentation examples parse against the contracts', () => {
  it.each(examples.map((e) => [e.method, e] as const))('%s', (method, e) => {
    const c = contractFor(method)!;
    expect(c).toBeDefined();
    // The page's scope line is the contract's scope.
    expect([...c.scope].sort()).toEqual([...(e.scope.length ? e.scope : ['basic'])].sort());
    if (e.response.body) expect(checkResult(c, e.response.body.result)).toBeUndefined();
    if (e.request) {
      const p = checkParams(c, e.request);
      expect(p).toMatchObject({ ok: true, ignored: [] });
    }
    // A few pages print a status of "40" (a typo for 4xx): nothing to compare then.
    if (e.error.body && e.error.status && e.error.status >= 100) {
      expect(errorAllowed(c, String(e.error.body.error), e.error.status), JSON.stringify(e.error)).toBe(true);
    }
  });

  it('batch: the docs example reply parses', () => {
    const reply = { result: { a: 1 }, result_error: [], result_total: { a: 3 }, result_next: [], result_time: { a: {} } };
    expect(checkResult(batchContract, reply)).toBeUndefined();
    expect(checkResult(batchContract, { result: {} })).toMatch(/result_error/);
  });
});

describe("the OAuth server's app.info (b24pysdk's parser)", () => {
  it("the SDK's example parses; the portal at the top level (our old reading) does not", () => {
    const sdk = JSON.parse(readFileSync(join(DOCS, 'oauth-app-info.b24pysdk.json'), 'utf8'));
    expect(checkResult(oauthAppInfoContract, sdk.response.body.result)).toBeUndefined();
    const { install, ...top } = sdk.response.body.result;
    expect(checkResult(oauthAppInfoContract, { ...top, ...install })).toMatch(/install/);
  });

  it("the emulator's answer parses", async () => {
    const emu = createEmulator({ rateLimit: false, appFetch: () => new Response('ok') });
    const portal = await emu.control.createPortal({ app: { clientId: 'local.o', clientSecret: 's' } });
    const r = await emu.fetch(new Request(`${portal.serverEndpoint}app.info`, { method: 'POST', body: new URLSearchParams({ auth: portal.app!.accessToken }) }));
    expect(r.status).toBe(200);
    const body = (await r.json()) as { result: { install: { member_id: string } } };
    expect(checkResult(oauthAppInfoContract, body.result)).toBeUndefined();
    expect(body.result.install.member_id).toBe(portal.memberId);
  });
});

describe('the app builds parameters the contracts accept', () => {
  /** Batch references (`$result[key][FIELD]`) stand for ids the portal fills in before the command runs. */
  const resolved = (v: unknown): unknown =>
    typeof v === 'string' && v.startsWith('$result[') ? '7'
    : Array.isArray(v) ? v.map(resolved)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolved(x)]))
    : v;
  const accepted = (cmds: Record<string, [string, Record<string, unknown>?]>) => {
    for (const [key, [method, raw]] of Object.entries(cmds)) {
      const params = resolved(raw) as Record<string, unknown> | undefined;
      const c = contractFor(method);
      expect(c, `${key}: ${method} has a contract`).toBeDefined();
      expect(checkParams(c!, params ?? {}), `${key}: ${method}`).toMatchObject({ ok: true, ignored: [] });
    }
  };

  it.each([2, 1, 3, 4, 31, 1038])('crm data batch for entity type %i', (entityTypeId) => {
    accepted(crmBatchCommands({ entityTypeId, entityId: 5 }));
  });

  it('registration plan (fresh portal and stale one)', () => {
    const o = { publicUrl: 'https://sign.example', authUserId: 1 };
    accepted(planRegistration(registrationManifest, { placements: [], events: [], robots: [], triggers: [] }, o).commands);
    const stale = {
      placements: [{ placement: 'CRM_DEAL_DETAIL_TAB', handler: 'https://old.example/x' }],
      events: [{ event: 'ONAPPUNINSTALL', handler: 'https://old.example/y' }],
      robots: registrationManifest.robots.map((r) => r.code),
      triggers: [],
    };
    accepted(planRegistration(registrationManifest, stale, o).commands);
  });
});

describe('the dispatcher applies the contracts', () => {
  async function setup(scope?: string) {
    const emu = createEmulator({ rateLimit: false, appFetch: () => new Response('ok') });
    const portal = await emu.control.createPortal({ app: { clientId: 'local.c', clientSecret: 's', ...(scope ? { scope } : {}) } });
    const call = async (method: string, params: Record<string, unknown> = {}) => {
      const r = await emu.fetch(new Request(`${portal.clientEndpoint}${method}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...params, auth: portal.app!.accessToken }),
      }));
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    return { emu, portal, call };
  }

  it('refuses a documented bad parameter with the documented error (crm.deal.get id)', async () => {
    const { call } = await setup();
    expect(await call('crm.deal.get', { id: 'x' })).toMatchObject({ status: 400, body: { error: '', error_description: 'ID is not defined or invalid.' } });
    expect(await call('crm.deal.list', { filter: 'ID=1' })).toMatchObject({ status: 400, body: { error: '', error_description: "Parameter 'filter' must be array." } });
    expect(await call('crm.requisite.link.get', { entityTypeId: 2, entityId: 0 })).toMatchObject({ status: 400, body: { error: '', error_description: 'entityId is not defined or invalid' } });
  });

  it('ignores an undocumented bad parameter (and logs it), as Bitrix24 does', async () => {
    const { emu, call } = await setup();
    const r = await call('user.get', { ORDER: 'sideways', FILTER: { ID: 1 } });
    expect(r.status).toBe(200);
    expect(emu.state.calls.at(-1)).toMatchObject({ method: 'user.get', ignoredParams: ['ORDER'] });
  });

  it('a method without a contract fails loudly', async () => {
    const { call } = await setup();
    const table = methodTable();
    table.set('x.uncontracted', { handler: () => ({ result: true }) });
    try {
      expect(await call('x.uncontracted')).toMatchObject({ status: 501, body: { error: 'EMULATOR_NO_CONTRACT' } });
    } finally {
      table.delete('x.uncontracted');
    }
  });

  it('a reply or an error the contract does not allow fails loudly', async () => {
    const { call } = await setup();
    const table = methodTable();
    const original = table.get('profile')!;
    try {
      table.set('profile', { handler: () => ({ result: { ID: 1 } }) });
      expect(await call('profile')).toMatchObject({ status: 500, body: { error: 'EMULATOR_CONTRACT_VIOLATION' } });
      const { RestError } = await import('../../src/emulator/envelope.js');
      table.set('profile', { handler: () => { throw new RestError(400, 'MADE_UP', 'invented'); } });
      const r = await call('profile');
      expect(r).toMatchObject({ status: 500, body: { error: 'EMULATOR_CONTRACT_VIOLATION' } });
      expect(String(r.body.error_description)).toMatch(/MADE_UP/);
    } finally {
      table.set('profile', original);
    }
  });

  it('user.admin needs no user scope (basic, b24restdocs user-admin.md)', async () => {
    const { call } = await setup('crm');
    expect(await call('user.admin')).toMatchObject({ status: 200, body: { result: true } });
    expect(await call('user.current')).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
  });

  it('documented errors replace invented ones (docgen, requisite link, im)', async () => {
    const { call } = await setup('crm,im,user_basic');
    expect(await call('crm.documentgenerator.document.get', { id: 999 })).toMatchObject({ status: 400, body: { error: '0', error_description: 'Document not found' } });
    expect(await call('crm.documentgenerator.document.add', { templateId: 1, entityTypeId: 2 })).toMatchObject({ status: 400, body: { error: '0' } });
    expect(await call('crm.requisite.link.get', { entityTypeId: 3, entityId: 1 })).toMatchObject({ status: 400, body: { error: '', error_description: 'entityTypeId is not defined or invalid' } });
    expect(await call('im.notify.personal.add', { USER_ID: 9999, MESSAGE: 'x' })).toMatchObject({ status: 400, body: { error: 'USER_ID_EMPTY', error_description: "User ID can't be empty" } });
  });

  it('document generator ids have the types the pages print (get: strings; add: id and createdBy numbers)', async () => {
    const { call } = await setup('crm');
    const added = await call('crm.documentgenerator.document.add', { templateId: 1, entityTypeId: 2, entityId: 1 });
    expect(added.status).toBe(200);
    const a = (added.body.result as { document: Record<string, unknown> }).document;
    expect(a).toMatchObject({ id: expect.any(Number), createdBy: expect.any(Number), templateId: '1', entityTypeId: '2', entityId: '1' });
    expect(a.downloadUrlMachine).toEqual(expect.stringContaining('crm.documentgenerator.document.getfile'));
    const got = await call('crm.documentgenerator.document.get', { id: a.id });
    expect((got.body.result as { document: Record<string, unknown> }).document).toMatchObject({ id: String(a.id), createdBy: expect.any(String), templateId: '1' });
  });

  it('event.bind refuses a non-admin with the documented texts; logmessage.add names OWNER_NOT_FOUND', async () => {
    const { emu, portal, call } = await setup('crm');
    const employee = emu.control.portal(portal.memberId).users.map((u) => String(u.ID)).find((id) => !emu.control.portal(portal.memberId).admins.has(id))!;
    const t = emu.control.issueTokens({ memberId: portal.memberId, userId: employee });
    const asEmployee = async (params: Record<string, unknown>) => {
      const r = await emu.fetch(new Request(`${portal.clientEndpoint}event.bind`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...params, auth: t.access_token }) }));
      return { status: r.status, body: await r.json() };
    };
    expect(await asEmployee({ event: 'ONCRMDEALADD', handler: 'https://app.example/e', event_type: 'offline' })).toMatchObject({
      status: 403, body: { error: 'ACCESS_DENIED', error_description: 'Access denied! Offline events binding requires administrator access rights' },
    });
    expect(await asEmployee({ event: 'ONCRMDEALADD', handler: 'https://app.example/e', auth_type: 1 })).toMatchObject({
      status: 403, body: { error: 'ACCESS_DENIED', error_description: 'Access denied! Event binding with AUTH_TYPE requires administrator access rights' },
    });
    expect(await call('crm.timeline.logmessage.add', { fields: { entityTypeId: 2, entityId: 999999, title: 't', text: 'x', iconCode: 'info' } })).toMatchObject({
      status: 400, body: { error: 'OWNER_NOT_FOUND' },
    });
  });

  it('every read the app depends on answers in the documented shape', async () => {
    const { call } = await setup('crm,bizproc,placement,user_basic,im');
    for (const m of ['app.info', 'profile', 'user.current', 'user.admin', 'placement.get', 'event.get', 'bizproc.robot.list', 'crm.automation.trigger.list', 'crm.status.list', 'placement.list']) {
      const r = await call(m);
      expect(r.status, m).toBe(200);
      expect(checkResult(CONTRACTS.get(m)!, r.body.result), m).toBeUndefined();
    }
    const users = await call('user.get', { FILTER: { ID: 1 } });
    expect((users.body.result as Record<string, unknown>[])[0]).toHaveProperty('EMAIL');
  });
});

describe('payloads Bitrix24 sends match their contracts', () => {
  const readPrintR = (file: string) => {
    const fields: Record<string, string> = {};
    for (const line of readFileSync(join(FIXTURES, file), 'utf8').split('\n')) {
      const m = /^\s*\[([^\]]+)\] => (.*)$/.exec(line);
      if (m) fields[m[1]!] = m[2]!;
    }
    return fields;
  };

  it('the documentation samples parse', () => {
    const install = JSON.parse(readFileSync(join(FIXTURES, '03-event-ONAPPINSTALL.b24restdocs.json'), 'utf8'));
    expect(inboundContract('ONAPPINSTALL').schema.safeParse(install).success).toBe(true);
    for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.print_r.txt'))) {
      const r = inboundContract('frame').schema.safeParse(readPrintR(f));
      expect(r.success, `${f}: ${r.error?.message}`).toBe(true);
    }
    for (const c of inboundContracts) expect(c.source.length).toBeGreaterThan(0);
  });

  it("the emulator's install, placement, robot and uninstall POSTs parse", async () => {
    const seen: { url: string; form: Record<string, unknown> }[] = [];
    const emu = createEmulator({
      rateLimit: false,
      appFetch: async (req) => {
        const url = new URL(req.url);
        seen.push({ url: req.url, form: { ...phpParseQuery(url.search), ...phpParseQuery(await req.text()) } });
        return new Response('ok');
      },
    });
    const p = await emu.control.createPortal({ name: 'pay' });
    await emu.control.installApp({ memberId: p.memberId, clientId: 'local.p', clientSecret: 's', installUrl: 'https://app.example/install', handlerBase: 'https://app.example' });
    expect(inboundContract('ONAPPINSTALL').schema.safeParse(seen.at(-1)!.form).error).toBeUndefined();
    await emu.control.openApp({ memberId: p.memberId });
    expect(inboundContract('frame').schema.safeParse(seen.at(-1)!.form).error).toBeUndefined();
    const st = emu.state;
    st.portal(p.memberId).robots.push({
      clientId: 'local.p', code: 'r1', handler: 'https://app.example/robot', authUserId: '1', useSubscription: 'Y', name: 'R', description: '',
      properties: {}, returnProperties: {}, usePlacement: 'N', isRobot: true,
    });
    await emu.control.fireRobot({ memberId: p.memberId, code: 'r1', entity: { kind: 'deal', id: [...st.portal(p.memberId).deals.keys()][0]! } });
    const robot = seen.at(-1)!;
    expect(robot.url).toBe('https://app.example/robot');
    expect(inboundContract('robot').schema.safeParse(robot.form).error).toBeUndefined();
    st.portal(p.memberId).events.push({ id: 99, clientId: 'local.p', event: 'ONAPPUNINSTALL', handler: 'https://app.example/events', authType: '0', offline: false });
    await emu.control.uninstall({ memberId: p.memberId, clientId: 'local.p' });
    const un = seen.find((s) => String(s.form.event).toUpperCase() === 'ONAPPUNINSTALL');
    expect(un).toBeDefined();
    expect(inboundContract('ONAPPUNINSTALL').schema.safeParse(un!.form).error).toBeUndefined();
  });
});
