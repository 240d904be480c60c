import { fileURLToPath } from 'node:url';
import type { Assets } from '../assets/types.js';

/**
 * Set to `true` only in the production bundle (scripts/build.ts `define`). esbuild then folds the
 * check below and drops the development branch, so dist/server.mjs never imports esbuild. Under tsx
 * and vitest the name is not defined at all.
 */
declare const B24_BUNDLE: boolean | undefined;

/** The browser files this process serves: the built, hashed ones beside the bundle, else built in memory. */
export async function assetsForThisProcess(): Promise<Assets> {
  // if/else rather than an early return: esbuild drops only a dead branch, not code after a return.
  if (typeof B24_BUNDLE !== 'undefined') {
    const { loadBuiltAssets } = await import('../assets/built.js');
    return loadBuiltAssets(fileURLToPath(new URL('./assets', import.meta.url)));
  } else {
    const { developmentAssets } = await import('../assets/development.js');
    return developmentAssets();
  }
}
