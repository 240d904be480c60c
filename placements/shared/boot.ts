import type { PageBoot } from '../../src/doors/placement-pages.js';
import type { CardKey } from '../../src/i18n/card.js';

export type { PageBoot };

/** Reads the JSON the server embedded; the page scripts never parse the URL or the form again. */
export function readBoot(): PageBoot {
  const el = document.getElementById('b24s-boot');
  if (!el?.textContent) throw new Error('b24s-boot missing');
  return JSON.parse(el.textContent) as PageBoot;
}

export type Translate = (key: CardKey, vars?: Record<string, string | number>) => string;

export function makeT(boot: PageBoot): Translate {
  return (key, vars) => {
    const s = boot.messages[key] ?? key;
    return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
  };
}
