import { describe, expect, it } from 'vitest';
import { applyMatrix, boxOnPage, boxToUser, displayedSize, normalizeRotation, visualToUser, type Rotation } from '../../src/documents/page-space.js';

/** Field boxes live in the page's displayed space (src/documents/page-space.ts); these are its conversions. */
const crop = { x: 10, y: 20, width: 200, height: 300 };

describe('displayed space of a page', () => {
  it('normalizes /Rotate and swaps the size on quarter turns', () => {
    expect([0, 90, 180, 270, 360, -90, 450, 45].map(normalizeRotation)).toEqual([0, 90, 180, 270, 0, 270, 90, 0]);
    expect(displayedSize(crop, 0)).toEqual({ width: 200, height: 300 });
    expect(displayedSize(crop, 90)).toEqual({ width: 300, height: 200 });
    expect(displayedSize(crop, 180)).toEqual({ width: 200, height: 300 });
    expect(displayedSize(crop, 270)).toEqual({ width: 300, height: 200 });
  });

  // Where the displayed bottom-left corner is in user space: /Rotate turns the page clockwise for display.
  it.each([
    [0, [10, 20]],
    [90, [210, 20]],
    [180, [210, 320]],
    [270, [10, 320]],
  ] as Array<[Rotation, [number, number]]>)('/Rotate %i: the displayed origin is user %j, and the displayed corners are the crop box corners', (rot, origin) => {
    const m = visualToUser(crop, rot);
    expect(applyMatrix(m, 0, 0)).toEqual(origin);
    const { width, height } = displayedSize(crop, rot);
    expect(boxToUser({ x: 0, y: 0, w: width, h: height }, crop, rot)).toEqual({ x: 10, y: 20, w: 200, h: 300 });
  });

  it('maps a box near the displayed bottom-left of a page turned 90° to the unrotated bottom-right', () => {
    // Displayed 300 wide × 200 high; a box 30 from the left, 10 up, 60×20.
    expect(boxToUser({ x: 30, y: 10, w: 60, h: 20 }, crop, 90)).toEqual({ x: 10 + 200 - 10 - 20, y: 20 + 30, w: 20, h: 60 });
    expect(boxToUser({ x: 30, y: 10, w: 60, h: 20 }, crop, 270)).toEqual({ x: 10 + 10, y: 20 + 300 - 30 - 60, w: 20, h: 60 });
    expect(boxToUser({ x: 30, y: 10, w: 60, h: 20 }, crop, 180)).toEqual({ x: 10 + 200 - 30 - 60, y: 20 + 300 - 10 - 20, w: 60, h: 20 });
  });
});

describe('boxOnPage (the browser: editor and signing page)', () => {
  it('gives fractions of the displayed page from its top-left, with no rotation to apply', () => {
    // A landscape view (a portrait page with /Rotate 90): 300×200 displayed.
    expect(boxOnPage({ x: 30, y: 10, w: 60, h: 20 }, { widthPt: 300, heightPt: 200 })).toEqual({ left: 0.1, top: 0.85, width: 0.2, height: 0.1 });
  });

  it('moves a box that sticks out back onto the page and cuts one larger than the page', () => {
    expect(boxOnPage({ x: 280, y: -5, w: 60, h: 20 }, { widthPt: 300, heightPt: 200 })).toEqual({ left: 0.8, top: 0.9, width: 0.2, height: 0.1 });
    expect(boxOnPage({ x: 0, y: 0, w: 500, h: 400 }, { widthPt: 300, heightPt: 200 })).toEqual({ left: 0, top: 0, width: 1, height: 1 });
  });
});
