import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** `npm run test:unit`: the fast inner loop — no database server, browser or system tools (so no tools check). */
const { globalSetup: _toolsCheck, ...test } = base.test ?? {};
export default defineConfig({ test: { ...test, include: ['test/unit/**/*.test.ts'] } });
