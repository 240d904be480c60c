import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { templates, type Template } from '../db/schema/templates.js';
import type { FieldDef } from '../documents/fields.js';
import { createTemplate, getTemplate } from '../documents/templates/repo.js';
import { starterLayout } from '../documents/templates/starters/index.js';
import { AppError, isAppError } from '../lib/app-error.js';
import type { Lang } from '../i18n/index.js';
import type { Services } from '../services.js';

export interface TemplateForCard {
  id: string;
  name: string;
  kind: string;
  fields: FieldDef[];
}

/**
 * A starter the portal has not made its own is addressed as `starter:<layout>` by the card: choosing
 * it (fields, preview) creates nothing; the portal template is made when a document is sent from it.
 */
export const STARTER_PREFIX = 'starter:';
export const starterIdOf = (templateId: string) => (templateId.startsWith(STARTER_PREFIX) ? templateId.slice(STARTER_PREFIX.length) : null);

/** A starter as an unsaved template of this portal, in this language (for preview); null for an unknown layout. */
export function starterTemplate(p: { portalId: string; layout: string; lang: Lang }): Template | null {
  const layout = starterLayout(p.layout, p.lang);
  if (!layout) return null;
  const now = new Date(0);
  return {
    id: `${STARTER_PREFIX}${p.layout}`, portalId: p.portalId, name: layout.name, kind: layout.kind, language: p.lang,
    source: { type: 'builtin', layout: p.layout }, fields: layout.fields as FieldDef[],
    createdByUserId: null, createdAt: now, updatedAt: now, lastUsedAt: null, deletedAt: null,
  } as unknown as Template;
}

/** A portal template (or an unadopted starter) with its fields, or null when it is not this portal's. */
export async function loadTemplateFields(services: Pick<Services, 'db'>, p: { portalId: string; templateId: string; lang?: Lang }): Promise<TemplateForCard | null> {
  const layout = starterIdOf(p.templateId);
  if (layout !== null) {
    const t = starterTemplate({ portalId: p.portalId, layout, lang: p.lang ?? 'en' });
    return t ? { id: t.id, name: t.name, kind: t.kind, fields: t.fields } : null;
  }
  try {
    const t = await getTemplate(services.db, { portalId: p.portalId, id: p.templateId });
    return { id: t.id, name: t.name, kind: t.kind, fields: t.fields };
  } catch (e) {
    if (isAppError(e) && e.code === 'NOT_FOUND') return null;
    throw e;
  }
}

/**
 * The portal template for a starter in a language, made at the first send from it: the oldest one the
 * portal already has (same layout and language, not deleted), or a new copy of the starter.
 */
export async function adoptStarter(services: Pick<Services, 'db' | 'ids'>, p: { portalId: string; userId?: number; layout: string; lang: Lang }): Promise<Template> {
  if (!starterLayout(p.layout, p.lang)) throw new AppError('NOT_FOUND', 'No such starter layout.');
  const [existing] = await services.db
    .select()
    .from(templates)
    .where(and(
      eq(templates.portalId, p.portalId), isNull(templates.deletedAt), eq(templates.language, p.lang),
      sql`${templates.source}->>'type' = 'builtin'`, sql`${templates.source}->>'layout' = ${p.layout}`,
    ))
    .orderBy(asc(templates.createdAt))
    .limit(1);
  if (existing) return existing;
  return createTemplate(services.db, services.ids, { portalId: p.portalId, userId: p.userId, input: { language: p.lang, source: { type: 'builtin', layout: p.layout } } });
}
