/** Timeline writes: comments with files, log messages, configurable activities (reference §7). */
import { asObject, legacyError, param, RestError, type MethodCtx, type MethodTable } from '../envelope.js';
import { listRows, matches, sortRows } from '../list.js';
import type { Row, TimelineEntry } from '../types.js';
import { KIND_BY_TYPE } from './crm.js';

// Symbolic codes of CRM types, lower case (b24restdocs api-reference/crm/data-types.md#object_type);
// `dynamic_<id>` is for smart processes only (ids from 128), so `dynamic_31` names no owner.
const TYPE_BY_NAME: Record<string, number> = { lead: 1, deal: 2, contact: 3, company: 4, invoice: 5, quote: 7, order: 14, smart_invoice: 31 };
const bad = (d: string) => new RestError(400, 'INVALID_ARG_VALUE', d);

function ownerExists(ctx: MethodCtx, typeId: number, id: number): boolean {
  const kind = KIND_BY_TYPE[typeId];
  if (!kind) return typeId >= 128 || typeId === 14 || typeId === 31 || typeId === 7;
  const map = { deal: ctx.portal.deals, lead: ctx.portal.leads, contact: ctx.portal.contacts, company: ctx.portal.companies }[kind];
  return map.has(String(id));
}

function push(ctx: MethodCtx, e: Omit<TimelineEntry, 'id' | 'created' | 'updated' | 'clientId' | 'authorId'>): TimelineEntry {
  const now = ctx.st.now();
  const entry: TimelineEntry = { id: ++ctx.portal.seq, created: now, updated: now, clientId: ctx.app.clientId, authorId: ctx.token.userId, ...e };
  ctx.portal.timeline.push(entry);
  return entry;
}

function decodeFiles(v: unknown): { name: string; bytes: number }[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : Object.values(asObject(v));
  return list.map((f) => {
    const pair = Array.isArray(f) ? f : Object.values(asObject(f));
    const [name, content] = pair;
    if (typeof name !== 'string' || typeof content !== 'string' || !name) throw bad('FILES must be a list of [name, base64] pairs');
    if (content.startsWith('data:') || !/^[A-Za-z0-9+/=\r\n]*$/.test(content)) throw bad(`File ${name}: content is not base64`);
    return { name, bytes: Buffer.from(content, 'base64').length };
  });
}

const TAG_TYPES = ['warning', 'success', 'failure', 'primary', 'secondary'];
const required = (d: string) => new RestError(400, 'FIELD_IS_REQUIRED', d);

/** Enough of LayoutDto validation to catch the mistakes the reference lists (§7.2). */
function validateLayout(layout: unknown): Row {
  const l = asObject(layout);
  if (!Object.keys(l).length) throw new RestError(400, 'ERROR_EMPTY_LAYOUT', 'Layout is empty');
  if (!asObject(l.icon).code) throw required('Field `icon.code` is required');
  const header = asObject(l.header);
  if (!header.title) throw required('Field `header.title` is required');
  const tags = asObject(header.tags);
  if (Object.keys(tags).length > 2) throw new RestError(400, 'TOO_MANY_ITEMS', 'Too many items in `header.tags`');
  for (const [k, t] of Object.entries(tags)) {
    if (!TAG_TYPES.includes(String(asObject(t).type))) throw new RestError(400, 'ENUM_FIELD', `Field \`header.tags.${k}.type\` has a wrong value`);
  }
  const body = asObject(l.body);
  if (!Object.keys(asObject(body.logo)).length) throw required('Field `body.logo` is required');
  if (Object.keys(asObject(body.blocks)).length > 20) throw new RestError(400, 'TOO_MANY_ITEMS', 'Too many items in `body.blocks`');
  if (Object.keys(asObject(asObject(l.footer).buttons)).length > 2) throw new RestError(400, 'TOO_MANY_ITEMS', 'Too many items in `footer.buttons`');
  return l;
}

export const timelineMethods: MethodTable = {
  'crm.timeline.comment.add': {
    scope: ['crm'],
    handler: (ctx) => {
      // Since crm 23.100.0 only the lower-case `fields` key is read (reference §7.1, pitfall 24).
      if (ctx.params.fields === undefined) throw bad("Parameter 'fields' must be array.");
      const f = asObject(ctx.params.fields);
      const typeName = String(f.ENTITY_TYPE ?? '').toLowerCase();
      const dynamic = /^dynamic_(\d+)$/.exec(typeName);
      const typeId = TYPE_BY_NAME[typeName] ?? (dynamic && Number(dynamic[1]) >= 128 ? Number(dynamic[1]) : NaN);
      const entityId = Number(f.ENTITY_ID);
      if (!Number.isFinite(typeId) || !(entityId > 0) || !ownerExists(ctx, typeId, entityId)) throw new RestError(400, 'OWNER_NOT_FOUND', 'Owner not found');
      if (!String(f.COMMENT ?? '').trim()) throw bad('Empty comment');
      const files = decodeFiles(f.FILES);
      const e = push(ctx, { kind: 'comment', entityTypeId: typeId, entityId, fields: f, files });
      return { result: e.id };
    },
  },
  'crm.timeline.logmessage.add': {
    scope: ['crm'],
    handler: (ctx) => {
      const f = asObject(param(ctx.params, 'fields'));
      for (const k of ['entityTypeId', 'entityId', 'title', 'text', 'iconCode']) if (!f[k]) throw required(`Field \`${k}\` is required`);
      const typeId = Number(f.entityTypeId);
      const entityId = Number(f.entityId);
      // OWNER_NOT_FOUND, as b24restdocs crm-timeline-logmessage-add.md lists it.
      if (!ownerExists(ctx, typeId, entityId)) throw new RestError(400, 'OWNER_NOT_FOUND', 'Owner not found');
      const e = push(ctx, { kind: 'logmessage', entityTypeId: typeId, entityId, fields: f });
      return {
        result: {
          logMessage: { id: e.id, created: new Date(e.created).toISOString().replace('.000Z', '+00:00'), authorId: Number(e.authorId), title: f.title, text: f.text, iconCode: f.iconCode },
        },
      };
    },
  },
  'crm.activity.configurable.add': {
    scope: ['crm'],
    handler: (ctx) => {
      const typeId = Number(param(ctx.params, 'ownerTypeId'));
      const ownerId = Number(param(ctx.params, 'ownerId'));
      if (!(typeId > 0) || !(ownerId > 0) || !ownerExists(ctx, typeId, ownerId)) throw new RestError(400, 'NOT_FOUND', 'Owner not found');
      const fields = asObject(param(ctx.params, 'fields'));
      const layout = validateLayout(param(ctx.params, 'layout'));
      const e = push(ctx, { kind: 'activity', entityTypeId: typeId, entityId: ownerId, fields, layout });
      return { result: { activity: activityView(e) } };
    },
  },
  'crm.activity.configurable.update': {
    scope: ['crm'],
    handler: (ctx) => {
      const id = Number(param(ctx.params, 'id'));
      const e = ctx.portal.timeline.find((x) => x.kind === 'activity' && x.id === id);
      if (!e) throw new RestError(400, 'NOT_FOUND', 'Activity not found');
      if (e.clientId !== ctx.app.clientId) throw new RestError(400, 'ERROR_WRONG_APPLICATION', 'Activity was created by another application');
      const fields = asObject(param(ctx.params, 'fields'));
      const layout = validateLayout(param(ctx.params, 'layout'));
      e.fields = { ...e.fields, ...fields };
      e.layout = layout;
      e.updated = ctx.st.now();
      return { result: { activity: activityView(e) } };
    },
  },
};

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', '+00:00');

/**
 * The look-ups a writer uses to find out whether a write whose answer it lost went through (b24-sign's
 * timeline outbox reconciles pending writes with them). Each follows its b24restdocs page:
 *   crm.activity.list          api-reference/crm/timeline/activities/activity-base/crm-activity-list.md
 *                              (filter on any crm.activity.fields field: ORIGIN_ID, ORIGINATOR_ID,
 *                              PROVIDER_ID = CONFIGURABLE_REST_APP per …/configurable/index.md; pages of 50)
 *   crm.timeline.logmessage.list  api-reference/crm/timeline/logmessage/crm-timeline-logmessage-list.md
 *                              (entityTypeId* + entityId*, only app-added entries, order id/created
 *                              default desc, pages of 10; missing parameter → error "100")
 *   crm.timeline.comment.list  api-reference/crm/timeline/comments/crm-timeline-comment-list.md
 *                              (filter ENTITY_ID + ENTITY_TYPE required, order ID/CREATED/AUTHOR_ID, pages of 50)
 */
export const timelineLookups: MethodTable = {
  'crm.activity.list': {
    scope: ['crm'],
    handler: (ctx) => {
      const rows = ctx.portal.timeline.filter((e) => e.kind === 'activity').map(activityRow);
      const r = listRows(rows, ctx.params);
      return { result: r.items, total: r.total, next: r.next };
    },
  },
  'crm.timeline.logmessage.list': {
    scope: ['crm'],
    handler: (ctx) => {
      for (const k of ['entityTypeId', 'entityId']) {
        if (param(ctx.params, k) === undefined) throw new RestError(400, '100', `Could not find value for parameter {${k}}`);
      }
      const typeId = Number(param(ctx.params, 'entityTypeId'));
      const entityId = Number(param(ctx.params, 'entityId'));
      const order = asObject(param(ctx.params, 'order'));
      const rows = ctx.portal.timeline
        .filter((e) => e.kind === 'logmessage' && e.entityTypeId === typeId && e.entityId === entityId)
        .map((e): Row => ({ id: e.id, created: iso(e.created), authorId: Number(e.authorId), title: e.fields.title, text: e.fields.text, iconCode: e.fields.iconCode }));
      const sorted = sortRows(rows, Object.keys(order).length ? order : { id: 'desc' });
      const start = Math.max(0, Number(param(ctx.params, 'start') ?? 0) || 0);
      const items = sorted.slice(start, start + 10);
      return { result: items, total: sorted.length, ...(start + 10 < sorted.length ? { next: start + 10 } : {}) };
    },
  },
  'crm.timeline.comment.list': {
    scope: ['crm'],
    handler: (ctx) => {
      const filter = asObject(param(ctx.params, 'filter', 'FILTER'));
      if (filter.ENTITY_ID === undefined || filter.ENTITY_TYPE === undefined) throw legacyError('Access denied.');
      const rows = ctx.portal.timeline
        .filter((e) => e.kind === 'comment')
        .map((e): Row => ({
          ID: String(e.id), ENTITY_ID: String(e.entityId), ENTITY_TYPE: String(e.fields.ENTITY_TYPE ?? '').toLowerCase(), CREATED: iso(e.created),
          COMMENT: String(e.fields.COMMENT ?? ''), AUTHOR_ID: String(e.authorId),
          FILES: Object.fromEntries((e.files ?? []).map((f, i) => [String(i + 1), { id: i + 1, name: f.name, size: f.bytes }])),
        }))
        .filter((row) => matches(row, { ...filter, ENTITY_TYPE: String(filter.ENTITY_TYPE).toLowerCase() }));
      const r = listRows(rows, { ...ctx.params, filter: {} });
      return { result: r.items, total: r.total, next: r.next };
    },
  },
};

/** crm.activity.list's classic row (strings, UPPER_CASE; the docs' response example). */
function activityRow(e: TimelineEntry): Row {
  return {
    ID: String(e.id), OWNER_ID: String(e.entityId), OWNER_TYPE_ID: String(e.entityTypeId), PROVIDER_ID: 'CONFIGURABLE_REST_APP',
    PROVIDER_TYPE_ID: 'CONFIGURABLE', CREATED: iso(e.created), LAST_UPDATED: iso(e.updated), COMPLETED: String(e.fields.completed ?? 'N'),
    RESPONSIBLE_ID: String(e.fields.responsibleId ?? e.authorId), AUTHOR_ID: String(e.authorId),
    SUBJECT: String(asObject(asObject(e.layout).header).title ?? ''),
    ORIGINATOR_ID: e.fields.originatorId === undefined ? null : String(e.fields.originatorId),
    ORIGIN_ID: e.fields.originId === undefined ? null : String(e.fields.originId),
  };
}

function activityView(e: TimelineEntry): Row {
  return {
    id: e.id, ownerTypeId: e.entityTypeId, ownerId: e.entityId, typeId: 'CONFIGURABLE', providerId: 'CONFIGURABLE_REST_APP',
    completed: e.fields.completed ?? 'N', responsibleId: Number(e.fields.responsibleId ?? e.authorId),
    badgeCode: e.fields.badgeCode ?? '', originatorId: e.fields.originatorId ?? '', originId: e.fields.originId ?? '',
  };
}
