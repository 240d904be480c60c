import * as upstreamFontkit from 'fontkit';
import type { PDFDocument, PDFFont } from 'pdf-lib';

/**
 * Fonts embedded into every PDF we render. The standard 14 fonts cannot encode Cyrillic or Greek,
 * so we embed TTFs shipped on npm: DejaVu Sans (Latin, Cyrillic, Greek) for text and Caveat (Latin
 * and Cyrillic) for typed signatures.
 *
 * pdf-lib's bundled @pdf-lib/fontkit is a stale fork that corrupts some TrueType subsets; upstream
 * fontkit 2 subsets correctly but renamed `encodeStream()` to `encode()`. The adapter below gives
 * pdf-lib what it calls, so subsetting is safe for any font we add later.
 */
export type FontName = 'sans' | 'sansBold' | 'handwriting';

/** The npm files the fonts come from (package specifiers): the platform's font source reads them. */
export const FONT_FILES: Record<FontName, string> = {
  sans: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf',
  sansBold: 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf',
  handwriting: '@expo-google-fonts/caveat/400Regular/Caveat_400Regular.ttf',
};

/**
 * The fonts port: where the TTF bytes come from. The domain never reads files; on Node the source
 * reads them from node_modules (src/entry/fonts.ts). Fonts are static, process-wide data, so the
 * entry that builds Services installs its source here once (services.fonts is the same object).
 */
export interface FontSource {
  bytes(name: FontName): Promise<Uint8Array>;
}

let source: FontSource | undefined;
const cache = new Map<FontName, Promise<Uint8Array>>();

/** Installs the platform's font source (the entry does, before anything renders). */
export function installFonts(fonts: FontSource): void {
  if (source === fonts) return;
  source = fonts;
  cache.clear();
}

/** Font bytes, fetched once per process from the installed source. */
export function fontBytes(name: FontName): Promise<Uint8Array> {
  let p = cache.get(name);
  if (!p) {
    if (!source) throw new Error('no font source installed: the entry must call installFonts (src/entry/fonts.ts)');
    p = source.bytes(name);
    cache.set(name, p);
    // A failed read is not kept: the next render asks again.
    p.catch(() => cache.delete(name));
  }
  return p;
}

type UpstreamFont = { createSubset(): { encode(): Uint8Array; includeGlyph(g: unknown): number } };

/** What pdf-lib's `registerFontkit` expects, backed by upstream fontkit 2. */
export const fontkitAdapter = {
  create(data: Uint8Array, postscriptName?: string) {
    const font = (upstreamFontkit as unknown as { create(d: Buffer, n?: string): UpstreamFont }).create(Buffer.from(data), postscriptName);
    const originalCreateSubset = font.createSubset.bind(font);
    font.createSubset = () => {
      const subset = originalCreateSubset();
      return Object.assign(subset, {
        // pdf-lib reads the subset as a stream of chunks; one chunk is all it needs.
        encodeStream() {
          const bytes = subset.encode();
          return {
            on(event: string, cb: (arg?: Uint8Array) => void) {
              if (event === 'data') queueMicrotask(() => cb(bytes));
              if (event === 'end') queueMicrotask(() => queueMicrotask(() => cb()));
              return this;
            },
          };
        },
      });
    };
    return font;
  },
};

export type EmbeddedFonts = Record<FontName, PDFFont>;

/** Registers the adapter and embeds our fonts as subsets (only glyphs used end up in the file). */
export async function embedFonts(doc: PDFDocument, names: FontName[] = ['sans', 'sansBold']): Promise<Partial<EmbeddedFonts>> {
  doc.registerFontkit(fontkitAdapter as never);
  const out: Partial<EmbeddedFonts> = {};
  for (const n of names) out[n] = await doc.embedFont(await fontBytes(n), { subset: true });
  return out;
}
