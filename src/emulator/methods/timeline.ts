/** Timeline writes: comments with files, log messages, configurable activities (reference §7). */
import { asObject, param, RestError, type MethodCtx, type MethodTable } from '../envelope.js';
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
      if (!ownerExists(ctx, typeId, entityId)) throw new RestError(400, 'NOT_FOUND', 'Owner not found');
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

function activityView(e: TimelineEntry): Row {
  return {
    id: e.id, ownerTypeId: e.entityTypeId, ownerId: e.entityId, typeId: 'CONFIGURABLE', providerId: 'CONFIGURABLE_REST_APP',
    completed: e.fields.completed ?? 'N', responsibleId: Number(e.fields.responsibleId ?? e.authorId),
    badgeCode: e.fields.badgeCode ?? '', originatorId: e.fields.originatorId ?? '', originId: e.fields.originId ?? '',
  };
}
