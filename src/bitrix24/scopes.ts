/**
 * Which granted scopes satisfy a need. Bitrix24's user scopes nest: `user_brief` (names, photo,
 * position; no EMAIL) ⊂ `user_basic` (adds EMAIL and phones) ⊂ `user` (everything)
 * (b24restdocs api-reference/user/user-scope.md). A portal that granted the wider scope satisfies
 * a need for the narrower one.
 */
const WIDER: Record<string, readonly string[]> = {
  user_brief: ['user_basic', 'user'],
  user_basic: ['user'],
};

export function grantsScope(granted: readonly string[], need: string): boolean {
  return granted.includes(need) || (WIDER[need] ?? []).some((s) => granted.includes(s));
}

/** The needs that none of the granted scopes cover. */
export function missingScopes(granted: readonly string[], needs: readonly string[]): string[] {
  return needs.filter((s) => !grantsScope(granted, s));
}

/** A comma list as Bitrix24 sends it (`crm,bizproc,user_basic`) → trimmed names. */
export function scopeList(raw: string | null | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
