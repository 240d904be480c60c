/**
 * What a placement code and its PLACEMENT_OPTIONS mean for our pages: which page to show and which
 * CRM item it is about. Pure, so the door and the tests share one reading of Bitrix24's formats.
 */
export type PageKind = 'card' | 'docgen' | 'app';

export interface CrmRef {
  /** CRM entityTypeId: 1 lead, 2 deal, 3 contact, 4 company, 7 quote, 31 smart invoice, ≥128 smart process. */
  entityTypeId: number;
  entityId: number;
}

export interface PlacementTarget {
  page: PageKind;
  entity: CrmRef | null;
  /** The activity a timeline-menu click came from (a generated document's record, usually). */
  activityId?: number;
  /** REST_APP_URI deep link: `params[envelopeId]=env_…`. */
  envelopeId?: string;
}

const ENTITY_TYPE_IDS: Record<string, number> = { LEAD: 1, DEAL: 2, CONTACT: 3, COMPANY: 4, QUOTE: 7, SMART_INVOICE: 31 };

const CODE = /^CRM_(LEAD|DEAL|CONTACT|COMPANY|QUOTE|SMART_INVOICE|DYNAMIC_(\d+))_(DETAIL_TAB|DETAIL_TOOLBAR|DETAIL_ACTIVITY|DOCUMENTGENERATOR_BUTTON|ACTIVITY_TIMELINE_MENU)$/;

/**
 * PLACEMENT_OPTIONS arrives as a JSON string (sometimes the literal string "undefined", sometimes with
 * inconsistent key case); ids inside are strings.
 */
export function parsePlacementOptions(raw: unknown): Record<string, string> {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    if (raw === '' || raw === 'undefined') return {};
    try {
      value = JSON.parse(raw);
    } catch {
      return {};
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  }
  return out;
}

function option(options: Record<string, string>, ...names: string[]): string | undefined {
  const lower = new Map(Object.entries(options).map(([k, v]) => [k.toLowerCase(), v]));
  for (const n of names) {
    const v = lower.get(n.toLowerCase());
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function positiveInt(v: string | undefined): number | undefined {
  if (!v || !/^\d{1,12}$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
}

export function entityTypeIdOf(code: string): number | undefined {
  const m = CODE.exec(code);
  if (!m) return undefined;
  return m[2] ? Number(m[2]) : ENTITY_TYPE_IDS[m[1]!];
}

export function describePlacement(code: string, options: Record<string, string>): PlacementTarget {
  const m = CODE.exec(code);
  if (!m) {
    // REST_APP_URI, DEFAULT (the app opened from the menu) and anything unknown: the app page.
    const envelopeId = option(options, 'envelopeId', 'envelope_id', 'docId');
    const et = positiveInt(option(options, 'entityTypeId'));
    const id = positiveInt(option(options, 'entityId'));
    return {
      page: 'app',
      entity: et && id ? { entityTypeId: et, entityId: id } : null,
      ...(envelopeId && /^env_[A-Za-z0-9]{1,64}$/.test(envelopeId) ? { envelopeId } : {}),
    };
  }
  const entityTypeId = m[2] ? Number(m[2]) : ENTITY_TYPE_IDS[m[1]!]!;
  const family = m[3]!;
  // The toolbar sends ID for lead/deal/contact/company but ENTITY_ID for the others; the generator
  // button and the timeline menu always send ENTITY_ID.
  const entityId = positiveInt(option(options, 'ID', 'ENTITY_ID'));
  const entity = entityId ? { entityTypeId, entityId } : null;
  if (family === 'DOCUMENTGENERATOR_BUTTON') return { page: 'docgen', entity };
  if (family === 'ACTIVITY_TIMELINE_MENU') {
    const activityId = positiveInt(option(options, 'ASSOCIATED_ENTITY_ID'));
    return { page: 'docgen', entity, ...(activityId ? { activityId } : {}) };
  }
  return { page: 'card', entity };
}
