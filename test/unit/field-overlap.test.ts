import { describe, expect, it } from 'vitest';
import { boxesOverlap, findOverlaps, freeSpot } from '../../src/documents/field-overlap.js';

const f = (key: string, page: number, x: number, y: number, w = 100, h = 40, label?: string) => ({ key, page, box: { x, y, w, h }, ...(label ? { label } : {}) });

describe('field overlap', () => {
  it('finds boxes that cover one another on the same page, naming them by label', () => {
    const list = [f('a', 0, 10, 10, 100, 40, 'Signature'), f('b', 0, 60, 30, 100, 40, 'Date'), f('c', 1, 60, 30), f('d', 0, 300, 300)];
    expect(findOverlaps(list)).toEqual([{ a: { key: 'a', label: 'Signature' }, b: { key: 'b', label: 'Date' }, page: 0 }]);
  });

  it('does not count touching edges, half-point slivers, other pages or fields without a box', () => {
    expect(boxesOverlap({ x: 0, y: 0, w: 10, h: 10 }, { x: 10, y: 0, w: 10, h: 10 })).toBe(false);
    expect(boxesOverlap({ x: 0, y: 0, w: 10, h: 10 }, { x: 9.6, y: 0, w: 10, h: 10 })).toBe(false);
    expect(boxesOverlap({ x: 0, y: 0, w: 10, h: 10 }, { x: 9, y: 9, w: 10, h: 10 })).toBe(true);
    expect(findOverlaps([f('a', 0, 0, 0), f('b', 1, 0, 0), { key: 'c' }])).toEqual([]);
    // Unlabelled fields are named by key.
    expect(findOverlaps([f('x', 2, 0, 0), f('y', 2, 5, 5)])[0]).toMatchObject({ a: { label: 'x' }, b: { label: 'y' }, page: 2 });
  });

  it('puts a new box where it was wanted when free, else on the nearest free place with the gap kept', () => {
    const page = { w: 595, h: 842 };
    const size = { w: 160, h: 44 };
    expect(freeSpot({ x: 200, top: 400 }, size, page, [])).toEqual({ x: 200, top: 400 });
    const taken = [{ x: 200, top: 400, w: 160, h: 44 }];
    const gap = { x: 6, y: 20 };
    const spot = freeSpot({ x: 200, top: 400 }, size, page, taken, gap)!;
    expect(spot).not.toBeNull();
    expect(boxesOverlap({ x: spot.x - gap.x, y: spot.top - gap.y, w: size.w + 2 * gap.x, h: size.h + 2 * gap.y }, { x: 200, y: 400, w: 160, h: 44 })).toBe(false);
    // Close by: the same column, within a few rows.
    expect(spot.x).toBe(200);
    expect(Math.abs(spot.top - 400)).toBeLessThan(100);
    // A drop past the page's edge is pulled inside it.
    expect(freeSpot({ x: 590, top: 840 }, size, page, [])).toEqual({ x: 435, top: 798 });
    // A page with no room left: null.
    expect(freeSpot({ x: 0, top: 0 }, size, page, [{ x: 0, top: 0, w: 595, h: 842 }])).toBeNull();
  });
});
