// The system tools the test suite checks our output with (independent PDF checkers, a real browser),
// and the Debian packages that bring them. Shared by `npm test` (scripts/test.mjs), which installs what
// is missing, and the suite's global set-up, which stops at once with one line when they are absent.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const TOOLS = [
  { command: 'pdfsig', pkg: 'poppler-utils' },
  { command: 'pdftotext', pkg: 'poppler-utils' },
  { command: 'pdftoppm', pkg: 'poppler-utils' },
  { command: 'qpdf', pkg: 'qpdf' },
  { command: 'mutool', pkg: 'mupdf-tools' },
  { command: 'openssl', pkg: 'openssl' },
  // The e2e tests drive Debian's Chromium at this exact path (playwright-core never downloads a browser).
  { command: '/usr/bin/chromium', pkg: 'chromium' },
];

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  if (command.includes('/')) return executable(command);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, command)));
}

/** The tools that cannot be found, each with its package. */
export function missingTools() {
  return TOOLS.filter((t) => !onPath(t.command));
}

export function packagesOf(tools) {
  return [...new Set(tools.map((t) => t.pkg))];
}

/** One line that names what is missing and the command that brings it. */
export function missingToolsLine(tools) {
  const names = tools.map((t) => t.command.replace(/^.*\//, '')).join(', ');
  return `missing test tools: ${names}; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packagesOf(tools).join(' ')}`;
}
