/**
 * Shared i18n primitives. Catalogs live next to the feature that owns them (e.g. `card.ts`), each a
 * map of key → { en, it, ru }, so parallel work never fights over one big file.
 */
export const LANGS = ['en', 'it', 'ru'] as const;
export type Lang = (typeof LANGS)[number];

export type Messages<K extends string = string> = Record<K, Record<Lang, string>>;

/**
 * Bitrix24 sends its interface language as LANG (`en`, `ru`, `it`, `de`, `ua`, `by`, `kz`, `br`…).
 * Portals in Belarus and Kazakhstan run a Russian interface; everything else we do not translate
 * falls back to English.
 */
export function pickLang(raw: string | null | undefined): Lang {
  const v = (raw ?? '').trim().toLowerCase().slice(0, 2);
  if (v === 'ru' || v === 'by' || v === 'kz') return 'ru';
  if (v === 'it') return 'it';
  return 'en';
}

/** One language's flat catalog: what a page embeds for its client script. */
export function catalogFor<K extends string>(messages: Messages<K>, lang: Lang): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const key of Object.keys(messages) as K[]) out[key] = messages[key][lang] || messages[key].en;
  return out;
}

/** `{name}` placeholders; unknown placeholders stay visible so a missing variable is noticed in review. */
export function format(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export function translator<K extends string>(catalog: Record<K, string>) {
  return (key: K, vars?: Record<string, string | number>) => format(catalog[key] ?? key, vars);
}
