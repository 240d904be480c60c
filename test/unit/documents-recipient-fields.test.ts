import { describe, expect, it } from 'vitest';
import { renderDocument } from '../../src/documents/render.js';
import { recipientFields } from '../../src/documents/templates/prepare.js';
import { starterLayout } from '../../src/documents/templates/starters/index.js';
import { RUSSIAN } from '../fixtures/documents/render-values.js';

describe('recipientFields', () => {
  it('lists the marks left for signers with the boxes the layout chose, initials once per page', async () => {
    const layout = starterLayout('sales-contract', 'ru')!;
    const { placements, pageCount } = await renderDocument({ layout, values: { ...RUSSIAN, special_terms: 'Условие. '.repeat(600) }, lang: 'ru' });
    expect(pageCount).toBeGreaterThan(1);
    const fields = recipientFields(layout.fields, placements, RUSSIAN);
    const keys = fields.map((f) => f.key);
    expect(keys).toEqual(expect.arrayContaining(['company_signature', 'company_stamp', 'client_signature', 'client_stamp', 'company_initials', 'client_initials', `client_initials_p${pageCount}`]));
    expect(fields.filter((f) => f.key.startsWith('company_initials'))).toHaveLength(pageCount);
    // Sender fields are printed, not left to fill; client text fields without a box are printed too.
    expect(keys).not.toContain('buyer_name');
    expect(keys).not.toContain('buyer_signatory');
    const sig = fields.find((f) => f.key === 'client_signature')!;
    expect(sig).toMatchObject({ type: 'signature', party: 'client', required: true, page: pageCount - 1 });
    expect(sig.box.w).toBeGreaterThan(50);
  });
});
