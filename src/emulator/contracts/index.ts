/**
 * Every REST method contract, by lower-case name, and the three checks the emulator's dispatcher
 * applies with them (rest.ts): parameters before the method runs, the reply after, and the error when
 * it refuses. A method without a contract is refused loudly (EMULATOR_NO_CONTRACT), so a new method
 * cannot be emulated, and then relied on by the app, without someone first writing down what Bitrix24
 * documents for it.
 */
import { appContracts } from './app.js';
import { automationContracts, bizprocContracts } from './bizproc.js';
import { crmContracts } from './crm.js';
import { departmentContracts } from './department.js';
import { docgenContracts } from './docgen.js';
import { eventContracts } from './event.js';
import { imContracts } from './im.js';
import { placementContracts } from './placement.js';
import { timelineContracts } from './timeline.js';
import { SYSTEM_ERRORS, type DocumentedError, type MethodContract } from './types.js';
import { userContracts } from './user.js';

export type { DocumentedError, MethodContract } from './types.js';

export const CONTRACTS: ReadonlyMap<string, MethodContract> = new Map(
  [
    ...appContracts, ...userContracts, ...placementContracts, ...eventContracts, ...bizprocContracts, ...automationContracts,
    ...crmContracts, ...timelineContracts, ...docgenContracts, ...imContracts, ...departmentContracts,
  ].map((c) => [c.method, c]),
);

export function contractFor(method: string): MethodContract | undefined {
  return CONTRACTS.get(method.toLowerCase());
}

/** A granted scope list satisfies the contract: `basic` needs nothing, else any one listed scope. */
export function scopeAllows(c: MethodContract, granted: readonly string[]): boolean {
  return c.scope.includes('basic') || c.scope.some((s) => granted.includes(s));
}

export type ParamCheck =
  | { ok: true; params: Record<string, unknown>; ignored: string[] }
  | { ok: false; error: DocumentedError; field: string };

/** The key as sent for a documented name: exact, else any casing (older methods read both). */
function sentKey(params: Record<string, unknown>, name: string): string | undefined {
  if (name in params) return name;
  return Object.keys(params).find((k) => k.toLowerCase() === name.toLowerCase());
}

/**
 * Parameters against the contract. A documented key whose value does not fit is refused only when the
 * contract cites a refusal for it; otherwise it is dropped (Bitrix24 ignores what it cannot read) and
 * named in `ignored`. Keys the contract does not list pass untouched.
 */
export function checkParams(c: MethodContract, params: Record<string, unknown>): ParamCheck {
  const shape = c.params.shape as Record<string, unknown>;
  const view: Record<string, unknown> = {};
  const keys = new Map<string, string>();
  for (const name of Object.keys(shape)) {
    const k = sentKey(params, name);
    if (k !== undefined) {
      view[name] = params[k];
      keys.set(name, k);
    }
  }
  const parsed = c.params.safeParse(view);
  if (parsed.success) return { ok: true, params, ignored: [] };
  const bad = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '')))];
  for (const field of bad) {
    const refusal = c.refuse?.[field];
    if (refusal) return { ok: false, error: refusal, field };
  }
  const out = { ...params };
  const ignored: string[] = [];
  for (const field of bad) {
    const k = keys.get(field);
    if (k !== undefined) {
      delete out[k];
      ignored.push(k);
    }
  }
  return { ok: true, params: out, ignored };
}

/** The reply's `result` against the contract; a message naming the first mismatch, or undefined. */
export function checkResult(c: MethodContract, result: unknown): string | undefined {
  const r = c.result.safeParse(result);
  if (r.success) return undefined;
  const i = r.error.issues[0]!;
  return `${c.method}: result${i.path.map((p) => `[${String(p)}]`).join('')}: ${i.message}`;
}

/** Whether an error (code + HTTP status) is one the method's sources, or the system-error table, list. */
export function errorAllowed(c: MethodContract, code: string, status: number): boolean {
  const match = (e: DocumentedError) => e.code === code && e.status === status;
  return c.errors.some(match) || (c.unlisted ?? []).some(match) || SYSTEM_ERRORS.some(match) || Object.values(c.refuse ?? {}).some(match);
}
