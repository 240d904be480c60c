/**
 * The robot's settings as Bitrix24 delivers them in `properties[...]` (reference §5.3): values are
 * already evaluated, always strings, sometimes arrays (multiple), sometimes an expression the portal
 * could not evaluate (left as `{=Document:…}`). Anything empty or unevaluated means "use the default".
 */
export type CompanySigner = { kind: 'responsible' } | { kind: 'user'; id: number };
export type ClientSigner = { kind: 'primary' } | { kind: 'contact'; id: number } | { kind: 'email'; email: string };

export interface RobotSettings {
  template?: string;
  companySigner: CompanySigner;
  clientSigner: ClientSigner;
  wait: boolean;
  deadlineDays?: number;
}

export interface PropertyProblem {
  property: 'company_signer' | 'client_signer' | 'wait' | 'deadline_days' | 'template';
  value: string;
}

/** First scalar of a property value; '' for nothing, arrays of nothing, or unevaluated expressions. */
export function scalar(v: unknown): string {
  if (Array.isArray(v)) {
    for (const x of v) {
      const s = scalar(x);
      if (s) return s;
    }
    return '';
  }
  if (v && typeof v === 'object') return scalar(Object.values(v as Record<string, unknown>));
  if (typeof v !== 'string' && typeof v !== 'number') return '';
  const s = String(v).trim();
  if (/^\{[=?{]/.test(s) || /^\{\{.*\}\}$/.test(s)) return '';
  return s;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export function parseRobotSettings(props: Record<string, unknown>): { settings: RobotSettings; problems: PropertyProblem[] } {
  const problems: PropertyProblem[] = [];
  const template = scalar(props.template) || undefined;
  if (template && !/^[A-Za-z0-9_:.-]{1,80}$/.test(template)) problems.push({ property: 'template', value: template });

  // user fields arrive as `user_5`; plain ids are accepted too.
  let companySigner: CompanySigner = { kind: 'responsible' };
  const cs = scalar(props.company_signer);
  if (cs) {
    const m = /^(?:user_)?(\d{1,12})$/i.exec(cs);
    if (m) companySigner = { kind: 'user', id: Number(m[1]) };
    else problems.push({ property: 'company_signer', value: cs });
  }

  let clientSigner: ClientSigner = { kind: 'primary' };
  const cl = scalar(props.client_signer);
  if (cl) {
    const id = /^(?:(?:C|CONTACT)_)?(\d{1,12})$/i.exec(cl);
    const mail = /<([^<>]+)>\s*$/.exec(cl)?.[1] ?? cl;
    if (id) clientSigner = { kind: 'contact', id: Number(id[1]) };
    else if (EMAIL.test(mail)) clientSigner = { kind: 'email', email: mail.toLowerCase() };
    else problems.push({ property: 'client_signer', value: cl });
  }

  let wait = true;
  const w = scalar(props.wait).toLowerCase();
  if (w) {
    if (['n', '0', 'false', 'no'].includes(w)) wait = false;
    else if (!['y', '1', 'true', 'yes'].includes(w)) problems.push({ property: 'wait', value: w });
  }

  let deadlineDays: number | undefined;
  const d = scalar(props.deadline_days);
  if (d) {
    const n = Number(d);
    if (Number.isInteger(n) && n >= 1 && n <= 365) deadlineDays = n;
    else problems.push({ property: 'deadline_days', value: d });
  }

  return { settings: { template, companySigner, clientSigner, wait, ...(deadlineDays ? { deadlineDays } : {}) }, problems };
}

/** DEAL_8061 / LEAD_5 / DYNAMIC_128_7 / SMART_INVOICE_3 / QUOTE_2 → CRM entityTypeId. */
export function entityTypeOf(type: string): number | undefined {
  const fixed: Record<string, number> = { LEAD: 1, DEAL: 2, CONTACT: 3, COMPANY: 4, QUOTE: 7, SMART_INVOICE: 31 };
  if (fixed[type]) return fixed[type];
  const dyn = /^DYNAMIC_(\d{1,6})$/.exec(type);
  return dyn ? Number(dyn[1]) : undefined;
}
