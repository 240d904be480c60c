import type { FieldDef } from '../../src/documents/fields.js';
import { getTemplate } from '../../src/documents/templates/repo.js';
import { isAppError } from '../../src/http/errors.js';
import type { Services } from '../../src/services.js';

export interface TemplateForCard {
  id: string;
  name: string;
  kind: string;
  fields: FieldDef[];
}

/** A portal template with its fields (the documents module's store), or null when it is not this portal's. */
export async function loadTemplateFields(services: Pick<Services, 'db'>, p: { portalId: string; templateId: string }): Promise<TemplateForCard | null> {
  try {
    const t = await getTemplate(services.db, { portalId: p.portalId, id: p.templateId });
    return { id: t.id, name: t.name, kind: t.kind, fields: t.fields };
  } catch (e) {
    if (isAppError(e) && e.code === 'NOT_FOUND') return null;
    throw e;
  }
}
