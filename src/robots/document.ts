import type { EnvelopeField } from '../db/schema/envelopes.js';
import { valuesFromCrm, type CrmData } from '../documents/crm-data.js';
import { printedAtSend, toCanonical, valuesPrintedAtSend, type FieldDef } from '../documents/fields.js';
import { renderDocument } from '../documents/render.js';
import { renderInputFor } from '../documents/templates/prepare.js';
import type { Template } from '../db/schema/templates.js';
import type { Lang } from '../i18n/index.js';
import type { Services } from '../services.js';

/**
 * Template + the CRM data the robot already read → the PDF recipients will see and the envelope's
 * frozen fields. What the sender side knows is printed now (sender fields, and on built-in layouts
 * every inline text value); what recipients fill or sign keeps its box. A field a layout places
 * several times (initials on every page) becomes one envelope field per place.
 */
export async function documentFor(
  services: Pick<Services, 'db' | 'clock' | 'blobs'>,
  template: Template,
  crm: CrmData,
  lang: Lang,
): Promise<{ pdf: Uint8Array; fields: EnvelopeField[] }> {
  const values = valuesFromCrm(template.fields, crm, { today: services.clock.now(), lang });
  const input = await renderInputFor(services, template, { lang });
  const inline = (f: FieldDef) => printedAtSend(f, Boolean(input.layout));
  const printed = valuesPrintedAtSend(template.fields, values, Boolean(input.layout));
  const rendered = await renderDocument({ ...input, fields: template.fields, values: printed, lang });

  const fields: EnvelopeField[] = [];
  const count = new Map<string, number>();
  for (const place of rendered.placements) {
    const def = template.fields.find((f) => f.key === place.key);
    if (!def || def.party === 'sender' || inline(def)) continue;
    const n = (count.get(def.key) ?? 0) + 1;
    count.set(def.key, n);
    const v = values[def.key];
    const pre = v === undefined ? null : toCanonical(def.type, v);
    fields.push({
      key: n === 1 ? def.key : `${def.key}_p${n}`,
      type: def.type,
      ...(def.label ? { label: def.label } : {}),
      page: place.page,
      box: place.box,
      party: def.party,
      required: def.required,
      ...(pre !== null && pre !== undefined ? { defaultValue: pre } : {}),
    });
  }
  return { pdf: await rendered.doc.save(), fields };
}
