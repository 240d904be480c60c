import { doublePrecision, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { portalIdColumn, timestamps } from './columns.js';
import { envelopes } from './envelopes.js';

/**
 * The envelope's source PDF drawn as images, made once when it is sent (job `signing.page-images`,
 * src/signing/page-images.ts), so a signer's phone shows the document without pdf.js. One row per
 * page and width; `width_pt`/`height_pt` are the crop box the field boxes are measured against.
 */
export const envelopePages = pgTable(
  'envelope_pages',
  {
    portalId: portalIdColumn(),
    envelopeId: text('envelope_id')
      .notNull()
      .references(() => envelopes.id, { onDelete: 'cascade' }),
    /** 0-based, as fields count pages. */
    page: integer('page').notNull(),
    /** Image width in pixels (one of PAGE_IMAGE_WIDTHS). */
    px: integer('px').notNull(),
    widthPt: doublePrecision('width_pt').notNull(),
    heightPt: doublePrecision('height_pt').notNull(),
    /** image/png (grey pages, 4-bit) or image/webp (pages with colour). */
    type: text('type').notNull(),
    /** The image's blob key (src/blobs/). */
    imageKey: text('image_key').notNull(),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.portalId, t.envelopeId, t.page, t.px] }), index('envelope_pages_image_key_idx').on(t.imageKey)],
);

export type EnvelopePage = typeof envelopePages.$inferSelect;
