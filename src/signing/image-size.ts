import { AppError } from '../lib/app-error.js';

/**
 * Pixel dimensions of a signature or stamp image, read from its header without decoding it. Bytes
 * alone say little: a 35 KB PNG of 6000×6000 decodes to 144 MB of pixels when the seal embeds it.
 * So images are refused by dimensions when they are submitted, long before anything decodes them.
 */
export const MAX_IMAGE_PIXELS = 4_000_000;
/** A drawn signature is wide and short (the pad at 3× device pixels is about 2400×540). */
export const MAX_IMAGE_SIDE = 4096;

export interface ImageSize {
  kind: 'png' | 'jpeg';
  width: number;
  height: number;
}

const u16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

/** PNG: the first chunk must be IHDR, whose first eight bytes are width and height. */
function pngSize(b: Uint8Array): ImageSize | null {
  if (b.length < 24) return null;
  if (b[12] !== 0x49 || b[13] !== 0x48 || b[14] !== 0x44 || b[15] !== 0x52) return null; // "IHDR"
  return { kind: 'png', width: u32(b, 16), height: u32(b, 20) };
}

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic); C4, C8 and CC are not frames. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * JPEG: walk the marker segments to the first start-of-frame. Each step jumps over a whole segment
 * by its declared length, so the walk is linear in the file and never reads past it.
 */
function jpegSize(b: Uint8Array): ImageSize | null {
  let i = 2;
  while (i + 1 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2; // standalone markers carry no length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or scan data before any frame
    if (i + 4 > b.length) return null;
    const length = u16(b, i + 2);
    if (length < 2) return null;
    if (isSof(marker)) {
      if (i + 9 > b.length) return null;
      return { kind: 'jpeg', height: u16(b, i + 5), width: u16(b, i + 7) };
    }
    i += 2 + length;
  }
  return null;
}

/** The image's kind and dimensions, or null when it is neither a PNG nor a JPEG with a readable header. */
export function imageSize(b: Uint8Array): ImageSize | null {
  if (b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return pngSize(b);
  if (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpegSize(b);
  return null;
}

/** Refuses an image whose header is unreadable, empty, or larger than the pixel limits. */
export function checkImageDimensions(b: Uint8Array, what: 'signature' | 'stamp'): ImageSize {
  const size = imageSize(b);
  if (!size || size.width === 0 || size.height === 0) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `The ${what} image could not be read; use a PNG or JPEG.`, { field: what });
  const { width, height } = size;
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new AppError('IMAGE_TOO_LARGE', `The ${what} image is ${width}×${height} pixels; the limit is ${MAX_IMAGE_PIXELS / 1_000_000} megapixels and ${MAX_IMAGE_SIDE} pixels a side.`, {
      field: what,
      width,
      height,
      maxPixels: MAX_IMAGE_PIXELS,
      maxSide: MAX_IMAGE_SIDE,
    });
  }
  return size;
}
