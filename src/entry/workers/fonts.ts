import dejavuSans from 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf';
import dejavuSansBold from 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf';
import caveat from '@expo-google-fonts/caveat/400Regular/Caveat_400Regular.ttf';
import { installFonts, type FontName, type FontSource } from '../../documents/fonts.js';

/**
 * The fonts port on Workers: the same npm TTFs as on Node (documents/fonts.ts FONT_FILES), bundled
 * into the worker as data modules by wrangler (wrangler.toml `[[rules]] type = "Data"`).
 */
const FILES: Record<FontName, ArrayBuffer> = { sans: dejavuSans, sansBold: dejavuSansBold, handwriting: caveat };

const source: FontSource = { bytes: async (name) => new Uint8Array(FILES[name]) };

export function installWorkersFonts(): FontSource {
  installFonts(source);
  return source;
}
