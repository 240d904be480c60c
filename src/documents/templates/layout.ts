import type { Lang } from '../../i18n/index.js';
import type { FieldDef } from '../fields.js';
import type { TemplateKind } from './model.js';

/**
 * Built-in layouts are data: a list of blocks that the flow engine (flow.ts) pours onto A4 pages.
 * Texts carry `{{key}}` placeholders for field values; signature, initials and stamp fields get boxes
 * whose positions the engine reports, so the signing flow knows where each mark goes.
 */
export type Block =
  | { kind: 'title'; text: string }
  | { kind: 'subtitle'; text: string }
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string }
  /** Label → value rows, the label column in bold. */
  | { kind: 'rows'; rows: Array<[label: string, text: string]> }
  /** Two (or more) side-by-side columns of label/value rows, e.g. seller and buyer details. */
  | { kind: 'columns'; columns: Array<{ heading: string; rows: Array<[label: string, text: string]> }> }
  /** A table; `widths` are fractions of the text width. */
  | { kind: 'table'; header: string[]; widths: number[]; align?: Array<'left' | 'right'>; rows: string[][] }
  /** Signature area: one column per party with its lines, a signature box and optionally a stamp box. */
  | { kind: 'signatures'; parties: Array<{ heading: string; lines: string[]; signature: string; stamp?: string }> }
  | { kind: 'spacer'; height: number };

export interface Layout {
  /** Stable id of the starter, e.g. `sales-contract`; the same id exists in every language. */
  id: string;
  kind: TemplateKind;
  lang: Lang;
  name: string;
  fields: FieldDef[];
  blocks: Block[];
  /** Per-page footer: text (with `{page}` and `{pages}`) and initials boxes on every page. */
  footer?: { text: string; initials?: string[] };
}
