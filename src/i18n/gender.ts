import type { Lang } from './index.js';

/**
 * Russian past-tense verbs and short adjectives agree with the person: "Анна подписала", "Иван
 * подписал". Bitrix24 knows an employee's gender: user.get's PERSONAL_GENDER, a string that is 'M',
 * 'F' or empty when not filled in (b24restdocs api-reference/user/user-get.md, field list in
 * user-fields.md "PERSONAL_GENDER": "Gender"; 'M'/'F' values as in common/events/on-user-add.md).
 * Contacts and e-mail signers have no such field: their sentences use a neutral form, built so
 * nothing agrees with the person ("Документ «…» подписан: Анна"), never a "(а)" ending.
 */
export type Gender = 'M' | 'F';

/** PERSONAL_GENDER as Bitrix24 sends it → 'M' | 'F', anything else (empty, unknown) → undefined. */
export function genderOf(v: unknown): Gender | undefined {
  const s = typeof v === 'string' ? v.trim().toUpperCase() : '';
  return s === 'M' || s === 'F' ? s : undefined;
}

/** A text whose Russian depends on the person: masculine, feminine and the neutral construction. */
export interface PersonText {
  en: string;
  it: string;
  ru: { m: string; f: string; neutral: string };
}
export type PersonMessages<K extends string = string> = Record<K, PersonText>;

/** The form for this language and person. */
export function personForm(text: PersonText, lang: Lang, gender: Gender | null | undefined): string {
  if (lang !== 'ru') return text[lang] || text.en;
  return gender === 'M' ? text.ru.m : gender === 'F' ? text.ru.f : text.ru.neutral;
}
