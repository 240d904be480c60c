import type { FieldDef } from '../../src/documents/fields.js';
import type { Services } from '../../src/services.js';

export interface TemplateForCard {
  id: string;
  name: string;
  kind: string;
  fields: FieldDef[];
}

/**
 * A portal's (or a starter) template with its fields, as the documents module stores it.
 * PENDING: the documents module's template store has not landed; until it does no template is
 * found, so proposals for a template answer NOT_FOUND. Replace the body with its lookup.
 */
export async function loadTemplateFields(_services: Pick<Services, 'db'>, _p: { portalId: string; templateId: string }): Promise<TemplateForCard | null> {
  return null;
}
