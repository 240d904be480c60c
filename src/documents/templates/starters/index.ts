import { LANGS, type Lang } from '../../../i18n/index.js';
import type { Layout } from '../layout.js';
import { invoice } from './invoice.js';
import { nda } from './nda.js';
import { salesContract } from './sales-contract.js';

/** The built-in layouts every portal starts with; each exists in every template language. */
const STARTERS: Record<string, (lang: Lang) => Layout> = {
  'sales-contract': salesContract,
  invoice,
  nda,
};

export const STARTER_IDS = Object.keys(STARTERS);

export function isStarter(id: string): boolean {
  return Object.hasOwn(STARTERS, id);
}

/** A fresh copy (callers may edit fields), or undefined for an unknown id. */
export function starterLayout(id: string, lang: Lang): Layout | undefined {
  return isStarter(id) ? STARTERS[id]!(lang) : undefined;
}

export function listStarters(): Array<{ id: string; kind: Layout['kind']; names: Record<Lang, string> }> {
  return STARTER_IDS.map((id) => {
    const names = Object.fromEntries(LANGS.map((l) => [l, STARTERS[id]!(l).name])) as Record<Lang, string>;
    return { id, kind: STARTERS[id]!('en').kind, names };
  });
}
