import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/http/errors.js';
import { checkImageDimensions, imageSize, MAX_IMAGE_PIXELS } from '../../src/signing/image-size.js';
import { blankPng, jpegHeader } from '../helpers/hostile.js';
import { TINY_PNG_B64 } from '../helpers/signing.js';

describe('image header dimensions', () => {
  it('reads PNG and JPEG (baseline and progressive) sizes without decoding', () => {
    expect(imageSize(new Uint8Array(Buffer.from(TINY_PNG_B64, 'base64')))).toEqual({ kind: 'png', width: 1, height: 1 });
    expect(imageSize(blankPng(300, 120))).toEqual({ kind: 'png', width: 300, height: 120 });
    expect(imageSize(jpegHeader(2400, 540))).toEqual({ kind: 'jpeg', width: 2400, height: 540 });
    expect(imageSize(jpegHeader(640, 480, 0xc2))).toEqual({ kind: 'jpeg', width: 640, height: 480 });
  });

  it('answers null for what it cannot read: other formats, cut headers, a JPEG without a frame', () => {
    expect(imageSize(new TextEncoder().encode('GIF89a……'))).toBeNull();
    expect(imageSize(blankPng(10, 10).subarray(0, 20))).toBeNull();
    expect(imageSize(jpegHeader(10, 10).subarray(0, 30))).toBeNull();
    expect(imageSize(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]))).toBeNull();
  });

  it('refuses a 35 KB PNG of 6000×6000 by its pixels, with IMAGE_TOO_LARGE and the numbers', () => {
    const png = blankPng(6000, 6000);
    expect(png.length).toBeLessThan(64 * 1024);
    const e = (() => {
      try {
        checkImageDimensions(png, 'stamp');
      } catch (err) {
        return err;
      }
    })();
    expect(isAppError(e) && e.code).toBe('IMAGE_TOO_LARGE');
    expect(isAppError(e) && e.details).toMatchObject({ field: 'stamp', width: 6000, height: 6000, maxPixels: MAX_IMAGE_PIXELS });
  });

  it('limits the side as well as the area, and accepts what the signing pad produces', () => {
    expect(() => checkImageDimensions(jpegHeader(5000, 100), 'signature')).toThrow(/4096 pixels a side/);
    expect(() => checkImageDimensions(jpegHeader(2001, 2000), 'signature')).toThrow(/megapixels/);
    expect(checkImageDimensions(jpegHeader(2000, 2000), 'signature')).toMatchObject({ width: 2000 });
    expect(checkImageDimensions(blankPng(2400, 540), 'signature')).toMatchObject({ width: 2400, height: 540 });
    expect(() => checkImageDimensions(jpegHeader(0, 10), 'signature')).toThrow(/could not be read/);
  });

  it('fuzz: any bytes behind a PNG or JPEG signature give a size or null, never an exception', () => {
    const magic = fc.constantFrom([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0xff, 0xd8, 0xff], []);
    fc.assert(
      fc.property(magic, fc.uint8Array({ maxLength: 4096 }), (head, tail) => {
        const size = imageSize(new Uint8Array([...head, ...tail]));
        if (size) expect(size.width).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 20_000, interruptAfterTimeLimit: 3000 },
    );
  });
});
