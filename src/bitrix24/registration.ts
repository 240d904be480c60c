/**
 * Makes a portal's registrations match the manifest, as the installing admin, in as few `batch`
 * calls as possible: one read (what is bound now), one write (unbind stale, bind missing, add or
 * update the robots), and a third only if a robot appeared between the two. Re-running it leaves
 * exactly one set: "Handler already binded" and ERROR_ACTIVITY_ALREADY_INSTALLED count as success
 * (the latter turns into bizproc.robot.update). Bindings can be dropped on app update (reference
 * §1.4, §13.11), so ONAPPUPDATE runs this again.
 */
import type { Lang } from '../i18n/index.js';
import { handlerUrl, langAll, type PlacementEntry, type RegistrationManifest, type RobotEntry } from './manifest.js';
import type { BatchCommand, BatchResult, Bitrix24Client } from './types.js';

export interface BoundPlacement {
  placement: string;
  handler: string;
  title?: string;
  langAll?: Record<string, { TITLE?: string }>;
}
export interface BoundEvent {
  event: string;
  handler: string;
}

export interface CurrentRegistrations {
  placements: BoundPlacement[];
  events: BoundEvent[];
  robots: string[];
  /** App triggers by code → name; absent when the manifest has none (not read). */
  triggers?: { code: string; name: string }[];
}

export type ItemOutcome = 'unchanged' | 'bound' | 'rebound' | 'unbound' | 'added' | 'updated' | 'failed';

export interface RegistrationItem {
  kind: 'placement' | 'event' | 'robot' | 'trigger';
  name: string;
  outcome: ItemOutcome;
  error?: string;
}

export interface RegistrationReport {
  items: RegistrationItem[];
  /** `batch` HTTP calls made (the budget the issue counts). */
  batches: number;
  ok: boolean;
}

/** Why a registration failed, in terms the install page can explain. */
export type RegistrationProblem = 'not_admin' | 'missing_scope' | 'wrong_handler_url' | 'other';

export class RegistrationError extends Error {
  constructor(
    readonly problem: RegistrationProblem,
    readonly report: RegistrationReport,
    message: string,
  ) {
    super(message);
    this.name = 'RegistrationError';
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const field = (o: Record<string, unknown>, k: string) => o[k] ?? o[k.toUpperCase()] ?? o[k.toLowerCase()];

/** placement.get / event.get / bizproc.robot.list results → plain lists (key case varies between versions). */
export function readCurrent(r: BatchResult['result']): CurrentRegistrations {
  const asRows = (v: unknown) => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
  return {
    placements: asRows(r.placements).map((p) => ({
      placement: str(field(p, 'placement')).toUpperCase(),
      handler: str(field(p, 'handler')),
      title: str(field(p, 'title')) || undefined,
      langAll: (field(p, 'langAll') ?? field(p, 'LANG_ALL')) as BoundPlacement['langAll'],
    })),
    events: asRows(r.events).map((e) => ({ event: str(field(e, 'event')).toUpperCase(), handler: str(field(e, 'handler')) })),
    robots: Array.isArray(r.robots) ? (r.robots as unknown[]).map(str) : [],
    ...('triggers' in r ? { triggers: asRows(r.triggers).map((t) => ({ code: str(field(t, 'CODE')), name: str(field(t, 'NAME')) })) } : {}),
  };
}

function placementParams(p: PlacementEntry, publicUrl: string) {
  return {
    PLACEMENT: p.code,
    HANDLER: handlerUrl(publicUrl, p.path),
    TITLE: p.title.en,
    DESCRIPTION: p.description.en,
    ...(p.groupName ? { GROUP_NAME: p.groupName.en } : {}),
    LANG_ALL: langAll(p),
  };
}

export function robotFields(r: RobotEntry, publicUrl: string, authUserId: number) {
  return {
    HANDLER: handlerUrl(publicUrl, r.path),
    AUTH_USER_ID: authUserId,
    USE_SUBSCRIPTION: r.useSubscription,
    NAME: r.name,
    DESCRIPTION: r.description,
    DOCUMENT_TYPE: r.documentType,
    ...(r.filter ? { FILTER: r.filter } : {}),
    PROPERTIES: r.properties,
    RETURN_PROPERTIES: r.returnProperties,
  };
}

/** A bound placement whose titles differ from the manifest's is re-bound so renamed tabs reach portals. */
function titlesMatch(bound: BoundPlacement, p: PlacementEntry): boolean {
  if (bound.title !== undefined && bound.title !== p.title.en) return false;
  if (bound.langAll && typeof bound.langAll === 'object') {
    for (const [lang, t] of Object.entries(p.title)) {
      const have = bound.langAll[lang]?.TITLE;
      if (have !== undefined && have !== t) return false;
    }
  }
  return true;
}

export interface Plan {
  commands: Record<string, BatchCommand>;
  /** Batch key → what it does, for the report. */
  meaning: Record<string, Omit<RegistrationItem, 'outcome' | 'error'> & { outcome: ItemOutcome }>;
  unchanged: RegistrationItem[];
}

/**
 * Pure: what to call so the portal ends up with exactly the manifest. Stale bindings (another
 * handler URL after PUBLIC_URL moved, a placement dropped from the manifest) are unbound; robots
 * that exist are updated, never deleted (automation rules in use would break).
 */
export function planRegistration(m: RegistrationManifest, current: CurrentRegistrations, o: { publicUrl: string; authUserId: number; lang?: Lang }): Plan {
  const commands: Plan['commands'] = {};
  const meaning: Plan['meaning'] = {};
  const unchanged: RegistrationItem[] = [];
  let n = 0;
  const add = (cmd: BatchCommand, item: Plan['meaning'][string]) => {
    const key = `c${n++}`;
    commands[key] = cmd;
    meaning[key] = item;
  };

  // Unbinds first: batch runs commands in order, and single-instance placements (REST_APP_URI)
  // refuse a second handler until the old one is gone.
  const wanted = new Map(m.placements.map((p) => [p.code, p]));
  const byCode = new Map<string, BoundPlacement[]>();
  for (const b of current.placements) byCode.set(b.placement, [...(byCode.get(b.placement) ?? []), b]);
  const intact = new Set<string>();
  for (const [code, bound] of byCode) {
    const p = wanted.get(code);
    // Exactly one binding with our handler and titles: leave it. Anything else (stale handler,
    // old titles, duplicates) is cleared; unbind by PLACEMENT+HANDLER removes every copy at once.
    if (p && bound.length === 1 && bound[0]!.handler === handlerUrl(o.publicUrl, p.path) && titlesMatch(bound[0]!, p)) {
      intact.add(code);
      continue;
    }
    for (const handler of new Set(bound.map((b) => b.handler))) {
      add(['placement.unbind', { PLACEMENT: code, HANDLER: handler }], { kind: 'placement', name: code, outcome: 'unbound' });
    }
  }
  for (const p of m.placements) {
    if (intact.has(p.code)) unchanged.push({ kind: 'placement', name: p.code, outcome: 'unchanged' });
    else add(['placement.bind', placementParams(p, o.publicUrl)], { kind: 'placement', name: p.code, outcome: byCode.has(p.code) ? 'rebound' : 'bound' });
  }

  // Events: only our manifest's events are touched; others (e.g. Bitrix24's own ONAPPINSTALL
  // subscription for callback installs) are left alone.
  for (const e of m.events) {
    const url = handlerUrl(o.publicUrl, e.path);
    const bound = current.events.filter((b) => b.event === e.event);
    for (const b of bound) if (b.handler !== url) add(['event.unbind', { event: e.event, handler: b.handler }], { kind: 'event', name: e.event, outcome: 'unbound' });
    if (bound.some((b) => b.handler === url)) unchanged.push({ kind: 'event', name: e.event, outcome: 'unchanged' });
    else add(['event.bind', { event: e.event, handler: url }], { kind: 'event', name: e.event, outcome: 'bound' });
  }

  for (const r of m.robots) {
    const fields = robotFields(r, o.publicUrl, o.authUserId);
    if (current.robots.includes(r.code)) add(['bizproc.robot.update', { CODE: r.code, FIELDS: fields }], { kind: 'robot', name: r.code, outcome: 'updated' });
    else add(['bizproc.robot.add', { CODE: r.code, ...fields }], { kind: 'robot', name: r.code, outcome: 'added' });
  }

  // Triggers: trigger.add with a known code renames it, so only missing or renamed ones are sent.
  for (const t of m.triggers ?? []) {
    const name = t.name[o.lang ?? 'en'];
    const have = current.triggers?.find((x) => x.code === t.code);
    if (have && have.name === name) unchanged.push({ kind: 'trigger', name: t.code, outcome: 'unchanged' });
    else add(['crm.automation.trigger.add', { CODE: t.code, NAME: name }], { kind: 'trigger', name: t.code, outcome: have ? 'updated' : 'added' });
  }
  return { commands, meaning, unchanged };
}

const ALREADY_BOUND = /already\s+binded|already\s+bound/i;

function classify(errors: { error: string; error_description: string }[]): RegistrationProblem {
  const text = errors.map((e) => `${e.error} ${e.error_description}`).join(' ');
  if (/insufficient_scope|ERROR_PLACEMENT_NOT_FOUND|scope/i.test(text)) return 'missing_scope';
  if (/ACCESS_DENIED|INVALID_CREDENTIALS|admin/i.test(text)) return 'not_admin';
  if (/ERROR_WRONG_HANDLER_URL|ERROR_UNSUPPORTED_PROTOCOL/.test(text)) return 'wrong_handler_url';
  return 'other';
}

/** Reads what the portal has, then applies the plan. Throws RegistrationError when anything stays unregistered. */
export async function registerAll(
  client: Bitrix24Client,
  m: RegistrationManifest,
  o: { publicUrl: string; authUserId: number; lang?: Lang },
): Promise<RegistrationReport> {
  let batches = 0;
  const reads: Record<string, BatchCommand> = { placements: ['placement.get'], events: ['event.get'], robots: ['bizproc.robot.list'] };
  if (m.triggers?.length) reads.triggers = ['crm.automation.trigger.list'];
  const read = await client.batch(reads, { halt: false });
  batches++;
  const readErrors = Object.values(read.errors);
  if (readErrors.length) {
    const report: RegistrationReport = { items: [], batches, ok: false };
    throw new RegistrationError(classify(readErrors), report, `Reading current registrations failed: ${readErrors.map((e) => e.error || e.error_description).join(', ')}`);
  }
  const plan = planRegistration(m, readCurrent(read.result), o);
  const items: RegistrationItem[] = [...plan.unchanged];
  if (Object.keys(plan.commands).length === 0) return { items, batches, ok: true };

  const write = await client.batch(plan.commands, { halt: false });
  batches++;
  const retryUpdate: Record<string, BatchCommand> = {};
  const failures: { error: string; error_description: string }[] = [];
  for (const [key, item] of Object.entries(plan.meaning)) {
    const err = write.errors[key];
    if (!err) {
      items.push(item);
      continue;
    }
    if (ALREADY_BOUND.test(err.error_description) || ALREADY_BOUND.test(err.error)) {
      items.push({ ...item, outcome: 'unchanged' });
    } else if (err.error === 'ERROR_ACTIVITY_ALREADY_INSTALLED') {
      const robot = m.robots.find((r) => r.code === item.name)!;
      retryUpdate[key] = ['bizproc.robot.update', { CODE: robot.code, FIELDS: robotFields(robot, o.publicUrl, o.authUserId) }];
    } else if (item.outcome === 'unbound' && /not\s*found/i.test(`${err.error} ${err.error_description}`)) {
      items.push(item); // someone else removed it already: the goal is reached
    } else {
      failures.push(err);
      items.push({ ...item, outcome: 'failed', error: `${err.error}${err.error_description ? `: ${err.error_description}` : ''}` });
    }
  }
  if (Object.keys(retryUpdate).length) {
    const upd = await client.batch(retryUpdate, { halt: false });
    batches++;
    for (const key of Object.keys(retryUpdate)) {
      const item = plan.meaning[key]!;
      const err = upd.errors[key];
      if (err) {
        failures.push(err);
        items.push({ ...item, outcome: 'failed', error: `${err.error}: ${err.error_description}` });
      } else items.push({ ...item, outcome: 'updated' });
    }
  }
  const report: RegistrationReport = { items, batches, ok: failures.length === 0 };
  if (!report.ok) {
    throw new RegistrationError(classify(failures), report, `Registration failed: ${failures.map((e) => e.error || e.error_description).join(', ')}`);
  }
  return report;
}

/** For the status page: the manifest next to what the portal reports. */
export function compareWithManifest(m: RegistrationManifest, current: CurrentRegistrations, publicUrl: string) {
  return {
    placements: m.placements.map((p) => ({
      code: p.code,
      registered: current.placements.some((b) => b.placement === p.code && b.handler === handlerUrl(publicUrl, p.path)),
    })),
    events: m.events.map((e) => ({ event: e.event, registered: current.events.some((b) => b.event === e.event && b.handler === handlerUrl(publicUrl, e.path)) })),
    robots: m.robots.map((r) => ({ code: r.code, registered: current.robots.includes(r.code) })),
    triggers: (m.triggers ?? []).map((t) => ({ code: t.code, registered: Boolean(current.triggers?.some((x) => x.code === t.code)) })),
    extraPlacements: current.placements.filter((b) => !m.placements.some((p) => p.code === b.placement && b.handler === handlerUrl(publicUrl, p.path))).length,
  };
}

/** One batch that reads what is registered (status page). */
export async function readRegistrations(client: Bitrix24Client, m?: RegistrationManifest): Promise<CurrentRegistrations> {
  const reads: Record<string, BatchCommand> = { placements: ['placement.get'], events: ['event.get'], robots: ['bizproc.robot.list'] };
  if (m?.triggers?.length) reads.triggers = ['crm.automation.trigger.list'];
  const read = await client.batch(reads, { halt: false });
  const errs = Object.values(read.errors);
  if (errs.length) throw new RegistrationError(classify(errs), { items: [], batches: 1, ok: false }, errs.map((e) => e.error).join(', '));
  return readCurrent(read.result);
}
