import { describe, expect, it } from 'vitest';
import { MAX_VALUE_CHARS, renderDocument } from '../../src/documents/render.js';
import { starterLayout } from '../../src/documents/templates/starters/index.js';
import { AppError } from '../../src/http/errors.js';

describe('layout limits', () => {
  const layout = starterLayout('nda', 'en')!;
  const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

  it('flows long values across pages and reports values cut at the length cap', async () => {
    const r = await renderDocument({ layout, values: { purpose: words(4000) }, lang: 'en' });
    expect(r.pageCount).toBeGreaterThan(3);
    expect(r.overflows).toEqual([expect.objectContaining({ key: 'purpose', reason: expect.stringMatching(/longer than 20000/) })]);
    expect(MAX_VALUE_CHARS).toBe(20_000);
    // Page numbers count every page, initials repeat on each.
    expect(r.placements.filter((p) => p.key === 'client_initials')).toHaveLength(r.pageCount);
  });

  it('refuses a document longer than the page limit with a clear error instead of growing without bound', async () => {
    const err = await renderDocument({ layout, values: { purpose: words(2500) }, lang: 'en', maxPages: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_FAILED');
    expect((err as AppError).message).toMatch(/longer than 3 pages/);
  });
});
