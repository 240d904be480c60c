import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { FONT_FILES, installFonts, type FontName, type FontSource } from '../documents/fonts.js';

const require = createRequire(import.meta.url);

/** The fonts port on Node: the TTFs shipped in node_modules (dejavu-fonts-ttf, @expo-google-fonts/caveat). */
export function nodeFonts(): FontSource {
  return { bytes: async (name: FontName) => new Uint8Array(await readFile(require.resolve(FONT_FILES[name]))) };
}

let installed: FontSource | undefined;

/** One Node font source per process, installed for the renderers; returns it for services.fonts. */
export function installNodeFonts(): FontSource {
  installed ??= nodeFonts();
  installFonts(installed);
  return installed;
}
