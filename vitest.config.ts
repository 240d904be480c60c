import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files run in parallel forks, each on its own database.
    pool: 'forks',
    env: { LOG_LEVEL: 'silent' },
    // Stops at once, in one line, when the independent checkers or Chromium are missing.
    globalSetup: ['scripts/vitest-global-setup.mjs'],
    // In every test file: the Node platform adapters the entry installs (fonts, node:crypto hashing).
    setupFiles: ['test/helpers/platform-setup.ts'],
  },
});
